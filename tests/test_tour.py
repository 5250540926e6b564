"""The tour prints the exercise's numbers and every answer option; every number is right."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from rich.console import Console

from chainrule import ConfigError, Network
from chainrule.tour import W_Q5, X_Q5, Y_Q5, TourResult, b_Q5, dCdb, dCdb_as_printed, run_tour
from chainrule.tour.walk import GRID, Q6_PARAM, Q6_SEED, Q6_SIZES

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> tuple[TourResult, str, Path]:
    """One full walk (heart included, about 2 s), printed into a recording console."""
    out = tmp_path_factory.mktemp("tour") / "pictures"  # not there yet: run_tour creates it
    # wide enough that no sentence is wrapped
    console = Console(record=True, width=300, file=io.StringIO())
    result = run_tour(out, console, train_heart=True)
    return result, console.export_text(), out


# Every answer option of the exercise, in its order, with the course's verdict (True: right).
# Questions 1 and 5 ask for a number: their one "option" is the answer.
EXERCISE_OPTIONS = {
    "1.1": ("C_0 = 1.2", True),
    "2.1": ("None of the other statements are true.", False),
    "2.2": ("There are many different local minima in this system.", False),
    "2.3": ("The optimal configuration lies along the line b = 0.", False),
    "2.4": ("The optimal configuration lies somewhere along the line b = −w.", True),
    "2.5": ("Descending perpendicular to the contours will improve the performance of the "
            "network.", True),
    "3.1": ("∂C_k/∂a(1) = (1 − y)²", False),
    "3.2": ("∂z(1)/∂a(1) = w(1)", False),
    "3.3": ("∂z(1)/∂b(1) = a(1)", False),
    "3.4": ("∂a(1)/∂z(1) = σ'(z(1))", True),
    "3.5": ("∂z(1)/∂b(1) = 1", True),
    "3.6": ("∂C_k/∂a(1) = 2(a(1) − y)", True),
    "3.7": ("None of the other statements.", False),
    "3.8": ("∂z(1)/∂w(1) = a(0)", True),
    "3.9": ("∂a(1)/∂z(1) = σ", False),
    "4.1": ("dzdb = 1", True),
    "4.2": ("dCda = 2 * (a1(w1, b1, x) - y)**2", False),
    "5.1": ("C_k = 1.8", True),
    "6.1": ("∂a(j)/∂a(j−1) = W(j) a(j)", False),
    "6.2": ("∂a(j)/∂a(j−1) = σ'(z(j)) W(j)", True),
    "6.3": ("∂a(j)/∂a(j−1) = σ'(z(j)) / σ'(z(j−1))", False),
    "6.4": ("∂a(j)/∂a(j−1) = σ'(z(j)) W(j−1)", False),
}


def _option_rows(text: str) -> dict[str, list[str]]:
    """The rows of the printed option tables: label -> [statement, verdict, numbers]."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 4 and re.fullmatch(r"[1-6]\.[1-9]", cells[0]):
            assert cells[0] not in rows, f"option {cells[0]} printed twice"
            rows[cells[0]] = cells[1:]
    return rows


def test_every_option_of_every_question_is_printed_with_its_verdict(tour):
    r, text, _ = tour
    rows = _option_rows(text)
    assert list(rows) == list(EXERCISE_OPTIONS)
    for label, (statement, correct) in EXERCISE_OPTIONS.items():
        printed, verdict, numbers = rows[label]
        assert printed.startswith(statement), (label, printed)
        assert verdict == ("true" if correct else "wrong (flagged)"), (label, verdict)
        assert numbers, label
    # the result holds the same options, and the library's numbers bear out every verdict
    assert [o.label for o in r.options] == list(EXERCISE_OPTIONS)
    for o in r.options:
        assert o.correct == EXERCISE_OPTIONS[o.label][1], o.label
        assert o.found == o.correct and o.agrees, (o.label, o.evidence)
    assert "22 answer options in six questions, 12 of them wrong; the library's numbers agree " \
           "with the course on 22 of 22" in text


