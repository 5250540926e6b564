"""The scikit-learn estimators: compliance, step-for-step parity with sklearn, scores, habits."""

from __future__ import annotations

import functools
import pickle
import unittest

import numpy as np
import pandas as pd
import pytest
from sklearn import neural_network as sk
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, make_friedman1, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks, set_random_state

from chainrule import ConfigError, Network
from chainrule.estimators import MLPClassifier, MLPRegressor
from float32_checks import check_sample_weight_equivalence_float32

# ---------------------------------------------------------------------------
# data


def iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def regression() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_regression(200, 5, noise=5.0, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


def max_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b, strict=True))


# Same data order every epoch, so the two libraries take the same steps from the
# same (seeded) initial weights; alpha=0 because scikit-learn counts the L2 term in
# loss_ once per mini-batch and chainrule once per epoch.
SAME_STEPS = dict(hidden_layer_sizes=(10,), random_state=0, shuffle=False, alpha=0.0,
                  batch_size=32)


# ---------------------------------------------------------------------------
# scikit-learn's estimator checks

# Checks that sklearn itself declares not applicable (by raising SkipTest) for these estimators.
NOT_APPLICABLE = {
    "check_classifiers_multilabel_output_format_decision_function":
        "does not have a decision_function",
}
# The array-API checks (the estimators with a step solver claim array_api_support; those with
# L-BFGS get the NumPy-only one) run with SCIPY_ARRAY_API=1, as scikit-learn requires; they
# are skipped only for a library or device this machine lacks (PyTorch on the CPU and
# array_api_strict, which the test extras install, run: "not installed" is not accepted for them)
ABSENT = ("cupy is not installed", "dpnp is not installed",
          "requires cuda, which is not available", "no XPU device is available",
          "PYTORCH_ENABLE_MPS_FALLBACK is not set")


EPS32 = float(np.finfo(np.float32).eps)


def output_term_scale(estimator: MLPRegressor | MLPClassifier, X: np.ndarray) -> float:
    """``max_k,i Σ_j |W_ij a_j| + |b_i|`` of the output layer: the size at which z is rounded."""
    net = estimator.network_
    A = net.forward(X).A[-2]  # (N, n_{L−1}), the last hidden layer
    return float((np.abs(A) @ np.abs(net.W[-1]).T + np.abs(net.b[-1])).max())


def check_methods_subset_invariance_float32(name: str, estimator_orig: object) -> None:
    """scikit-learn's check_methods_subset_invariance (same data and fit), float32 tolerance.

    ``rtol = 4 ε₃₂`` and ``atol = 4 ε₃₂ · S`` with ``S`` the output layer's largest sum
    of ``|terms|`` (:func:`output_term_scale`), the scale of a sum's rounding error.
    Measured over 20 seeds of these fits, row by row and all rows at once differ by at
    most 1.2 ε₃₂ · S, but by up to 14 ε₃₂ · max|output| where the terms cancel.
    """
    rnd = np.random.RandomState(0)
    X = 3 * rnd.uniform(size=(20, 3))
    y = X[:, 0].astype(int)
    estimator = clone(estimator_orig)
    set_random_state(estimator, 1)
    estimator.fit(X, y)
    tol = 4 * EPS32
    atol = tol * output_term_scale(estimator, X)
    for method in ["predict", "transform", "decision_function", "score_samples", "predict_proba"]:
        if hasattr(estimator, method):
            f = getattr(estimator, method)
            full = np.ravel(f(X))
            by_row = np.ravel([f(x.reshape(1, -1)) for x in X])
            np.testing.assert_allclose(
                by_row, full, rtol=tol, atol=atol,
                err_msg=f"{method} of {name} is not invariant when applied to a subset")


