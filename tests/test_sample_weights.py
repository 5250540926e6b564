"""Sample weights, in the engine (fit, evaluate, the full-batch objective) and through the
estimators, step for step with scikit-learn's sample_weight."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import neural_network as sk
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from chainrule import ConfigError, DataError, Network, Trainer, evaluate, fit
from chainrule.estimators import MLPClassifier, MLPRegressor
from chainrule.train.batches import as_weights, batch_terms


def problem(rng: np.random.Generator, n: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 3))
    Y = np.column_stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]])
    return X, Y, rng.integers(0, 4, size=n).astype(float)  # zeros among the weights


def net() -> Network:
    return Network([3, 6, 2], "tanh", "identity", "half_squared_error", random_state=0)


# ---------------------------------------------------------------------------
# the engine


def test_batch_terms_are_the_weighted_mean_and_its_gradient(rng):
    X, Y, w = problem(rng)
    a = net()
    cost, weight, correct, g = batch_terms(a, X, Y, w, count_correct=False)
    assert weight == w.sum() and correct == 0
    C = a.cost_per_example(X, Y)
    assert cost == pytest.approx(w @ C, rel=1e-14)
    rows = np.repeat(np.arange(len(w)), w.astype(int))  # integer weights: repeated rows
    np.testing.assert_allclose(g, a.cost_and_gradient(X[rows], Y[rows])[1], rtol=1e-12)
    unweighted = batch_terms(a, X, Y, count_correct=False)
    assert unweighted[1] == len(X) and unweighted[0] == pytest.approx(C.sum(), rel=1e-15)
    # a batch whose weights are all 0 has no mean: no gradient, nothing to step on
    assert batch_terms(a, X, Y, np.zeros(len(X)), count_correct=False)[3] is None


@pytest.mark.parametrize(("optimizer", "batch_size"), [("gd", None), ("lbfgs", None),
                                                       ("sgd", 7)])
def test_integer_weights_train_as_repeated_rows(rng, optimizer, batch_size):
    X, Y, w = problem(rng)
    rows = np.repeat(np.arange(len(w)), w.astype(int))
    options = dict(optimizer=optimizer, epochs=15, batch_size=batch_size, shuffle=False,
                   l2=0.01)
    if optimizer != "lbfgs":
        options["learning_rate"] = 0.1
    weighted, repeated = net(), net()
    h_w = fit(weighted, X, Y, sample_weight=w, **options)
    if batch_size is None:  # whole batches: the same objective, the same steps
        h_r = fit(repeated, X[rows], Y[rows], **options)
        np.testing.assert_allclose(weighted.params, repeated.params, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(h_w.cost, h_r.cost, rtol=1e-10)
    else:  # mini-batches of rows: each batch's mean is weighted, so weights do count
        unweighted = net()
        fit(unweighted, X, Y, **options)
        assert not np.allclose(weighted.params, unweighted.params)
    ones = net()
    fit(ones, X, Y, sample_weight=np.ones(len(X)), **options)
    fit(unweighted := net(), X, Y, **options)
    np.testing.assert_allclose(ones.params, unweighted.params, rtol=1e-12, atol=1e-14)


def test_weighted_evaluation_and_validation(rng):
    X, Y, w = problem(rng)
    a = net()
    cost, _ = evaluate(a, X, Y, sample_weight=w)
    assert cost == pytest.approx(w @ a.cost_per_example(X, Y) / w.sum(), rel=1e-13)
    assert evaluate(a, X, Y, indices=[0, 1, 2], sample_weight=w)[0] == pytest.approx(
        w[:3] @ a.cost_per_example(X[:3], Y[:3]) / w[:3].sum(), rel=1e-13)
    h = fit(net(), X, Y, sample_weight=w, validation_data=(X[:10], Y[:10], w[:10]),
            epochs=2, learning_rate=1e-300)  # steps of ~1e-300 keep the initial weights
    assert h.val_cost[-1] == pytest.approx(evaluate(a, X[:10], Y[:10], sample_weight=w[:10])[0],
                                           rel=1e-13)
    # the rows validation_split holds out keep their weights
    t = Trainer(b := net(), learning_rate=1e-300, random_state=0)
    h = fit(b, X, Y, sample_weight=w, validation_split=0.25, epochs=1, trainer=t)
    assert h.val_cost[-1] == pytest.approx(
        evaluate(a, X, Y, indices=t.val_indices, sample_weight=w)[0], rel=1e-13)
    with pytest.raises(ConfigError, match="validation_data: expected"):
        fit(net(), X, Y, validation_data=(X, Y, w, w))


def test_bad_weights_are_refused_by_name(rng):
    X, Y, _ = problem(rng)
    for bad, what in ((np.ones(3), r"shape \(40,\), got shape \(3,\)"),
                      (np.ones((40, 2)), "one weight per example"),
                      (-np.ones(40), "finite weights >= 0"),
                      (np.full(40, np.nan), "finite weights >= 0"),
                      (np.zeros(40), "all zero"), ("heavy", "expected numbers")):
        with pytest.raises(DataError, match=f"sample_weight: .*{what}"):
            fit(net(), X, Y, sample_weight=bad, epochs=1)
    np.testing.assert_array_equal(as_weights(2, 3), [2.0, 2.0, 2.0])
    assert as_weights(None, 3) is None


def test_a_checkpoint_is_resumed_only_with_the_same_weights(rng, tmp_path):
    X, Y, w = problem(rng)
    path = tmp_path / "run.ckpt"
    fit(net(), X, Y, sample_weight=w, epochs=2, checkpoint=path, random_state=0)
    fit(net(), X, Y, sample_weight=w, epochs=3, checkpoint=path, resume=True,
        random_state=0)
    with pytest.raises(ConfigError, match="different values"):
        fit(net(), X, Y, sample_weight=w + 1, epochs=4, checkpoint=path, resume=True,
            random_state=0)


# ---------------------------------------------------------------------------
# the estimators against scikit-learn


def iris() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    w = np.random.default_rng(0).uniform(0, 3, size=len(y))
    return StandardScaler().fit_transform(X), y, w


SAME_STEPS = dict(hidden_layer_sizes=(10,), random_state=0, shuffle=False, alpha=1e-3,
                  batch_size=32)


@pytest.mark.parametrize(("Ours", "Theirs", "solver"), [
    (MLPClassifier, sk.MLPClassifier, "adam"), (MLPRegressor, sk.MLPRegressor, "sgd"),
    (MLPClassifier, sk.MLPClassifier, "lbfgs")])
def test_weighted_fits_take_scikit_learns_steps(Ours, Theirs, solver):
    X, y, w = iris()
    params = dict(SAME_STEPS, solver=solver, max_iter=20)
    with pytest.warns(ConvergenceWarning):
        ours = Ours(**params).fit(X, y, sample_weight=w)
    with pytest.warns(ConvergenceWarning):
        ref = Theirs(**params).fit(X, y, sample_weight=w)
    assert ours.n_iter_ == ref.n_iter_
    rtol = 1e-8 if solver == "lbfgs" else 1e-12
    np.testing.assert_allclose(ours.loss_, ref.loss_, rtol=rtol)
    if solver != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)
    for a, b in zip(ours.coefs_, ref.coefs_, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6 if solver == "lbfgs" else 1e-12)


def test_weighted_early_stopping_and_partial_fit_follow_scikit_learn():
    X, y, w = iris()
    params = dict(SAME_STEPS, early_stopping=True, validation_fraction=0.2, max_iter=100)
    ours = MLPClassifier(**params).fit(X, y, sample_weight=w)
    ref = sk.MLPClassifier(**params).fit(X, y, sample_weight=w)
    assert ours.n_iter_ == ref.n_iter_ < 100
    assert ours.validation_scores_ == ref.validation_scores_  # weighted accuracies
    ours, ref = MLPRegressor(**SAME_STEPS), sk.MLPRegressor(**SAME_STEPS)
    for _ in range(3):
        ours.partial_fit(X, y, sample_weight=w)
        ref.partial_fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)
    clf = MLPClassifier(**SAME_STEPS)
    clf.partial_fit(X, y, w, [0, 1, 2])  # scikit-learn's order: sample_weight, then classes
    assert list(clf.classes_) == [0, 1, 2]
    with pytest.raises(DataError, match="sample_weight: the weights are all zero"):
        MLPRegressor().fit(X, y, sample_weight=np.zeros(len(y)))