def test_wrong_options_show_the_numbers_that_flag_them(tour):
    _, text, _ = tour
    rows = _option_rows(text)
    assert rows["2.1"][2] == "statements 4 and 5 hold"
    assert rows["2.2"][2] == "interior local minima on the grid: 0"
    assert rows["3.7"][2] == "statements 4, 5, 6, 8 hold"
    # ∂C_k/∂a(1) = (1 − y)² claims 0 and 1 where the slopes are 2(a − y): −2.1993 and +1.6673
    assert rows["3.1"][2] == ("claimed +0.0000 | +1.0000, finite differences -2.1993 | +1.6673")
    for label in ("6.1", "6.3", "6.4"):
        assert "flagged on 9 of 9 weights of W(1)" in rows[label][2], label
    assert "a vector of 3, not a 3×3 matrix" in rows["6.1"][2]
    assert "passes on all 9 weights of W(1)" in rows["6.2"][2]


def test_prints_the_exercises_numbers(tour):
    _, text, _ = tour
    for number in ("0.834", "0.696", "0.695", "1.2", "1.8"):
        assert number in text, number
    assert "C_1 = (0.834 − 0)² = 0.696" in text
    assert "≈ 1.2" in text and "≈ 1.8" in text
    for n in range(1, 7):
        assert f"Question {n}:" in text
    assert text.index("Question 1:") < text.index("Question 6:") < text.index("heart")


def test_q1_numbers_match_direct_computation(tour):
    r, _, _ = tour
    assert r.a1 == pytest.approx(np.tanh(1.3 * 1 - 0.1), rel=1e-15)
    assert r.a1_rounded == 0.834
    assert r.C1 == pytest.approx(np.tanh(1.2) ** 2, rel=1e-15)
    assert round(r.C1, 3) == 0.695
    assert r.C1_rounded == pytest.approx(0.834**2) and round(r.C1_rounded, 3) == 0.696
    assert r.C0 == pytest.approx((np.tanh(-0.1) - 1) ** 2, rel=1e-15)


def test_q2_valley_and_descent(tour):
    r, text, _ = tour
    assert r.C == pytest.approx(0.5 * ((np.tanh(-0.1) - 1) ** 2 + np.tanh(1.2) ** 2), rel=1e-15)
    assert np.all(r.valley_b > 0)
    # C(w, b) = ½[(tanh b − 1)² + tanh²(w + b)]: on a row, the cheapest w is exactly −b
    np.testing.assert_allclose(r.valley_w, -r.valley_b, atol=GRID[1] - GRID[0])
    assert "interior local minima on the grid: 0" in text
    # descent crosses the contours from the exercise's start into the valley
    np.testing.assert_allclose(r.descent_start, [1.3, -0.1])
    w, b = r.descent_end
    assert b > 1 and abs(w + b) < 0.2
    assert np.all(np.diff(r.descent_costs) <= 0)
    assert r.descent_costs[0] == pytest.approx(r.C) and r.descent_costs[-1] < 0.01
    assert "every step downhill: True" in text