# Checks whose fixed tolerance float32 arithmetic cannot meet: for float32 estimators our own
# version of the same check runs instead, with a float32 tolerance.  (reason, replacement)
FLOAT32_TOLERANCE = {
    "check_methods_subset_invariance": (
        "BLAS rounds a row's float32 product differently with the number of rows sharing the "
        "GEMM (NumPy uses GEMV for one row): up to ~3 ε32 relative, more than the check's "
        "absolute 1e-7 for outputs of size ~1",
        check_methods_subset_invariance_float32),
    "check_sample_weight_equivalence_on_dense_data": (
        "the repeated rows and the weighted rows are summed in another order: float32 "
        "rounding, ~1e-7 of the outputs' size (more after L-BFGS's line searches), above "
        "the check's rtol of 1e-7 (see float32_checks)",
        check_sample_weight_equivalence_float32),
    "check_sample_weight_equivalence_on_sparse_data": (
        "as on dense data", functools.partial(check_sample_weight_equivalence_float32,
                                              sparse=True)),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        MLPClassifier(max_iter=100),
        MLPRegressor(max_iter=100),
        MLPClassifier(solver="lbfgs", max_iter=100),
        MLPRegressor(solver="lbfgs", max_iter=100),
        MLPClassifier(solver="sgd", activation="tanh", max_iter=100, dtype="float32"),
        MLPRegressor(solver="sgd", activation="tanh", learning_rate="adaptive",
                     learning_rate_init=0.01, max_iter=100, dtype="float32"),
        MLPRegressor(max_iter=100, dtype="float32"),
        MLPRegressor(solver="lbfgs", activation="softplus", max_iter=100, dtype="float32"),
        MLPRegressor(loss="squared_error_no_half", max_iter=100),
        MLPClassifier(solver="lbfgs", max_iter=100, dtype="float32"),
    ],
)
def test_sklearn_estimator_checks(estimator, check, monkeypatch):
    name = getattr(check, "func", check).__name__
    if estimator.dtype == "float32" and name in FLOAT32_TOLERANCE:
        FLOAT32_TOLERANCE[name][1](type(estimator).__name__, estimator)
        return
    array_api = name.startswith("check_array_api")
    if array_api:
        monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    try:
        check(estimator)
    except unittest.SkipTest as skip:  # only where sklearn says the check does not apply
        if array_api:
            assert any(reason in str(skip) for reason in ABSENT), f"{name} skipped: {skip}"
            return
        assert name in NOT_APPLICABLE, f"{name} skipped: {skip}"
        assert NOT_APPLICABLE[name] in str(skip)


def test_the_array_api_checks_run_on_pytorch_and_array_api_strict_here():
    """The estimators with a step solver claim array_api_support, L-BFGS's do not; the
    machine has PyTorch on the CPU and array_api_strict, so scikit-learn's checks of them
    are not skipped."""
    from sklearn.utils import get_tags

    assert get_tags(MLPClassifier()).array_api_support
    assert get_tags(MLPRegressor(solver="sgd")).array_api_support
    assert not get_tags(MLPClassifier(solver="lbfgs")).array_api_support
    import array_api_strict  # noqa: F401  (the test extras install both)
    import torch  # noqa: F401


def test_float32_subset_check_needs_its_tolerance_and_catches_real_differences():
    """The stock check fails on float32 rounding alone; ours still fails on a real dependence."""
    from sklearn.utils.estimator_checks import check_methods_subset_invariance

    est = MLPRegressor(solver="lbfgs", max_iter=100, dtype="float32")
    with pytest.warns(ConvergenceWarning), pytest.raises(AssertionError, match="invariant"):
        check_methods_subset_invariance("MLPRegressor", est)
    with pytest.warns(ConvergenceWarning):
        check_methods_subset_invariance_float32("MLPRegressor", est)

    class BatchDependent(MLPRegressor):
        def predict(self, X):  # off by 1e-4 (outputs ~2, S ~20) when predicted in a batch
            out = super().predict(X)
            return out + 1e-4 * (len(out) > 1)

    with pytest.warns(ConvergenceWarning), pytest.raises(AssertionError, match="invariant"):
        check_methods_subset_invariance_float32("BatchDependent", BatchDependent(
            solver="lbfgs", max_iter=100, dtype="float32"))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_weight_check_needs_its_tolerance_and_catches_ignored_weights(solver):
    """The stock check fails on float32 rounding alone; ours fails when weights are ignored."""
    from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

    est = MLPRegressor(solver=solver, max_iter=100, dtype="float32")
    with pytest.raises(AssertionError, match="not equivalent"):
        check_sample_weight_equivalence_on_dense_data("MLPRegressor", est)
    check_sample_weight_equivalence_float32("MLPRegressor", est)
    check_sample_weight_equivalence_float32("MLPRegressor", est, sparse=True)
    assert clone(est).set_params(dtype=None).fit(np.ones((2, 1)), [0, 1]).network_.dtype == (
        np.float64)  # the check's float64 data: the stock check applies to the rest

    class Unweighted(MLPRegressor):
        def fit(self, X, y, sample_weight=None):
            return super().fit(X, y)

    with pytest.raises(AssertionError, match="not fitting on repeated rows"):
        check_sample_weight_equivalence_float32(
            "Unweighted", Unweighted(solver=solver, max_iter=100, dtype="float32"))


