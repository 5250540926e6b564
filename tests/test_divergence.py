"""Divergence that stays finite: weights and costs that run away are caught at an epoch's end
(chainrule.train.divergence), the weights put back, and large weights that are needed are not.

The non-finite cases (NaN, infinity, overflow at the very end) are in test_reliability.py.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule
from chainrule import DivergenceError, Network
from chainrule.data import load_dataset
from chainrule.train import DivergenceGuard, fit


def test_moderate_weights_whose_cost_overflows_at_the_very_end_are_not_returned():
    # the last epoch's end has no next batch to compute a cost at it: fit computes one.  The
    # input is 1e150, so a weight of −2e4 (grown 13,000-fold: no runaway) already overflows
    X, Y = np.array([[1e150]]), np.array([[0.0]])
    net = Network([1, 1], "identity", weights=[[[0.5]]], biases=[[0.0]])
    start = net.params.copy()
    with pytest.raises(DivergenceError, match=r"the cost at the weights training ended with "
                                              r"\(epoch 1\) is not finite.*before training") as e:
        fit(net, X, Y, epochs=1, optimizer="gd", learning_rate=2e-296, batch_size=None)
    assert e.value.epoch == 1 and e.value.batch is None
    np.testing.assert_array_equal(net.params, start)


def test_lbfgs_whose_cost_at_the_start_overflows_raises_instead_of_training_nothing():
    # exp(800) in the hidden layer: SciPy stopped before its first iteration and fit
    # returned an empty History as if training had completed
    X = np.random.default_rng(1).normal(size=(50, 2)) * 800
    Y = np.eye(2)[(X[:, 0] > 0).astype(int)]
    net = Network([2, 8, 2], "exp", "softmax", cost="cross_entropy", random_state=0)
    start = net.params.copy()
    with pytest.raises(DivergenceError, match=r"non-finite in iteration 1; not even the cost "
                                              r"at the starting weights is finite") as e:
        fit(net, X, Y, epochs=5, optimizer="lbfgs")
    assert e.value.epoch == 1 and e.value.kept_epoch == 0
    np.testing.assert_array_equal(net.params, start)


@pytest.mark.parametrize("rate", [1e12, 1e300])
def test_a_classifier_whose_weights_run_away_finite_is_stopped(rate):
    # Adam moves each weight by about η a step: with η = 1e12 the weights reach 1e12 and
    # the cross-entropy 1e12 in the first epoch, both finite; with 1e300, 1e300
    data = load_dataset("circle")
    net = Network([2, 8, 2], "tanh", cost="cross_entropy", random_state=0)
    start = net.params.copy()
    with pytest.raises(DivergenceError, match=r"in epoch 1; try a smaller learning rate.*"
                                              r"from before training are kept") as e:
        fit(net, data.X, data.y, epochs=200, batch_size=32, learning_rate=rate,
            random_state=0)
    said = str(e.value)
    if rate == 1e12:
        assert re.search(r"the weights ran away, from at most 0\.77 to 3\.5\de\+12, while the "
                         r"cost rose from 0\.62\d to 2\.2\d\de\+12", said), said
    else:
        assert "beyond 1.34e+154 (their squares overflow)" in said
    np.testing.assert_array_equal(net.params, start)


def test_large_but_useful_weights_are_no_runaway():
    # a target of three million times the input needs a weight of three million: Adam (a
    # step of about η whatever the gradient's size) gets there as the cost falls: no alarm
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 1))
    Y = 3e6 * X
    net = Network([1, 1], "identity", random_state=0)
    history = fit(net, X, Y, optimizer="adam", learning_rate=3e4, epochs=400,
                  batch_size=None)
    assert abs(net.W[0][0, 0]) > 2e6 and history.cost[-1] < 1e-3 * history.cost[0]
    guard = DivergenceGuard(np.array([0.5]), 0)
    assert guard.cost_ok(9.0)
    assert guard.weights_problem(np.array([3e6]), 1e-4) is None
    assert guard.weights_problem(np.array([3e6]), 10.0).startswith("the weights ran away")


def _exact_verdict(params, start_size, start_cost, cost):
    """What weights_problem must say, from max |θ| alone (the module docstring's rules)."""
    size = max(float(np.max(params)), -float(np.min(params)))
    if not np.isfinite(size):
        return "non-finite"
    if size > np.sqrt(float(np.finfo(params.dtype).max)):
        return "beyond"
    if size > 1e6 * (1 + start_size) and cost > start_cost:
        return "ran away"
    return None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_one_pass_check_decides_as_the_exact_checks(dtype, rng):
    # weights_problem first clears θ with one sum of squares; where that cannot, it takes
    # max |θ|: the verdict must be the same whichever path gives it, at both bounds too
    ceiling = np.sqrt(float(np.finfo(dtype).max))
    words = {"non-finite": "non-finite", "beyond": "beyond", "ran away": "ran away"}
    sizes = [0.0, 1.0, 4.9e5, 5e5, 1.9e6, 2e6, 2.1e6, 1e12, ceiling / 4, ceiling / 2,
             ceiling * 0.999, np.nextafter(np.float32(ceiling) if dtype == "float32"
                                           else ceiling, np.inf), np.inf, np.nan]
    for n in (1, 3, 1000):
        for size in sizes:
            for cost in (0.1, 10.0):
                params = (rng.uniform(-1, 1, n) * 1e-3).astype(dtype)
                with np.errstate(over="ignore"):
                    params[n // 2] = size
                guard = DivergenceGuard(np.full(n, 0.5, dtype), 0)
                assert guard.cost_ok(1.0)
                got = guard.weights_problem(params, cost)
                want = _exact_verdict(params, 0.5, 1.0, cost)
                assert (got is None) == (want is None), (n, size, cost, got)
                if want is not None:
                    assert words[want] in got, (got, want)


def test_the_command_stops_a_runaway_and_saves_the_weights_it_started_from(tmp_path, capsys):
    from chainrule.cli import main

    model = tmp_path / "m.safetensors"
    code = main(["train", "--dataset", "circle", "--lr", "1e12", "-q", "-o", str(model)])
    err = capsys.readouterr().err
    assert code == 1
    assert re.search(r"^error: training diverged: the weights ran away, from at most \S+ to "
                     r"\S+e\+12, while the cost rose from \S+ to \S+e\+12 in epoch 1; try a "
                     r"smaller learning rate \(now 1e\+12\)\. The weights from before training "
                     rf"are kept\. They were saved to {re.escape(str(model))}\.$", err), err
    saved = chainrule.load_model(model)
    start = Network([2, 8, 2], "tanh", cost="cross_entropy", random_state=0)
    np.testing.assert_array_equal(saved.network.params, start.params)
    assert saved.training["status"] == "diverged" and saved.training["epochs_run"] == 0