def test_q3_derivatives_and_options(tour):
    r, _, _ = tour
    x, y = np.array([0.0, 1.0]), np.array([1.0, 0.0])
    z = 1.3 * x - 0.1
    a = np.tanh(z)
    expected = [2 * (a - y), 1 / np.cosh(z) ** 2, x, np.ones(2)]
    assert len(r.derivatives) == 4
    for got, want in zip(r.derivatives.values(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    found = {o.statement: o.found for o in r.options if o.question == 3}
    assert {k for k, passed in found.items() if not passed} == {
        "∂C_k/∂a(1) = (1 − y)²", "∂z(1)/∂a(1) = w(1)", "∂z(1)/∂b(1) = a(1)",
        "None of the other statements.", "∂a(1)/∂z(1) = σ"}
    assert len(found) == 9  # the four true statements passed
    common = 2 * (a - y) / np.cosh(z) ** 2
    assert r.dC_dw == pytest.approx(np.mean(common * x), rel=1e-12)
    assert r.dC_db == pytest.approx(np.mean(common), rel=1e-12)
    assert r.backprop_dw == pytest.approx(r.dC_dw, rel=1e-12)
    assert r.backprop_db == pytest.approx(r.dC_db, rel=1e-12)


def test_q4_dCdb(tour):
    r, text, _ = tour
    z = 2.3 * 0 - 1.2
    assert r.dCdb == pytest.approx(2 * (np.tanh(z) - 1) / np.cosh(z) ** 2, rel=1e-14)
    assert r.dCdb_backprop == pytest.approx(r.dCdb, rel=1e-12)
    # the pair the exercise leaves out is named as the tour's own choice
    assert "gives no pair.  We pick the NOT neuron's x = 0, y = 1." in text


def test_q4_the_exercises_own_line_is_wrong_and_by_how_much(tour):
    r, text, _ = tour
    a_minus_y = np.tanh(-1.2) - 1
    # 2(a − y)² is the right 2(a − y) times (a − y): here the wrong sign and 1.83 times the size
    assert r.dCdb_printed == pytest.approx(r.dCdb * a_minus_y, rel=1e-14)
    assert r.dCdb_printed == pytest.approx(2.0511, abs=1e-4) and r.dCdb < 0
    assert "dCda = 2 * (a1(w1, b1, x) - y)**2" in text
    assert (f"its dCdb is +2.0511 instead of -1.1186: the wrong sign, {abs(a_minus_y):.2f} times "
            "the size, off by 3.1697") in text


@pytest.mark.parametrize(("w1", "b1", "x", "y"), [(2.3, -1.2, 0.0, 1.0), (1.3, -0.1, 1.0, 0.0),
                                                  (-0.7, 0.4, 2.5, 0.3)])
def test_dCdb_as_printed_is_the_right_one_times_a_minus_y(w1, b1, x, y):
    a = np.tanh(w1 * x + b1)
    assert dCdb_as_printed(w1, b1, x, y) == pytest.approx(dCdb(w1, b1, x, y) * (a - y),
                                                          rel=1e-12)


@pytest.mark.parametrize(("w1", "b1", "x", "y"), [(2.3, -1.2, 0.0, 1.0), (1.3, -0.1, 1.0, 0.0),
                                                  (-0.7, 0.4, 2.5, 0.3)])
def test_dCdb_equals_backprop(w1, b1, x, y):
    net = Network([1, 1], "tanh", weights=[[[w1]]], biases=[[b1]])
    _, db = net.backprop([[x]], [[y]])
    assert dCdb(w1, b1, x, y) == pytest.approx(float(db[0][0]), rel=1e-10)


def test_q5_cost(tour):
    r, _, _ = tour
    d = np.tanh(W_Q5 @ X_Q5 + b_Q5) - Y_Q5
    np.testing.assert_allclose(r.a_q5, d + Y_Q5, rtol=1e-15)
    assert r.C_q5 == pytest.approx(d @ d, rel=1e-14)
    assert round(r.C_q5, 1) == 1.8


def test_q6_chain_backprop_and_finite_differences(tour):
    r, text, _ = tour
    # ∂a(2)/∂a(1) built here by hand from the same network
    net = Network(Q6_SIZES, "tanh", random_state=Q6_SEED)
    z2 = net.W[1] @ np.tanh(net.W[0] @ X_Q5 + net.b[0]) + net.b[1]
    np.testing.assert_allclose(r.q6_jacobian, np.diag(1 / np.cosh(z2) ** 2) @ net.W[1],
                               rtol=1e-13, atol=1e-15)
    assert r.q6_chain == pytest.approx(r.q6_backprop, rel=1e-12)
    assert r.q6_fd == pytest.approx(r.q6_chain, rel=1e-6)
    assert r.q6_backprop == pytest.approx(net.chain_rule(X_Q5, Y_Q5, Q6_PARAM).backprop, rel=1e-15)
    assert [(o.number, o.found) for o in r.options if o.question == 6] == [
        (1, False), (2, True), (3, False), (4, False)]
    assert "The exercise gives no numbers here; we pick a 3-3-3-2 tanh network" in text


def _check_png(path: Path) -> np.ndarray:
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # not a blank canvas
    return image


def test_pictures_are_valid_pngs(tour):
    r, _, out = tour
    assert r.landscape_png == out / "q2_landscape.png"
    assert r.heart_png == out / "heart.png"
    _check_png(r.landscape_png)
    _check_png(r.heart_png)
    assert sorted(p.name for p in out.iterdir()) == ["heart.png", "q2_landscape.png"]


def test_heart_network_learns_the_curve(tour):
    r, text, _ = tour
    assert r.heart_cost is not None and r.heart_cost < 0.002
    assert "1-6-7-2 logistic network" in text


def test_example_script_runs(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "120"}
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "exercise_tour.py"), str(out),
                           "--no-heart"], capture_output=True, text=True, timeout=120, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    for number in ("0.834", "0.696", "1.2", "1.8"):
        assert number in proc.stdout
    assert "skipped" in proc.stdout
    _check_png(out / "q2_landscape.png")
    assert not (out / "heart.png").exists()


def test_out_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    with pytest.raises(ConfigError, match="out_dir: expected a folder"):
        run_tour(target, Console(file=io.StringIO()), train_heart=False)