def test_defaults_and_signature_match_scikit_learn():
    pairs = ((MLPClassifier(), sk.MLPClassifier()), (MLPRegressor(), sk.MLPRegressor()))
    for ours, theirs in pairs:
        mine, ref = ours.get_params(), theirs.get_params()
        assert {k: mine[k] for k in ref} == ref
        assert set(mine) - set(ref) == {"output_activation", "dtype"} | (
            {"loss"} if isinstance(ours, MLPClassifier) else set())
    assert MLPRegressor("squared_error", (5,), "tanh").get_params()["activation"] == "tanh"


# ---------------------------------------------------------------------------
# step-for-step parity with scikit-learn


def test_adam_takes_scikit_learns_steps():
    X, y = iris()
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(30\\)"):
        ours = MLPClassifier(**SAME_STEPS, max_iter=30).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        ref = sk.MLPClassifier(**SAME_STEPS, max_iter=30).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_ == 30
    assert ours.t_ == ref.t_ == 30 * 150
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-12)
    assert max_abs_diff(ours.coefs_, ref.coefs_) < 1e-12
    assert max_abs_diff(ours.intercepts_, ref.intercepts_) < 1e-12
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-12)


def test_l2_gradient_is_scikit_learns():
    X, y = iris()
    params = dict(SAME_STEPS, alpha=0.05, max_iter=20)
    with pytest.warns(ConvergenceWarning):
        ours = MLPClassifier(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        ref = sk.MLPClassifier(**params).fit(X, y)
    assert max_abs_diff(ours.coefs_, ref.coefs_) < 1e-12


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive"])
def test_sgd_schedules_and_stopping_follow_scikit_learn(schedule):
    X, y = iris()
    params = dict(SAME_STEPS, solver="sgd", learning_rate_init=0.1, learning_rate=schedule,
                  tol=0.05, n_iter_no_change=2, max_iter=200)
    ours = MLPClassifier(**params).fit(X, y)
    ref = sk.MLPClassifier(**params).fit(X, y)
    assert 1 < ours.n_iter_ == ref.n_iter_ < 200  # stopped early, at the same epoch
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)
    assert ours.best_loss_ == pytest.approx(ref.best_loss_, rel=1e-12)
    assert max_abs_diff(ours.coefs_, ref.coefs_) < 1e-12


def test_lbfgs_follows_scikit_learn():
    X, y = iris()
    params = dict(SAME_STEPS, solver="lbfgs", alpha=1e-3, max_iter=30)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        ours = MLPClassifier(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        ref = sk.MLPClassifier(**params).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_ == 30
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-8)
    assert max_abs_diff(ours.coefs_, ref.coefs_) < 1e-6
    assert len(ours.loss_curve_) == 30 and ours.loss_curve_[-1] == ours.loss_
    assert not hasattr(ours, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit") as info:
        ours.partial_fit(X, y)
    assert "lbfgs is not stochastic" in str(info.value.__cause__)


def test_regressor_takes_scikit_learns_steps():
    """loss='squared_error' is scikit-learn's ½|a − y|²: the same SGD steps for the same rate."""
    X, y = regression()
    params = dict(SAME_STEPS, solver="sgd", learning_rate_init=0.01, max_iter=30)
    with pytest.warns(ConvergenceWarning):
        ours = MLPRegressor(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        ref = sk.MLPRegressor(**params).fit(X, y)
    assert ours.network_.cost.name == "half_squared_error"
    assert ours.n_iter_ == ref.n_iter_ == 30
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)
    assert max_abs_diff(ours.coefs_, ref.coefs_) <= 1e-12
    assert max_abs_diff(ours.intercepts_, ref.intercepts_) <= 1e-12
    # L-BFGS with the penalty: the same objective, value and minimiser
    lbfgs = dict(hidden_layer_sizes=(10,), random_state=0, solver="lbfgs", alpha=0.01,
                 max_iter=30)
    with pytest.warns(ConvergenceWarning):
        ours = MLPRegressor(**lbfgs).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        ref = sk.MLPRegressor(**lbfgs).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_ == 30
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-10)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-9)


