"""The estimators' inputs and attributes as scikit-learn has them: sparse X, the input's
dtype, the Poisson loss, assignable coefs_/intercepts_, divergence with early stopping,
the package-root names and to_model()."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import neural_network as sk
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.preprocessing import StandardScaler

import chainrule
from chainrule import ConfigError, DataError, Model, ShapeError
from chainrule.estimators import MLPClassifier, MLPRegressor


def iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def digits(n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16, y[:n]


def max_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b, strict=True))


SAME_STEPS = dict(hidden_layer_sizes=(10,), random_state=0, shuffle=False, alpha=0.0,
                  batch_size=32)

# ---------------------------------------------------------------------------
# the package root


def test_the_estimators_are_importable_from_the_package_root_without_importing_sklearn():
    assert chainrule.MLPClassifier is MLPClassifier and chainrule.MLPRegressor is MLPRegressor
    assert {"MLPClassifier", "MLPRegressor"} <= set(chainrule.__all__) <= set(dir(chainrule))
    code = ("import sys, chainrule\n"
            "before = 'sklearn' in sys.modules\n"
            "from chainrule import MLPClassifier\n"
            "print(before, 'sklearn' in sys.modules, MLPClassifier.__module__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "True", "chainrule.estimators.classifier"]
    with pytest.raises(AttributeError, match="no attribute 'MLPClassifer'"):
        chainrule.MLPClassifer  # noqa: B018  (a misspelt name is still an AttributeError)


def test_to_model_gives_the_model_of_the_fitted_network():
    X, y = iris()
    clf = MLPClassifier((8,), solver="lbfgs", random_state=0, max_iter=300).fit(X, y)
    model = clf.to_model()
    assert isinstance(model, Model) and model.classes == [0, 1, 2]
    np.testing.assert_array_equal(model.predict(X), clf.predict(X))
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X), rtol=1e-12)
    assert not np.shares_memory(model.network.params, clf.network_.params)  # a copy


# ---------------------------------------------------------------------------
# sparse inputs


@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "csr_array", "csc_array"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_inputs_train_and_predict_as_the_dense_ones(fmt, solver):
    X, y = digits()
    Xs = getattr(sp, fmt)(X)
    params = dict(hidden_layer_sizes=(15,), solver=solver, random_state=1, max_iter=15)
    with pytest.warns(ConvergenceWarning):
        dense = MLPClassifier(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        sparse = MLPClassifier(**params).fit(Xs, y)
    assert sparse.n_iter_ == dense.n_iter_
    # the same steps, summed in another order: equal to rounding, compounded over the run
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-9)
    assert max_abs_diff(sparse.coefs_, dense.coefs_) < 1e-8
    np.testing.assert_array_equal(sparse.predict(Xs), sparse.predict(X))
    np.testing.assert_allclose(sparse.predict_proba(Xs), dense.predict_proba(X), atol=1e-9)


def test_sparse_inputs_are_never_made_dense():
    """A 2,000 × 200,000 sparse X (3.2 GB dense) trains with far less memory than that."""
    rng = np.random.default_rng(0)
    n, d = 2_000, 200_000
    nnz = 10 * n  # ten features per row
    X = sp.csr_matrix((rng.normal(size=nnz), (rng.integers(0, n, nnz), rng.integers(0, d, nnz))),
                      shape=(n, d))
    y = rng.normal(size=n)
    reg = MLPRegressor(hidden_layer_sizes=(4,), random_state=0, max_iter=2, early_stopping=True)
    tracemalloc.start()
    try:
        with pytest.warns(ConvergenceWarning):
            reg.fit(X, y)
        reg.predict(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    weights = reg.network_.params.nbytes  # 200,000 × 4 first-layer weights: 6.4 MB
    assert peak < 20 * weights < 0.05 * n * d * 8


def test_sparse_early_stopping_and_partial_fit():
    X, y = digits()
    Xs = sp.csr_matrix(X)
    clf = MLPClassifier((10,), early_stopping=True, random_state=0, max_iter=5)
    with pytest.warns(ConvergenceWarning):
        clf.fit(Xs, y)
    ref = MLPClassifier((10,), early_stopping=True, random_state=0, max_iter=5)
    with pytest.warns(ConvergenceWarning):
        ref.fit(X, y)
    np.testing.assert_allclose(clf.validation_scores_, ref.validation_scores_)
    sparse, dense = (MLPClassifier((10,), random_state=0, learning_rate_init=0.01)
                     for _ in range(2))
    for _ in range(5):
        sparse.partial_fit(Xs, y, classes=np.arange(10))
        dense.partial_fit(X, y, classes=np.arange(10))
    assert max_abs_diff(sparse.coefs_, dense.coefs_) < 1e-10
    assert sparse.score(Xs, y) > 0.25  # ten Adam steps: well above chance (0.1) already


# ---------------------------------------------------------------------------
# the input's precision


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_float32_input_trains_a_float32_network_and_the_rest_float64(Estimator):
    X, y = digits()
    params = dict(hidden_layer_sizes=(5,), random_state=1, max_iter=5)
    for given, network in ((np.float32, np.float32), (np.float64, np.float64),
                           (np.int64, np.float64), (np.float16, np.float64)):
        est = Estimator(**params)
        with pytest.warns(ConvergenceWarning):
            est.fit((X * 16).astype(given), y)
        assert est.network_.dtype == network, given
        assert all(c.dtype == network for c in est.coefs_ + est.intercepts_)
    # dtype= still decides when given, and a continued fit keeps the network's precision
    est = Estimator(**params, dtype="float64")
    with pytest.warns(ConvergenceWarning):
        est.fit(X.astype(np.float32), y)
    assert est.network_.dtype == np.float64
    est = Estimator(**params, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        est.fit(X.astype(np.float32), y)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)  # float64 now: converted to the float32 network's precision
    assert est.network_.dtype == np.float32
    with pytest.raises(ConfigError, match="dtype: the fitted network is float32"):
        est.set_params(dtype="float64").fit(X, y)


# ---------------------------------------------------------------------------
# the Poisson loss


def test_poisson_takes_scikit_learns_steps():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1]))
    params = dict(SAME_STEPS, loss="poisson", max_iter=25, learning_rate_init=0.01)
    with pytest.warns(ConvergenceWarning):
        ours = MLPRegressor(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        ref = sk.MLPRegressor(**params).fit(X, y)
    assert ours.out_activation_ == ref.out_activation_ == "exp"
    assert ours.network_.cost.name == "poisson"
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)
    assert max_abs_diff(ours.coefs_, ref.coefs_) < 1e-12
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-12)
    assert (ours.predict(X) > 0).all()
    lbfgs = dict(hidden_layer_sizes=(4,), loss="poisson", solver="lbfgs", alpha=0.01,
                 random_state=0, max_iter=20)
    with pytest.warns(ConvergenceWarning):
        ours = MLPRegressor(**lbfgs).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        ref = sk.MLPRegressor(**lbfgs).fit(X, y)
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-10)


def test_poisson_with_one_identity_unit_is_the_poisson_glm():
    rng = np.random.default_rng(3)
    X = np.linspace(0, 1, 100)[:, None]
    y = rng.poisson(np.exp(X[:, 0] + 1))
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y)
    mlp = MLPRegressor(loss="poisson", hidden_layer_sizes=(1,), activation="identity", alpha=0,
                       solver="lbfgs", tol=1e-7, random_state=0).fit(X, y)
    np.testing.assert_allclose(mlp.predict(X), glm.predict(X), rtol=1e-4)


def test_poisson_refuses_negative_targets_and_other_output_layers():
    X = np.ones((4, 2))
    with pytest.raises(DataError, match="loss='poisson' needs targets y >= 0"):
        MLPRegressor(loss="poisson").fit(X, [1, 0, -1, 2])
    with pytest.raises(ConfigError, match="needs an exp output layer, got 'identity'"):
        MLPRegressor(loss="poisson", output_activation="identity").fit(X, [1, 0, 1, 2])


# ---------------------------------------------------------------------------
# coefs_ and intercepts_ assigned


def test_assigned_weights_are_copied_into_the_network_views_kept():
    X, y = iris()
    clf = MLPClassifier((5,), solver="lbfgs", random_state=0, max_iter=50)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    net = clf.network_
    new = [np.full((4, 5), 0.1), np.full((5, 3), -0.2)]
    clf.coefs_ = new
    assert clf.network_ is net and np.shares_memory(clf.coefs_[0], net.params)
    np.testing.assert_array_equal(net.W[0], new[0].T)
    new[0][0, 0] = 9.0  # copied: the caller's array is not the network's
    assert net.W[0][0, 0] == 0.1
    clf.intercepts_[1] = [1.0, 2.0, 3.0]  # one layer: copied into the view as well
    np.testing.assert_array_equal(net.b[1], [1.0, 2.0, 3.0])
    clf.coefs_[1][:] = 0.0  # and in place, as ever
    np.testing.assert_array_equal(net.W[1], 0.0)
    softmax = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    np.testing.assert_allclose(clf.predict_proba(X), np.tile(softmax, (150, 1)), rtol=1e-12)
    with pytest.raises(ShapeError, match=r"coefs_\[0\]: expected shape \(4, 5\), got \(5, 4\)"):
        clf.coefs_ = [np.zeros((5, 4)), np.zeros((5, 3))]
    with pytest.raises(ShapeError, match="intercepts_: the network has 2 layers, got 1"):
        clf.intercepts_ = [np.zeros(5)]
    with pytest.raises(DataError, match=r"intercepts_\[0\]: contains NaN"):
        clf.intercepts_[0] = np.full(5, np.nan)


def test_weights_assigned_before_fitting_start_partial_fit_and_warm_starts():
    X, y = iris()
    rng = np.random.default_rng(0)
    coefs = [rng.normal(size=(4, 6)), rng.normal(size=(6, 3))]
    intercepts = [rng.normal(size=6), rng.normal(size=3)]
    ours = MLPClassifier((6,), solver="sgd", shuffle=False, random_state=0, momentum=0.0)
    ours.coefs_ = [c.copy() for c in coefs]
    ours.intercepts_ = []
    for b in intercepts:
        ours.intercepts_.append(b.copy())  # the list assigned is the one kept, as a list is
    ours.partial_fit(X, y, classes=[0, 1, 2])
    # one epoch of plain gradient descent from those weights, by the engine itself
    net = chainrule.Network([4, 6, 3], "relu", "softmax", "cross_entropy",
                            weights=[c.T for c in coefs], biases=intercepts)
    chainrule.fit(net, X, np.eye(3)[y], epochs=1, optimizer="gd", learning_rate=0.001,
                  batch_size=None, l2=1e-4)
    np.testing.assert_allclose(ours.network_.params, net.params, rtol=1e-13)
    warm = MLPClassifier((6,), warm_start=True, max_iter=1, random_state=0)
    warm.coefs_, warm.intercepts_ = coefs, intercepts
    with pytest.warns(ConvergenceWarning):
        warm.fit(X, y)
    assert max_abs_diff(warm.coefs_, coefs) < 0.01  # one Adam epoch away from them
    cold = MLPClassifier((6,), max_iter=1, random_state=0)
    cold.coefs_, cold.intercepts_ = coefs, intercepts
    with pytest.warns(ConvergenceWarning):
        cold.fit(X, y)  # no warm start: scikit-learn's initial weights, as scikit-learn
    assert max_abs_diff(cold.coefs_, coefs) > 0.5
    bad = MLPClassifier((6,), warm_start=True)
    bad.coefs_ = coefs
    with pytest.raises(DataError, match="intercepts_: a fit that starts from assigned"):
        bad.fit(X, y)
    assert not hasattr(MLPClassifier(), "coefs_")


# ---------------------------------------------------------------------------
# divergence


def test_divergence_with_early_stopping_keeps_the_best_weights_as_scikit_learn_does():
    X, y = iris()
    reg = MLPRegressor(**SAME_STEPS, solver="sgd", learning_rate_init=0.01, early_stopping=True,
                       validation_fraction=0.2, max_iter=20, warm_start=True)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        reg.fit(X, y)
    best = reg.network_.params.copy()  # the best epoch's, put back at the end
    best_score, n_scores = reg.best_validation_score_, len(reg.validation_scores_)
    reg.set_params(learning_rate_init=50.0, max_iter=5)  # a warm restart that diverges
    with pytest.warns(ConvergenceWarning, match="diverged in epoch .*best validation score"):
        reg.fit(X, y)
    assert np.isnan(reg.validation_scores_[-1]) and np.isnan(reg.loss_curve_[-1])
    assert len(reg.validation_scores_) == n_scores + reg.n_iter_ and reg.n_iter_ < 5
    np.testing.assert_array_equal(reg.network_.params, best)
    assert reg.best_validation_score_ == best_score
    # without early stopping there are no best weights: an error, as in scikit-learn
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        MLPRegressor(solver="sgd", learning_rate_init=50.0, random_state=0).fit(X, y)


def test_a_class_too_small_to_stratify_is_named_as_scikit_learn_names_it():
    X, y = [[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1]
    for est in (MLPClassifier(early_stopping=True), sk.MLPClassifier(early_stopping=True)):
        with pytest.raises(ValueError, match=r"Classes with too few members are: \['True'\]"):
            est.fit(X, y)
