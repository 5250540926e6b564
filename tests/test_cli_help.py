"""What ``chainrule`` and its commands say about themselves: the help, once, with defaults.

The help is rendered by typer (pinned in pyproject.toml to the range tested here) and
read 250 columns wide, so that no line of an option wraps.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from chainrule.cli import app
from chainrule.cli.recipes import FILE_CLASSIFICATION, FILE_REGRESSION, RECIPES

WIDE = {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
COMMANDS = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def help_of(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


def test_bare_chainrule_prints_its_help_once_and_exits_0():
    proc = subprocess.run([sys.executable, "-m", "chainrule"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **WIDE})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Usage: chainrule [OPTIONS] COMMAND [ARGS]...") == 1
    assert proc.stderr == ""
    assert all(f" {name} " in proc.stdout for name in COMMANDS)


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)],
                         ids=["chainrule", *COMMANDS])
def test_flags_show_no_value_type(command):
    text = help_of(*command)
    assert "<bool>" not in text and "BOOLEAN" not in text
    for flag in ("--help", *(["--json"] if "--json" in text else [])):
        line = next(line for line in text.splitlines() if f" {flag} " in line)
        assert re.search(rf"{flag}( +-h)? {{2,}}[A-Z]", line), line  # the help follows


def test_a_flag_given_a_value_is_refused(capsys):
    from chainrule.cli import main

    assert main(["datasets", "--json=yes"]) == 2
    assert "error: Option '--json' does not take a value" in capsys.readouterr().err


def _option_line(text: str, option: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"│ {option} "))


@pytest.mark.parametrize(("option", "default"), [
    ("--hidden", "16"), ("--activation", "tanh"), ("--optimizer", "adam"), ("--lr", "0.01"),
    ("--epochs", "200"), ("--batch-size", "32")])
def test_train_help_shows_each_default(option, default):
    line = _option_line(help_of("train"), option)
    assert f"[default: ({default} for a file; a data set's own, below)]" in line


def test_train_help_shows_the_cost_default_and_the_other_defaults():
    text = help_of("train")
    assert ("[default: (cross_entropy for classes, squared_error for values; a data set's "
            "own, below)]") in _option_line(text, "--cost")
    for option, default in (("--seed", "0"), ("--validation", "0.0"), ("--dtype", "float64"),
                            ("--task", "auto")):
        assert f"[default: {default}]" in _option_line(text, option)


def test_train_help_lists_every_recipe():
    lines = [line.strip() for line in help_of("train").splitlines()]
    assert "Defaults by data (an option given replaces its default; no data: the heart):" in lines
    assert ("A file of classes: --hidden 16 --activation tanh --cost cross_entropy "
            "--optimizer adam --lr 0.01 --epochs 200 --batch-size 32") in lines
    assert ("A file of values: --hidden 16 --activation tanh --output-activation identity "
            "--cost squared_error --optimizer adam --lr 0.01 --epochs 200 --batch-size 32") \
        in lines
    assert ("--dataset heart: --hidden 6,7 --activation logistic --cost squared_error "
            "--optimizer adam --lr 0.01 --epochs 30000 --batch-size full") in lines
    assert ("--dataset not_gate: --hidden none --activation tanh --cost squared_error "
            "--optimizer gd --lr 0.5 --epochs 3000 --batch-size full") in lines
    for name, recipe in RECIPES.items():
        line = next(line for line in lines if line.startswith(f"--dataset {name}: "))
        assert f"--epochs {recipe.epochs} " in line and f"--lr {recipe.learning_rate:g} " in line
    assert FILE_CLASSIFICATION.hidden == FILE_REGRESSION.hidden == (16,)