def test_two_output_loss_is_reported_per_output_and_stops_where_scikit_learn_does():
    """scikit-learn averages ½(a − y)² over the outputs too; tol sees that value."""
    X, y = regression()
    Y = np.column_stack([y, -2 * y])
    params = dict(SAME_STEPS, solver="sgd", learning_rate_init=0.01, max_iter=200, tol=1e-2,
                  n_iter_no_change=3)
    ours = MLPRegressor(**params).fit(X, Y)
    ref = sk.MLPRegressor(**params).fit(X, Y)
    assert 1 < ours.n_iter_ == ref.n_iter_ < 200  # stopped by tol, at the same epoch
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)
    assert max_abs_diff(ours.coefs_, ref.coefs_) <= 1e-12
    # L-BFGS reports the same value at its final weights: ½(a − y)² averaged over examples
    # and outputs, plus (α/2N) Σ W²
    with pytest.warns(ConvergenceWarning):
        ours = MLPRegressor(hidden_layer_sizes=(10,), solver="lbfgs", alpha=0.1, max_iter=20,
                            random_state=0).fit(X, Y)
    penalty = 0.5 * 0.1 * sum(np.sum(W**2) for W in ours.coefs_) / len(X)
    expected = 0.5 * np.mean((ours.predict(X) - Y) ** 2) + penalty
    assert ours.loss_ == pytest.approx(expected, rel=1e-12)
    assert ours.loss_curve_[-1] == ours.loss_


def test_squared_error_no_half_is_twice_scikit_learns():
    """loss='squared_error_no_half': half the SGD rate takes the same steps, loss_ doubles."""
    X, y = regression()
    params = dict(SAME_STEPS, solver="sgd", batch_size=200, max_iter=30)
    with pytest.warns(ConvergenceWarning):
        ours = MLPRegressor(**params, loss="squared_error_no_half", learning_rate_init=0.005)
        ours.fit(X, y)
    with pytest.warns(ConvergenceWarning):
        ref = sk.MLPRegressor(**params, learning_rate_init=0.01).fit(X, y)
    assert ours.network_.cost.name == "squared_error"
    np.testing.assert_allclose(ours.loss_curve_, 2 * np.array(ref.loss_curve_), rtol=1e-12)
    assert max_abs_diff(ours.coefs_, ref.coefs_) < 1e-12
    # the penalty is doubled with the cost: the same minimiser as scikit-learn's
    lbfgs = dict(hidden_layer_sizes=(10,), random_state=0, solver="lbfgs", alpha=0.01,
                 max_iter=30)
    with pytest.warns(ConvergenceWarning):
        ours = MLPRegressor(loss="squared_error_no_half", **lbfgs).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        ref = sk.MLPRegressor(**lbfgs).fit(X, y)
    assert ours.loss_ == pytest.approx(2 * ref.loss_, rel=1e-10)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-9)
    # warm_start cannot continue a network trained for the other cost
    ours.set_params(warm_start=True, loss="squared_error")
    with pytest.raises(ConfigError, match="loss: the fitted network minimises 'squared_error'"):
        ours.fit(X, y)


@pytest.mark.parametrize("binary", [False, True])
def test_early_stopping_follows_scikit_learn(binary):
    X, y = iris()
    y = y == 1 if binary else y
    params = dict(SAME_STEPS, early_stopping=True, validation_fraction=0.2, max_iter=100)
    ours = MLPClassifier(**params).fit(X, y)
    ref = sk.MLPClassifier(**params).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_ < 100
    assert ours.validation_scores_ == ref.validation_scores_  # the same split, the same model
    assert ours.best_validation_score_ == ref.best_validation_score_ == max(
        ours.validation_scores_)
    assert ours.best_loss_ is None
    assert max_abs_diff(ours.coefs_, ref.coefs_) < 1e-12  # the best weights are put back


