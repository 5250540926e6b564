"""Tests of chainrule.train.progress: the bar in a terminal and a notebook, lines, silence."""

from __future__ import annotations

import io

import numpy as np
import pytest

from chainrule import ConfigError, Network
from chainrule.nn.landscape import not_toy
from chainrule.train import ProgressBar, fit
from chainrule.train.progress import in_notebook
from html_support import no_scripts, parse


def xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return Network([2, 3, 1], "tanh", random_state=0), X, Y


def test_lines_are_few_and_name_the_epoch_and_the_cost():
    net, X, Y = xor()
    lines: list[str] = []
    with ProgressBar("lines", write=lines.append) as bar:
        history = fit(net, X, Y, epochs=100, batch_size=None, callbacks=[bar])
    assert 5 <= len(lines) <= 21
    assert lines[0].startswith("epoch   1/100  mean C ")
    assert lines[-1].startswith(f"epoch 100/100  mean C {history.cost[-1]:.6g}")
    assert "ETA" in lines[-1] and "ex/s" in lines[-1]
    assert bar.history is history and bar.last.epoch == 100


def test_quiet_shows_nothing(capfd):
    net, X, Y = xor()
    with ProgressBar("quiet") as bar:
        fit(net, X, Y, epochs=5, callbacks=[bar])
    fit(net, X, Y, epochs=5, verbose=False)
    assert capfd.readouterr() == ("", "")


def test_verbose_fit_shows_lines_where_there_is_no_terminal(capfd):
    net, X, Y = xor()
    fit(net, X, Y, epochs=40, batch_size=None, verbose=True)
    out, err = capfd.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("epoch  1/40  mean C ") and lines[-1].startswith("epoch 40/40")


def test_a_terminal_bar_ends_at_the_last_epoch():
    net, X, Y = not_toy()
    stream = io.StringIO()
    with ProgressBar("bar", file=stream) as bar:
        fit(net, X, Y, epochs=30, batch_size=1, callbacks=[bar], batch_callback=bar.on_batch)
    text = stream.getvalue()
    assert "30/30" in text and "epoch" in text and "mean C " in text


class FakeDisplay:
    """IPython's display as the notebook bar uses it: the first HTML, then updates."""

    def __init__(self) -> None:
        self.shown: list[dict[str, str]] = []

    def __call__(self, bundle: dict[str, str]) -> FakeDisplay:
        self.shown.append(bundle)
        return self

    def update(self, bundle: dict[str, str]) -> None:
        self.shown.append(bundle)


def test_a_notebook_bar_is_html_updated_in_place():
    net, X, Y = xor()
    page = FakeDisplay()
    with ProgressBar("notebook", display=page) as bar:
        history = fit(net, X, Y, epochs=200, batch_size=None, callbacks=[bar])
    # a few updates, not one per epoch: the page is redrawn at most every 0.2 s
    assert 2 <= len(page.shown) < 50
    root = parse(page.shown[-1]["text/html"])
    assert no_scripts(root)
    progress = root.find("progress")
    assert progress.attrs["value"] == "200" and progress.attrs["max"] == "200"
    assert f"mean C {history.cost[-1]:.6g}" in root.text()
    assert page.shown[-1]["text/plain"] == root.text()  # the line alone, without HTML
    first = parse(page.shown[0]["text/html"]).find("progress")
    assert first.attrs["value"] == "1"


def test_modes_and_where_they_are_chosen():
    with pytest.raises(ConfigError, match="mode: expected one of auto, bar"):
        ProgressBar("loud")
    assert not in_notebook()  # no kernel here
    assert ProgressBar(file=io.StringIO()).mode == "lines"


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_an_estimator_shows_a_bar_where_someone_watches(monkeypatch, capsys):
    import sys
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from chainrule.estimators import MLPRegressor

    X = np.linspace(-1, 1, 20)[:, None]
    y = np.sin(3 * X[:, 0])
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 12 iterations, on purpose
        MLPRegressor(hidden_layer_sizes=(3,), max_iter=12, verbose=True, random_state=0).fit(X, y)
        text = screen.getvalue()
        assert "12/12" in text and "epoch" in text and "Iteration" not in text
        monkeypatch.undo()
        MLPRegressor(hidden_layer_sizes=(3,), max_iter=12, random_state=0).fit(X, y)
    assert capsys.readouterr() == ("", "")  # silent unless asked
