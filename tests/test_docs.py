"""The documentation site builds with no warning, links nowhere broken, and documents every
public name; its pages say what the tour and the command line say."""

from __future__ import annotations

import importlib
import io
import pkgutil
import posixpath
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from rich.console import Console
from sphinx.util.inventory import InventoryFile

import chainrule
from chainrule.tour import run_tour
from docs_support import build_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, executed_tutorial) -> Path:
    out = tmp_path_factory.mktemp("site")
    start = time.perf_counter()
    proc = build_site(out, executed_tutorial.path)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, f"the build failed after {seconds:.0f} s:\n{proc.stderr}"
    assert "WARNING" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    return out


class _Page(HTMLParser):
    """The ids, links, table rows and text of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            # Sphinx curls quotes: compare with the source's straight ones
            cell = "".join(self._cell).replace("’", "'").replace("“", '"').replace("”", '"')
            self.rows[-1].append(" ".join(cell.split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _inventory(site: Path) -> dict[str, dict]:
    with open(site / "objects.inv", "rb") as f:
        inv = InventoryFile.load(f, "", posixpath.join)
    return dict(inv.data if hasattr(inv, "data") else inv)


def _public_modules() -> list[str]:
    """The package and each part of it that declares ``__all__``."""
    names = ["chainrule"]
    for info in pkgutil.iter_modules(chainrule.__path__):
        if info.name.startswith("_"):  # __main__ runs the command line
            continue
        module = importlib.import_module(f"chainrule.{info.name}")
        if hasattr(module, "__all__"):
            names.append(module.__name__)
    return names


def test_the_site_builds_with_every_page(site):
    for page in ("index", "tutorial", "guide/exercise", "guide/training", "guide/cli",
                 "guide/model-files", "reliability", "guide/performance", "api/index",
                 "architecture"):
        assert (site / f"{page}.html").is_file(), page


def test_every_public_name_is_in_the_api_reference(site):
    py = {name for domain, entries in _inventory(site).items() if domain.startswith("py:")
          for name in entries}
    modules = _public_modules()
    assert len(modules) >= 14
    documented = 0
    for module in modules[1:]:
        assert module in py, module
        for name in importlib.import_module(module).__all__:
            assert f"{module}.{name}" in py, f"{module}.{name}"
            documented += 1
    assert documented > 150
    # the package's own names: a row each on the reference's first page, linked to the entry
    root = _page(site / "api" / "index.html")
    for name in chainrule.__all__:
        if name == "__version__":
            assert "chainrule.__version__" in py
            continue
        targets = [link for link in root.links if link.endswith(f".{name}")]
        assert targets, name
        page, _, anchor = targets[0].partition("#")
        assert anchor in _page(site / "api" / page).ids, name


def test_no_internal_link_is_broken(site):
    pages = {p: _page(p) for p in site.rglob("*.html")}
    checked = 0
    for path, page in pages.items():
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("mailto:"):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            assert target.exists(), f"{path.relative_to(site)}: {href}"
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _page(target).ids
                assert unquote(parts.fragment) in ids, f"{path.relative_to(site)}: {href}"
            checked += 1
    assert checked > 500


def test_the_tutorial_page_shows_the_notebooks_outputs(site):
    html = (site / "tutorial.html").read_text(encoding="utf-8")
    assert "C_1 = (0.834 − 0)² = 0.696" in html
    assert "C_k = 1.7788 ≈ 1.8" in html
    assert html.count("<img") >= 3
    assert "options_q3" not in html  # the cell the tests read is left out of the page


def test_the_exercise_page_lists_every_option_as_the_tour_does(site, tmp_path):
    result = run_tour(tmp_path, Console(file=io.StringIO()), train_heart=False)
    rows = {r[0]: r for r in _page(site / "guide" / "exercise.html").rows if len(r) == 3}
    rows.pop("#", None)
    assert list(rows) == [o.label for o in result.options]
    for o in result.options:
        verdict = rows[o.label][2]
        assert verdict.startswith("right" if o.correct else "wrong"), (o.label, verdict)


def test_the_command_line_page_has_every_commands_help(site):
    import typer

    from chainrule.cli import app

    text = "".join(_page(site / "guide" / "cli.html").text)
    for name in typer.main.get_command(app).commands:
        assert f"Usage: chainrule {name} [OPTIONS]" in text, name
    # options are copied from the page: no en dash for "--", no curly quotes
    assert "--seed" in text and "\u2013seed" not in text
    assert "\u2018" not in text and "\u2019" not in text


def test_the_performance_page_has_the_benchmark_tables(site):
    rows = _page(site / "guide" / "performance.html").rows
    assert any(r[:2] == ["a digits, float64", "chainrule ≤ 0.6 × scikit-learn's time"]
               for r in rows)
    assert "checks met" in "".join(_page(site / "guide" / "performance.html").text)


ROOT = Path(__file__).resolve().parents[1]


def test_the_architecture_page_draws_the_tested_layers():
    # its table of ranks is test_architecture's RANK, and every file it names exists
    import re

    from test_architecture import RANK

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| (\d+) \| ([^|]+) \|$", text, flags=re.MULTILINE)
    drawn = {part.strip().replace("\\", ""): int(rank) for rank, parts in table
             for part in parts.split(",")}
    assert drawn == RANK
    paths = set(re.findall(r"`((?:src/chainrule|tests|docs|fuzz)/[\w/.-]*)`", text))
    assert len(paths) > 30
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, missing
    # and it names every module of the package (by its file name), and no other
    modules = {p.name for p in (ROOT / "src" / "chainrule").rglob("*.py")} - {"__init__.py"}
    named = set(re.findall(r"`(\w+\.py)`", text))
    assert named == modules, f"name these in docs/architecture.md: {sorted(modules - named)}; " \
                             f"these are gone: {sorted(named - modules)}"
    # every folder of the package has its section
    folders = {p.name for p in (ROOT / "src" / "chainrule").iterdir()
               if p.is_dir() and p.name != "__pycache__"}
    assert all(f"`{folder}/`" in text for folder in folders), folders