def test_warm_start_and_partial_fit_follow_scikit_learn():
    X, y = iris()
    ours = MLPClassifier(**SAME_STEPS, warm_start=True, max_iter=5)
    ref = sk.MLPClassifier(**SAME_STEPS, warm_start=True, max_iter=5)
    for _ in range(3):
        with pytest.warns(ConvergenceWarning):
            ours.fit(X, y)
        with pytest.warns(ConvergenceWarning):
            ref.fit(X, y)
    assert ours.n_iter_ == 5 and ours.t_ == ref.t_ == 15 * 150
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)
    assert len(ours.loss_curve_) == 15

    ours, ref = MLPClassifier(**SAME_STEPS), sk.MLPClassifier(**SAME_STEPS)
    for _ in range(4):  # one epoch each, the optimiser's moments carried over
        ours.partial_fit(X, y, classes=[0, 1, 2])
        ref.partial_fit(X, y, classes=[0, 1, 2])
    assert ours.n_iter_ == 1 and ours.t_ == 4 * 150
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)
    assert max_abs_diff(ours.coefs_, ref.coefs_) < 1e-12


def test_initial_weights_are_scikit_learns():
    """Glorot-uniform draws from RandomState(random_state), in scikit-learn's order."""
    X, y = iris()
    clf = MLPClassifier((7, 4), "logistic", random_state=3, learning_rate_init=1e-300,
                        max_iter=1)  # one step of ~1e-300 leaves the initial weights
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    rs = np.random.RandomState(3)
    for fan_in, fan_out, coef, intercept in zip((4, 7, 4), (7, 4, 3), clf.coefs_,
                                                 clf.intercepts_, strict=True):
        r = np.sqrt(2.0 / (fan_in + fan_out))  # 6 instead of 2 for other activations
        np.testing.assert_allclose(coef, rs.uniform(-r, r, (fan_in, fan_out)), rtol=1e-15)
        np.testing.assert_allclose(intercept, rs.uniform(-r, r, fan_out), rtol=1e-15)


# ---------------------------------------------------------------------------
# scores against scikit-learn (same hyperparameters, same seed policy)


def test_digits_accuracy_within_one_percent_of_scikit_learn():
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0, stratify=y)
    ours = make_pipeline(StandardScaler(), MLPClassifier(random_state=0)).fit(X_tr, y_tr)
    ref = make_pipeline(StandardScaler(), sk.MLPClassifier(random_state=0)).fit(X_tr, y_tr)
    ours_score, ref_score = ours.score(X_te, y_te), ref.score(X_te, y_te)
    assert ours_score > 0.95
    assert abs(ours_score - ref_score) <= 0.01 * ref_score, (ours_score, ref_score)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # both: 200 epochs
def test_friedman_r2_within_one_percent_of_scikit_learn():
    X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
    mean, std = y_tr.mean(), y_tr.std()
    scores = []
    for cls in (MLPRegressor, sk.MLPRegressor):
        model = make_pipeline(StandardScaler(), cls(random_state=0))
        model.fit(X_tr, (y_tr - mean) / std)
        scores.append(model.score(X_te, (y_te - mean) / std))
    assert scores[0] > 0.85
    assert abs(scores[0] - scores[1]) <= 0.01 * scores[1], scores


