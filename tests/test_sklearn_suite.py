"""scikit-learn's own tests of its MLPs, run against chainrule's estimators.

The module ``sklearn/neural_network/tests/test_mlp.py`` ships inside the installed
scikit-learn wheel.  It is loaded from there at test time (nothing of it is copied
into this repository) while ``sklearn.neural_network.MLPClassifier`` and
``MLPRegressor`` are, for the moment of its import, chainrule's classes: its tests,
and the estimators in their parametrisations, are then chainrule's.

Every test of that module runs here but those in :data:`PRIVATE`, which call
scikit-learn's private internals (its optimiser object, its L-BFGS objective, its
stopping counter).  For each, a test below asks the same question through chainrule's
public API; :func:`test_every_scikit_learn_test_runs_here_or_has_a_public_counterpart`
keeps the list honest.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import warnings
from types import ModuleType

import numpy as np
import pytest
import sklearn.neural_network
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer

import chainrule
from chainrule import check_gradient
from chainrule.estimators import MLPClassifier
from chainrule.optim.penalty import L2Penalty


def load_sklearn_mlp_tests() -> ModuleType:
    """scikit-learn's test module with chainrule's two estimators in place of its own."""
    spec = importlib.util.find_spec("sklearn.neural_network.tests.test_mlp")
    assert spec is not None and spec.loader is not None, "scikit-learn ships its tests"
    module = importlib.util.module_from_spec(spec)
    theirs = sklearn.neural_network.MLPClassifier, sklearn.neural_network.MLPRegressor
    try:
        sklearn.neural_network.MLPClassifier = chainrule.MLPClassifier
        sklearn.neural_network.MLPRegressor = chainrule.MLPRegressor
        spec.loader.exec_module(module)
    finally:
        sklearn.neural_network.MLPClassifier, sklearn.neural_network.MLPRegressor = theirs
    return module


SUITE = load_sklearn_mlp_tests()

# scikit-learn's tests that call its private internals: (what they call, why chainrule
# cannot answer it, the test here that asks the same question through the public API)
PRIVATE = {
    "test_gradient": (
        "_loss_grad_lbfgs",
        "checks scikit-learn's private L-BFGS objective against central differences",
        "test_the_objective_gradient_matches_central_differences"),
    "test_learning_rate_warmstart": (
        "_optimizer",
        "reads η from scikit-learn's private optimiser object",
        "test_warm_starts_keep_or_continue_the_learning_rate_schedule"),
    "test_adaptive_learning_rate": (
        "_optimizer",
        "reads η from scikit-learn's private optimiser object",
        "test_adaptive_learning_rate_falls_below_its_floor_and_stops"),
    "test_n_iter_no_change": (
        "_no_improvement_count",
        "reads scikit-learn's private count of epochs without improvement",
        "test_training_stops_after_n_iter_no_change_epochs_without_improvement"),
    "test_n_iter_no_change_inf": (
        "_no_improvement_count",
        "reads scikit-learn's private count of epochs without improvement",
        "test_infinite_n_iter_no_change_never_stops_and_counts_every_epoch"),
}

for _name, _test in vars(SUITE).copy().items():
    if _name.startswith("test_") and _name not in PRIVATE:
        globals()[_name] = _test


@pytest.fixture
def global_random_seed() -> int:
    """scikit-learn's default seed for the tests that take one (its conftest's fixture)."""
    return 42


def test_every_scikit_learn_test_runs_here_or_has_a_public_counterpart():
    theirs = {name for name in vars(SUITE) if name.startswith("test_")}
    ours = {name for name in globals() if name.startswith("test_")}
    assert len(theirs) >= 40 and SUITE.MLPClassifier is chainrule.MLPClassifier
    assert theirs - set(PRIVATE) <= ours and not set(PRIVATE) & ours
    for name, (private, reason, counterpart) in PRIVATE.items():
        assert f".{private}" in inspect.getsource(getattr(SUITE, name)), name
        assert reason and callable(globals()[counterpart]), counterpart


# ---------------------------------------------------------------------------
# the same questions, through chainrule's public API


def l2_objective(mlp: MLPClassifier, X: np.ndarray, Y: np.ndarray):
    """``J(θ) = C + (α/2N) Σ W²`` of a fitted estimator's network, and ``∂J/∂θ``, from the
    network's public cost and gradient and chainrule's L2 penalty (weights only)."""
    net = mlp.network_
    weights = np.zeros(net.n_params, bool)
    for w0, b0 in net.offsets():
        weights[w0:b0] = True
    penalty = L2Penalty(mlp.alpha, weights)

    def objective(theta: np.ndarray) -> float:
        net.params[:] = theta
        return net.compute_cost(X, Y) + penalty.value(theta, len(X))

    def gradient(theta: np.ndarray) -> np.ndarray:
        net.params[:] = theta
        g = net.cost_and_gradient(X, Y)[1].copy()
        penalty.add_to(g, theta, len(X))
        return g

    return objective, gradient


def test_the_objective_gradient_matches_central_differences():
    """test_gradient: ∂J/∂θ of ``J = C + (α/2N) Σ W²`` for every activation, 2 and 3 classes."""
    rng = np.random.RandomState(seed=42)
    X = rng.rand(5, 10)
    for n_labels in (2, 3):
        y = 1 + np.mod(np.arange(5) + 1, n_labels)
        Y = LabelBinarizer().fit_transform(y).astype(float)
        for activation in ("identity", "logistic", "tanh", "relu"):
            mlp = MLPClassifier(activation=activation, hidden_layer_sizes=10, solver="lbfgs",
                                alpha=1e-5, max_iter=1, random_state=1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                mlp.fit(X, y)
            objective, gradient = l2_objective(mlp, X, Y)
            result = check_gradient(objective, gradient, mlp.network_.params.copy())
            assert result.passed, (n_labels, activation, result.summary())


def test_warm_starts_keep_or_continue_the_learning_rate_schedule():
    """test_learning_rate_warmstart, with the public learning_rate_ (η of the next step)."""
    X, y = [[3, 2], [1, 6], [5, 6], [-2, -4]], [1, 1, 1, 0]
    for learning_rate in ("invscaling", "constant"):
        mlp = MLPClassifier(solver="sgd", hidden_layer_sizes=4, learning_rate=learning_rate,
                            max_iter=1, power_t=0.25, warm_start=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X, y)
            prev_eta = mlp.learning_rate_
            mlp.fit(X, y)
            post_eta = mlp.learning_rate_
        if learning_rate == "constant":
            assert prev_eta == post_eta == mlp.learning_rate_init
        else:  # η₀ / (t_ + 1)^power_t with t_ = 8 examples seen over the two fits
            assert prev_eta == mlp.learning_rate_init / pow(4 + 1, mlp.power_t)
            assert post_eta == mlp.learning_rate_init / pow(8 + 1, mlp.power_t)


def test_adaptive_learning_rate_falls_below_its_floor_and_stops():
    """test_adaptive_learning_rate: η divided by 5 at each stall, stopping below 1e-6."""
    X, y = [[3, 2], [1, 6]], [1, 0]
    clf = MLPClassifier(tol=0.5, max_iter=3000, solver="sgd", learning_rate="adaptive")
    clf.fit(X, y)
    assert clf.max_iter > clf.n_iter_
    assert 1e-6 > clf.learning_rate_


def epochs_without_improvement(loss_curve: list[float], tol: float) -> int:
    """scikit-learn's count at the end of a run, from the public loss curve: an epoch
    counts when its loss is above the best so far minus ``tol``; an improvement resets."""
    best, count = math.inf, 0
    for loss in loss_curve:
        count = count + 1 if loss > best - tol else 0
        best = min(best, loss)
    return count


def test_training_stops_after_n_iter_no_change_epochs_without_improvement():
    """test_n_iter_no_change: the run stops once more than n_iter_no_change epochs stall."""
    X, y = SUITE.X_digits_binary[:100], SUITE.y_digits_binary[:100]
    for n_iter_no_change in (2, 5, 10, 50, 100):
        clf = MLPClassifier(tol=0.01, max_iter=3000, solver="sgd",
                            n_iter_no_change=n_iter_no_change)
        clf.fit(X, y)
        assert epochs_without_improvement(clf.loss_curve_, clf.tol) == n_iter_no_change + 1
        assert epochs_without_improvement(clf.loss_curve_[:-1], clf.tol) == n_iter_no_change
        assert clf.max_iter > clf.n_iter_


def test_infinite_n_iter_no_change_never_stops_and_counts_every_epoch():
    """test_n_iter_no_change_inf: with a huge tol every epoch but the first stalls, and
    n_iter_no_change=inf still never stops (300 epochs here, 3000 there)."""
    X, y = SUITE.X_digits_binary[:100], SUITE.y_digits_binary[:100]
    clf = MLPClassifier(tol=1e9, max_iter=300, solver="sgd", n_iter_no_change=np.inf)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        clf.fit(X, y)
    assert clf.n_iter_ == clf.max_iter
    assert epochs_without_improvement(clf.loss_curve_, clf.tol) == clf.n_iter_ - 1
