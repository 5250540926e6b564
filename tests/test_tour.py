"""The seed walk-through prints the seed's numbers, and every number it returns is right."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from rich.console import Console

from chainrule import ConfigError, Network
from chainrule.tour import (
    GRID,
    Q6_PARAM,
    Q6_SEED,
    Q6_SIZES,
    SEED_W,
    X_Q5,
    Y_Q5,
    SEED_b,
    TourResult,
    run_tour,
    seed_dCdb,
)

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


def test_prints_the_seeds_numbers(tour):
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
    assert r.a1_seed == 0.834
    assert r.C1 == pytest.approx(np.tanh(1.2) ** 2, rel=1e-15)
    assert round(r.C1, 3) == 0.695
    assert r.C1_seed == pytest.approx(0.834**2) and round(r.C1_seed, 3) == 0.696
    assert r.C0 == pytest.approx((np.tanh(-0.1) - 1) ** 2, rel=1e-15)


def test_q2_valley_and_descent(tour):
    r, text, _ = tour
    assert r.C == pytest.approx(0.5 * ((np.tanh(-0.1) - 1) ** 2 + np.tanh(1.2) ** 2), rel=1e-15)
    assert np.all(r.valley_b > 0)
    # C(w, b) = ½[(tanh b − 1)² + tanh²(w + b)]: on a row, the cheapest w is exactly −b
    np.testing.assert_allclose(r.valley_w, -r.valley_b, atol=GRID[1] - GRID[0])
    assert "interior local minima on the grid: 0" in text
    # descent crosses the contours from the seed's start into the valley
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
    wrong = {k for k, passed in r.options.items() if not passed}
    assert wrong == {"∂C_k/∂a(1) = (1 − y)²", "∂z(1)/∂a(1) = w(1)", "∂z(1)/∂b(1) = a(1)",
                     "∂a(1)/∂z(1) = σ"}
    assert len(r.options) == 8  # the four true statements passed
    common = 2 * (a - y) / np.cosh(z) ** 2
    assert r.dC_dw == pytest.approx(np.mean(common * x), rel=1e-12)
    assert r.dC_db == pytest.approx(np.mean(common), rel=1e-12)
    assert r.backprop_dw == pytest.approx(r.dC_dw, rel=1e-12)
    assert r.backprop_db == pytest.approx(r.dC_db, rel=1e-12)


def test_q4_dCdb(tour):
    r, _, _ = tour
    z = 2.3 * 0 - 1.2
    assert r.dCdb == pytest.approx(2 * (np.tanh(z) - 1) / np.cosh(z) ** 2, rel=1e-14)
    assert r.dCdb_backprop == pytest.approx(r.dCdb, rel=1e-12)


@pytest.mark.parametrize(("w1", "b1", "x", "y"), [(2.3, -1.2, 0.0, 1.0), (1.3, -0.1, 1.0, 0.0),
                                                  (-0.7, 0.4, 2.5, 0.3)])
def test_seed_dCdb_equals_backprop(w1, b1, x, y):
    net = Network([1, 1], "tanh", weights=[[[w1]]], biases=[[b1]])
    _, db = net.backprop([[x]], [[y]])
    assert seed_dCdb(w1, b1, x, y) == pytest.approx(float(db[0][0]), rel=1e-10)


def test_q5_cost(tour):
    r, _, _ = tour
    d = np.tanh(SEED_W @ X_Q5 + SEED_b) - Y_Q5
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
    assert r.q6_options == {"∂a(j)/∂a(j−1) = σ'(z(j)) W(j)": True,
                            "∂a(j)/∂a(j−1) = σ'(z(j)) W(j−1)": False}
    assert "flagged on 9 of 9 weights" in text


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
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "seed_tour.py"), str(out),
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