# ---------------------------------------------------------------------------
# scikit-learn habits: pipelines, searches, pandas


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_and_cross_validation():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), random_state=0, max_iter=300))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1.0],
                                 "mlpclassifier__solver": ["adam", "lbfgs"]}, cv=3)
    search.fit(X, y)
    assert search.best_score_ > 0.9
    assert set(search.best_params_) == {"mlpclassifier__alpha", "mlpclassifier__solver"}
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0, max_iter=200)
    scores = cross_val_score(reg, *regression(), cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_pandas_feature_names_are_kept():
    X, y = iris()
    df = pd.DataFrame(X, columns=["sepal_l", "sepal_w", "petal_l", "petal_w"])
    target = pd.Series(np.array(["setosa", "versicolor", "virginica"])[y], name="species")
    clf = MLPClassifier((8,), solver="lbfgs", random_state=0, max_iter=500).fit(df, target)
    assert list(clf.feature_names_in_) == list(df.columns)
    assert clf.n_features_in_ == 4
    assert set(clf.predict(df)) == {"setosa", "versicolor", "virginica"}
    assert clf.score(df, target) > 0.95
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(df[df.columns[::-1]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        clf.predict(X)
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0, max_iter=200)
    reg.fit(df.iloc[:, :3], df["petal_w"])
    assert list(reg.feature_names_in_) == ["sepal_l", "sepal_w", "petal_l"]


# ---------------------------------------------------------------------------
# fitted attributes, options, errors


def test_fitted_attributes_in_scikit_learns_layout():
    X, y = iris()
    clf = MLPClassifier((6, 5), solver="lbfgs", random_state=0, max_iter=300).fit(X, y)
    net = clf.network_
    assert isinstance(net, Network) and net.layer_sizes == (4, 6, 5, 3)
    assert [c.shape for c in clf.coefs_] == [(4, 6), (6, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(6,), (5,), (3,)]
    assert all(np.shares_memory(c, net.params) for c in clf.coefs_)  # views, never stale
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    assert list(clf.classes_) == [0, 1, 2]
    np.testing.assert_array_equal(clf.coefs_[1], net.W[1].T)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), proba.argmax(axis=1))


def test_binary_and_multilabel_outputs():
    X, y = iris()
    binary = MLPClassifier((5,), solver="lbfgs", random_state=0, max_iter=500).fit(X, y == 2)
    assert binary.out_activation_ == "logistic" and binary.n_outputs_ == 1
    assert binary.network_.cost.name == "binary_cross_entropy"
    p = binary.predict_proba(X)
    assert p.shape == (150, 2)
    z = binary.network_.forward(X).Z[-1][:, 0]  # the output layer's logits
    # the negative class is σ(−z), precise even where 1 − σ(z) would round to 0
    np.testing.assert_allclose(p[:, 0], 1 / (1 + np.exp(z)), rtol=1e-12)
    Y = np.column_stack([y == 0, y == 2, y > 0]).astype(int)
    multi = MLPClassifier((5,), solver="lbfgs", random_state=0, max_iter=500).fit(X, Y)
    assert multi.out_activation_ == "logistic" and multi.n_outputs_ == 3
    assert multi.predict(X).shape == (150, 3) and multi.score(X, Y) > 0.9
    assert multi.predict_proba(X).shape == (150, 3)


def test_squared_error_no_half_and_output_options():
    X, y = iris()
    se = MLPClassifier((8,), "tanh", loss="squared_error", solver="lbfgs", random_state=0,
                       max_iter=500).fit(X, y)
    assert se.network_.cost.name == "half_squared_error" and se.score(X, y) > 0.95
    course = MLPClassifier((8,), "tanh", loss="squared_error_no_half", solver="lbfgs",
                           random_state=0, max_iter=500).fit(X, y)
    assert course.network_.cost.name == "squared_error" and course.score(X, y) > 0.95
    ovr = MLPClassifier((8,), output_activation="logistic", solver="lbfgs", random_state=0,
                        max_iter=500).fit(X, y)
    assert ovr.network_.cost.name == "binary_cross_entropy"
    np.testing.assert_allclose(ovr.predict_proba(X).sum(axis=1), 1)
    with pytest.raises(ConfigError, match="output_activation"):
        MLPClassifier(output_activation="softmax").fit(X, y == 1)
    Xr, yr = regression()
    reg = MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", output_activation="tanh",
                       solver="lbfgs", random_state=0, max_iter=300).fit(Xr, np.tanh(yr))
    assert reg.out_activation_ == "tanh" and np.abs(reg.predict(Xr)).max() < 1
    assert reg.score(Xr, np.tanh(yr)) > 0.9


def test_float32_networks():
    X, y = regression()
    reg = MLPRegressor(hidden_layer_sizes=(16,), dtype="float32", random_state=0, max_iter=300,
                       learning_rate_init=0.01).fit(X, y)
    assert reg.network_.dtype == np.float32
    assert reg.coefs_[0].dtype == np.float32
    # outputs follow the input's precision, as scikit-learn's do
    assert reg.predict(X.astype(np.float32)).dtype == np.float32
    assert reg.predict(X).dtype == np.float64
    np.testing.assert_array_equal(reg.predict(X), reg.predict(X.astype(np.float32)))
    assert reg.score(X, y) > 0.95


