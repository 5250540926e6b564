"""The tutorial notebook runs from top to bottom, and its numbers are the exercise's."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule import Network, fit
from chainrule.data import load_dataset


def _outputs(executed, kind: str | None = None) -> list[dict]:
    return [o for c in executed.notebook.cells if c.cell_type == "code" for o in c.outputs
            if kind is None or o.output_type == kind]


def _text(executed) -> str:
    """Everything the notebook printed."""
    return "".join(o.text for o in _outputs(executed, "stream"))


@pytest.fixture(scope="module")
def numbers(executed_tutorial) -> dict:
    """The numbers the notebook's last (hidden) cell prints."""
    last = executed_tutorial.notebook.cells[-1]
    assert "remove-cell" in last.metadata.get("tags", [])
    return json.loads(last.outputs[-1].text)


def test_every_cell_ran_without_an_error_or_a_warning(executed_tutorial):
    code = [c for c in executed_tutorial.notebook.cells if c.cell_type == "code"]
    assert len(code) > 20
    assert all(c.execution_count is not None for c in code)
    assert not _outputs(executed_tutorial, "error")
    # a warning would be printed to stderr
    assert [o.text for o in _outputs(executed_tutorial, "stream") if o.name == "stderr"] == []


def test_question_1_numbers(numbers, executed_tutorial):
    assert round(numbers["a1"], 3) == 0.834
    assert round(round(numbers["a1"], 3) ** 2, 3) == 0.696  # the course rounds a(1) first
    assert numbers["C1"] == pytest.approx(np.tanh(1.2) ** 2, rel=1e-15)
    assert round(numbers["C0"], 1) == 1.2
    text = _text(executed_tutorial)
    assert "C_1 = (0.834 − 0)² = 0.696" in text
    assert "C_0 = (-0.100 − 1)² = 1.2093 ≈ 1.2" in text


def test_question_2_the_map(numbers):
    assert numbers["C"] == pytest.approx(0.5 * ((np.tanh(-0.1) - 1) ** 2 + np.tanh(1.2) ** 2))
    assert numbers["local_minima"] == 0
    assert numbers["valley_off"] < 0.02  # the cheapest w on each row b > 0 is −b


def test_questions_3_and_4_derivatives(numbers):
    # the nine statements of question 3: 4, 5, 6 and 8 hold
    assert numbers["options_q3"] == [False, False, False, True, True, True, False, True, False]
    z = -1.2
    assert numbers["dCdb"] == pytest.approx(2 * (np.tanh(z) - 1) / np.cosh(z) ** 2, rel=1e-12)
    # the exercise's own line: the right derivative times (a − y)
    assert numbers["dCdb_printed"] == pytest.approx(numbers["dCdb"] * (np.tanh(z) - 1),
                                                    rel=1e-12)


def test_question_5_cost(numbers, executed_tutorial):
    assert round(numbers["C_q5"], 1) == 1.8
    assert "C_k = 1.7788 ≈ 1.8" in _text(executed_tutorial)


def test_the_heart_is_the_course_network_trained_here_too(numbers):
    data = load_dataset("heart")
    net = Network([1, 6, 7, 2], "logistic", random_state=0)
    history = fit(net, data.X, data.y, optimizer="adam", learning_rate=0.01, epochs=30_000,
                  batch_size=None)
    assert numbers["heart_cost"] < 0.002
    assert numbers["heart_cost"] == pytest.approx(history.cost[-1], rel=1e-9)


def test_own_csv_model_learns(numbers, executed_tutorial):
    assert numbers["accuracy"] > 0.9
    # the model saved and loaded again predicts the same labels
    assert _outputs(executed_tutorial, "execute_result")[-1].data["text/plain"] == "True"


def test_displays_show_as_html_and_pictures(executed_tutorial):
    rich = [set(o.data) for o in _outputs(executed_tutorial) if "data" in o]
    assert sum("text/html" in kinds for kinds in rich) >= 6  # network, chain, ledger, tables
    assert sum("image/png" in kinds for kinds in rich) >= 3  # landscape, heart, regions
