"""README's Python examples run as they are written, and print the numbers their comments show.

The blocks run in order in one namespace, as a reader pasting them into one session would,
in a folder that holds what the README says came before (``iris.csv`` and the model that
``chainrule train iris.csv`` writes).  An expression whose comment starts with a number
(``# a(1) = 0.834``, ``# 0.973, as ...``) or with True or False must give that value to the
digits shown.  The cluster section is run by tests/test_distributed.py, which needs a cluster.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
NOT_HERE = {"Training on a cluster"}  # sections whose blocks other tests run

# a comment's claim: "a(1) = 0.834", "C_0 = 1.2 (to 1 d.p.)", "0.000162: ...", "True", "False: ..."
CLAIM = re.compile(r"#\s*(?:[^=#]{1,20}=\s*)?(True|False|[-+]?\d[\d_]*(?:\.\d+)?)\b")


def _blocks() -> list[tuple[str, str]]:
    """(section, code) of each ```python block, in order."""
    blocks, section, code = [], "", None
    for line in README.read_text(encoding="utf-8").splitlines():
        if code is None and line.startswith("## "):
            section = line[3:].strip()
        elif code is None and line.strip() == "```python":
            code = []
        elif code is not None and line.strip() == "```":
            blocks.append((section, "\n".join(code) + "\n"))
            code = None
        elif code is not None:
            code.append(line)
    return blocks


def _check_claim(value: object, claim: str, where: str) -> None:
    if claim in ("True", "False"):
        assert value is (claim == "True"), where
        return
    number = float(np.ravel(np.asarray(value, dtype=float))[0])
    decimals = len(claim.partition(".")[2])
    assert abs(number - float(claim)) <= 0.5 * 10.0**-decimals * (1 + 1e-9), (where, number)


def _run(code: str, section: str, namespace: dict) -> list[str]:
    """Run one block statement by statement; returns the claims it checked."""
    lines = code.splitlines()
    checked = []
    for node in ast.parse(code).body:
        where = f"{section}: {ast.unparse(node)[:60]}"
        if isinstance(node, ast.Expr):
            value = eval(compile(ast.Expression(node.value), "README.md", "eval"), namespace)
            _, hash_, comment = lines[node.end_lineno - 1].partition("#")
            claim = CLAIM.search(hash_ + comment)
            if claim:
                _check_claim(value, claim.group(1), where)
                checked.append(claim.group(1))
        else:
            exec(compile(ast.Module([node], []), "README.md", "exec"), namespace)
    return checked


@pytest.fixture
def iris_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """iris.csv with its species as text, and the model `chainrule train iris.csv` saves."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    rows = [",".join([*(repr(float(v)) for v in x), iris.target_names[t]])
            for x, t in zip(iris.data, iris.target)]
    header = "sepal_length,sepal_width,petal_length,petal_width,species"
    (tmp_path / "iris.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")  # scikit-learn's array_api_dispatch asks for it
    assert main(["train", "iris.csv", "--out", "iris.safetensors", "--quiet"]) == 0
    return tmp_path


def test_the_readme_examples_run_and_show_their_numbers(iris_folder: Path, capsys):
    iris_text = (iris_folder / "iris.csv").read_text(encoding="utf-8")
    blocks = _blocks()
    run = [(s, c) for s, c in blocks if s not in NOT_HERE]
    assert len(blocks) - len(run) == 1 and len(run) >= 6
    namespace: dict = {"__name__": "readme"}
    checked = [claim for section, code in run for claim in _run(code, section, namespace)]
    # the NOT neuron's a(1) and C_0, the gradient checks, the heart's cost, the spiral's and
    # the digits' scores
    assert checked == ["0.834", "1.2", "True", "False", "0.000162", "0.955", "0.973",
                       "0.973", "True", "True", "True"]  # and the same on PyTorch tensors
    # the README's recipe wrote iris.csv again: byte for byte the file the model was trained on
    assert (iris_folder / "iris.csv").read_text(encoding="utf-8") == iris_text
    assert (iris_folder / "not-toy.png").stat().st_size > 1000  # the landscape's picture
    assert "finite difference" in capsys.readouterr().out  # render_ledger printed the ledger