def test_float32_classifier_probabilities_follow_the_inputs_precision():
    """σ of a float32 network's logits in float64 for float64 input: below 1 up to z ≈ 36."""
    X, y = iris()
    clf = MLPClassifier((8,), solver="lbfgs", random_state=0, max_iter=500, dtype="float32")
    clf.fit(X, y == 0)  # separable: logits far beyond float32's σ(z) = 1 from z ≈ 17
    z = clf.network_.forward(X).Z[-1][:, 0]  # the float32 network's logits
    assert np.abs(z).max() > 17
    P = clf.predict_proba(X)
    assert P.dtype == np.float64 and P.max() < 1
    np.testing.assert_allclose(P[:, 1], 1 / (1 + np.exp(-z.astype(np.float64))), rtol=1e-12)
    P32 = clf.predict_proba(X.astype(np.float32))
    assert P32.dtype == np.float32
    np.testing.assert_allclose(P32, P, rtol=1e-6, atol=1e-7)
    soft = MLPClassifier((8,), solver="lbfgs", random_state=0, max_iter=500, dtype="float32")
    assert soft.fit(X, y).predict_proba(X).dtype == np.float64


def test_multi_output_regression():
    X, y = regression()
    Y = np.column_stack([y, -2 * y])
    reg = MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0, max_iter=100)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (200, 2)
    assert reg.score(X, Y) > 0.95


def test_convergence_warning_only_when_max_iter_is_reached():
    X, y = regression()
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\) reached"):
        MLPRegressor(hidden_layer_sizes=(5,), random_state=0, max_iter=3).fit(X, y)
    reg = MLPRegressor(hidden_layer_sizes=(5,), random_state=0, max_iter=500, tol=0.1)
    reg.fit(X, y)  # converges: no warning (pytest turns warnings into errors)
    assert reg.n_iter_ < 500


def test_warnings_name_the_callers_line(monkeypatch):
    X, y = regression()
    small = dict(hidden_layer_sizes=(3,), random_state=0, max_iter=1)
    with pytest.warns(Warning) as record:
        MLPRegressor(**small, batch_size=500).fit(X, y)  # batch_size clipped, max_iter
        MLPRegressor(**small, batch_size=500).partial_fit(X, y)
        MLPRegressor(**small, solver="lbfgs").fit(X, y)
    assert [w.category for w in record] == [UserWarning, ConvergenceWarning, UserWarning,
                                            ConvergenceWarning]
    assert {w.filename for w in record} == {__file__}

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("chainrule.train.loop.Trainer.run", interrupt)
    with pytest.warns(UserWarning, match="interrupted by user") as record:
        MLPRegressor(**small).fit(X, y)
    assert record[0].filename == __file__


def test_verbose_prints_the_loss(capsys):
    X, y = regression()
    reg = MLPRegressor(hidden_layer_sizes=(3,), random_state=0, max_iter=500, tol=1.0,
                       verbose=True)
    reg.fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "Stopping." in out


def test_partial_fit_rules():
    X, y = iris()
    clf = MLPClassifier((5,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])  # later calls may see new classes
    clf.partial_fit(X, y)
    assert clf.n_outputs_ == 3 and clf.t_ == 100 + 150
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match="not the same as on last call"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="does not support early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(*regression())


def test_warm_start_rules():
    X, y = iris()
    clf = MLPClassifier((5,), solver="lbfgs", warm_start=True, random_state=0, max_iter=500)
    clf.fit(X, y)
    before = clf.network_.params.copy()
    clf.fit(X, y)  # continues: starts from the fitted weights
    assert clf.network_.params.shape == before.shape
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X[y < 2], y[y < 2])
    clf.set_params(hidden_layer_sizes=(6,))
    with pytest.raises(ConfigError, match="hidden_layer_sizes"):
        clf.fit(X, y)
    clf.set_params(warm_start=False)
    assert clf.fit(X, y).network_.layer_sizes == (4, 6, 3)  # starts again


def test_fit_is_deterministic_and_refit_restarts():
    X, y = regression()
    reg = MLPRegressor(hidden_layer_sizes=(5,), random_state=1, max_iter=20, tol=0.5)
    a = reg.fit(X, y).predict(X)
    b = reg.fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_pickle_keeps_a_working_network_and_not_the_data():
    X, y = regression()
    X_big = np.repeat(X, 50, axis=0)
    y_big = np.repeat(y, 50)
    reg = MLPRegressor(hidden_layer_sizes=(5,), random_state=0, batch_size=len(X_big), max_iter=3)
    with pytest.warns(ConvergenceWarning):
        reg.partial_fit(X_big, y_big).fit(X_big, y_big)
    blob = pickle.dumps(reg)
    assert len(blob) < X_big.nbytes / 10  # the forward cache's training batch is left out
    copy = pickle.loads(blob)
    np.testing.assert_array_equal(copy.predict(X), reg.predict(X))
    assert all(np.shares_memory(c, copy.network_.params) for c in copy.coefs_)
    assert copy._trainer.network is copy.network_
    copy.set_params(batch_size="auto").partial_fit(X, y)  # trains the vector that predicts
    assert not np.array_equal(copy.predict(X), reg.predict(X))
    np.testing.assert_array_equal(copy.predict(X), copy.network_.predict(X).ravel())


