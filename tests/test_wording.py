"""Words users read: the course's exercise is never called by ``--seed``'s word.

``seed`` means a random seed (``--seed``, ``random_state``); the network and numbers of the
course are "the exercise" or "the course".  PHRASE (an article before that word) in what
ships or documents the package is ambiguous at best: none is allowed, in code, help, docs or
tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import chainrule

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(chainrule.__file__).resolve().parent
TEXT = {".py", ".md", ".rst", ".txt", ".html", ".js", ".css", ".ipynb", ".toml", ".cfg"}
# built from parts, so that this file does not match itself
PHRASE = re.compile(r"\b" + "th" + r"e\s+(?:#\s*)?" + "se" + r"eds?\b", re.IGNORECASE)


def _files() -> list[Path]:
    roots = [PACKAGE, ROOT / "docs", ROOT / "tests", ROOT / "examples", ROOT / "benchmarks"]
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    for root in roots:
        files += [p for p in root.rglob("*") if p.suffix in TEXT and "_build" not in p.parts]
    return [p for p in files if p.is_file()]


def test_no_text_says_the_seed():
    files = _files()
    assert len(files) > 100 and PACKAGE / "train" / "loop.py" in files
    found = [f"{p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}:"
             f"{p.read_text(encoding='utf-8').count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}"
             for p in files for m in PHRASE.finditer(p.read_text(encoding="utf-8"))]
    assert not found, "say 'the exercise'/'the course', or random_state/--seed:\n" + \
        "\n".join(found)


def test_the_phrase_check_can_fail():
    assert PHRASE.search("built again from " + "the " + "seed: the same weights")
    assert PHRASE.search("over " + "The\n    # " + "seeds 0-9")
    assert not PHRASE.search("--seed 0, random_state=0, seeded by random_state")