@pytest.mark.parametrize(("param", "value"), [
    ("activation", "softmax"), ("activation", "swish"), ("solver", "newton"),
    ("learning_rate", "cosine"), ("alpha", -1.0), ("batch_size", 0), ("max_iter", 0),
    ("hidden_layer_sizes", (5, 0)), ("hidden_layer_sizes", 2.5), ("momentum", 1.5),
    ("beta_1", 1.0), ("epsilon", 0.0), ("validation_fraction", 1.0), ("dtype", "float16"),
    ("n_iter_no_change", 0), ("shuffle", "yes"), ("loss", "huber"), ("tol", float("nan")),
])
def test_bad_hyperparameters_raise_config_error_naming_them(param, value):
    X, y = regression()
    with pytest.raises(ConfigError, match=param):
        MLPRegressor(**{param: value}).fit(X, y)


@pytest.mark.parametrize("estimator", [MLPRegressor, MLPClassifier])
@pytest.mark.parametrize(("param", "value"), [
    ("alpha", np.inf), ("alpha", np.nan), ("learning_rate_init", np.inf),
    ("learning_rate_init", np.nan), ("power_t", np.inf), ("tol", np.inf), ("tol", -np.inf),
    ("momentum", np.nan), ("validation_fraction", np.nan), ("beta_1", np.nan),
    ("beta_2", np.inf), ("epsilon", np.inf),
])
def test_non_finite_hyperparameters_are_refused_under_their_own_name(estimator, param, value):
    X, y = iris()
    with pytest.raises(ConfigError, match=rf"^{param}: expected a (finite )?number") as info:
        estimator(**{param: value}, max_iter=1).fit(X, y)
    assert repr(value) in str(info.value)


def test_input_errors_are_scikit_learns():
    X, y = regression()
    reg = MLPRegressor(hidden_layer_sizes=(3,), max_iter=5)
    with pytest.raises(NotFittedError):
        reg.predict(X)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        reg.fit(np.where(X > 2, np.nan, X), y)
    with pytest.raises(ValueError, match="Expected 2D array"):
        reg.fit(X[:, 0], y)
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier().fit(X, y)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    with pytest.raises(ValueError, match="X has 4 features, but MLPRegressor is expecting 5"):
        reg.predict(X[:, :4])


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_the_penalty_in_loss_is_counted_per_mini_batch_as_scikit_learn_does(solver):
    # scikit-learn adds (α/2m)‖W‖² to every mini-batch's loss, at the weights before its
    # step: with α > 0 and several batches an epoch, loss_curve_ and the tol-based stop
    # follow only if the penalty is counted the same way
    X, y = iris()
    params = dict(hidden_layer_sizes=(8,), random_state=1, shuffle=False, alpha=0.5,
                  batch_size=16, solver=solver, learning_rate_init=0.01, max_iter=300)
    ours, ref = MLPClassifier(**params).fit(X, y), sk.MLPClassifier(**params).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_ < 300  # stopped on tol, at the same epoch
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-9)
    assert max_abs_diff(ours.coefs_, ref.coefs_) < 1e-9


def test_divergence_is_a_value_error_with_scikit_learns_words():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(100, 3)) * 100, rng.normal(size=100) * 100
    est = MLPRegressor(solver="sgd", learning_rate_init=10.0, max_iter=50, random_state=0)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights") as e:
        est.fit(X, y)
    assert "training diverged" in str(e.value)
    assert np.isfinite(est.network_.params).all()


def test_pickle_of_an_early_stopped_fit_keeps_no_validation_rows():
    X, y = iris()
    X_big, y_big = np.repeat(X, 40, axis=0), np.repeat(y, 40)
    clf = MLPClassifier((5,), early_stopping=True, random_state=0, max_iter=3)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_big, y_big)
    assert len(pickle.dumps(clf)) < 0.1 * X_big.nbytes  # the held-out 10 % would be more
