"""The faces on a Dask cluster: Model.predict on Dask collections, the estimators inside
dask-ml's wrappers, and ``chainrule train DATA --workers N / --cluster ADDRESS``."""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from chainrule import Model, Network
from chainrule.distributed import connect


@pytest.fixture(scope="module")
def client():
    with connect(workers=2, memory_limit="1GB") as c:
        yield c


@pytest.fixture(scope="module")
def iris_like():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) + np.repeat(np.eye(3) * 3, 100, axis=0)
    labels = np.repeat(np.array(["cat", "dog", "emu"]), 100)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    net = Network([3, 5, 3], ["tanh", "softmax"], cost="cross_entropy", random_state=0)
    model = Model(net).fit(frame, labels, epochs=30, learning_rate=0.05, random_state=0)
    return model, frame


def test_model_predict_on_a_dask_array_is_lazy_and_equal(client, iris_like):
    model, frame = iris_like
    X = frame.to_numpy()
    Xd = da.from_array(X, chunks=((70, 130, 100), 3))
    lazy = model.predict(Xd)
    assert isinstance(lazy, da.Array) and lazy.chunks == ((70, 130, 100),)
    assert lazy.compute().tolist() == model.predict(X).tolist()
    proba = model.predict_proba(Xd)
    assert proba.shape == (300, 3)
    np.testing.assert_array_equal(proba.compute(), model.predict_proba(X))
    np.testing.assert_array_equal(model.outputs(Xd).compute(), model.outputs(X))


def test_model_predict_on_a_dask_dataframe_takes_columns_by_name(client, iris_like):
    model, frame = iris_like
    shuffled = frame[["c", "a", "b"]]  # the model finds its inputs by name
    lazy = model.predict(dd.from_pandas(shuffled, npartitions=3))
    assert isinstance(lazy, da.Array)
    assert lazy.compute().tolist() == model.predict(frame).tolist()


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 4)) + np.repeat(np.eye(3, 4) * 3, 200, axis=0)
    y = np.repeat([0, 1, 2], 200)
    order = rng.permutation(600)
    return X[order], y[order]


def test_the_estimators_learn_inside_dask_mls_incremental(client, blobs):
    from dask_ml.wrappers import Incremental

    from chainrule.estimators import MLPClassifier

    X, y = blobs
    Xd, yd = da.from_array(X, chunks=(150, 4)), da.from_array(y, chunks=150)
    params = {"hidden_layer_sizes": (8,), "learning_rate_init": 0.05, "batch_size": 50,
              "random_state": 0}
    inc = Incremental(MLPClassifier(**params), scoring="accuracy", shuffle_blocks=False)
    inc.fit(Xd, yd, classes=[0, 1, 2])
    for _ in range(4):
        inc.partial_fit(Xd, yd, classes=[0, 1, 2])
    ref = MLPClassifier(**params)
    for _ in range(5):  # what Incremental does: partial_fit block by block
        for start in range(0, 600, 150):
            ref.partial_fit(X[start:start + 150], y[start:start + 150], classes=[0, 1, 2])
    for W, W_ref in zip(inc.estimator_.coefs_, ref.coefs_):
        np.testing.assert_array_equal(W, W_ref)
    assert inc.score(Xd, yd) == ref.score(X, y) > 0.8
    assert isinstance(inc.predict(Xd), da.Array)


def test_the_estimators_predict_lazily_inside_parallel_post_fit(client, blobs):
    from dask_ml.wrappers import ParallelPostFit

    from chainrule.estimators import MLPClassifier

    X, y = blobs
    Xd = da.from_array(X, chunks=(100, 4))
    wrapped = ParallelPostFit(MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs",
                                            max_iter=500, random_state=0))
    wrapped.fit(X, y)
    lazy = wrapped.predict(Xd)
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), wrapped.estimator.predict(X))
    np.testing.assert_allclose(wrapped.predict_proba(Xd).compute(),
                               wrapped.estimator.predict_proba(X))


def test_the_estimators_fit_dask_collections_on_the_cluster(client, blobs):
    from sklearn.exceptions import ConvergenceWarning

    from chainrule.estimators import MLPClassifier

    X, y = blobs
    rows = (100, 250, 250)
    Xd, yd = da.from_array(X, chunks=(rows, 4)), da.from_array(y, chunks=(rows,))
    params = {"hidden_layer_sizes": (8,), "solver": "lbfgs", "max_iter": 30, "random_state": 0}
    with pytest.warns(ConvergenceWarning):  # 30 iterations: the same 30 on both
        on_cluster = MLPClassifier(**params).fit(Xd, yd)
    with pytest.warns(ConvergenceWarning):
        in_memory = MLPClassifier(**params).fit(X, y)
    assert on_cluster.classes_.tolist() == [0, 1, 2] and on_cluster.n_features_in_ == 4
    assert on_cluster.n_iter_ == in_memory.n_iter_
    for W, W_ref in zip(on_cluster.coefs_, in_memory.coefs_):
        np.testing.assert_allclose(W, W_ref, rtol=1e-10, atol=1e-12)
    lazy = on_cluster.predict(Xd)
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), in_memory.predict(X))
    np.testing.assert_allclose(on_cluster.predict_proba(Xd).compute(),
                               in_memory.predict_proba(X), rtol=1e-9)


def test_a_regressor_takes_the_same_adam_steps_on_the_cluster(client, blobs):
    from sklearn.exceptions import ConvergenceWarning

    from chainrule.estimators import MLPRegressor

    X, _ = blobs
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + np.sin(X[:, 0])
    Xd = dd.from_pandas(pd.DataFrame(X, columns=list("abcd")), npartitions=3)
    yd = dd.from_pandas(pd.Series(y, name="y"), npartitions=3)
    params = {"hidden_layer_sizes": (6,), "batch_size": 64, "max_iter": 4, "random_state": 0}
    with pytest.warns(ConvergenceWarning):
        on_cluster = MLPRegressor(**params).fit(Xd, yd)
    with pytest.warns(ConvergenceWarning):
        in_memory = MLPRegressor(**params).fit(X, y)
    for W, W_ref in zip(on_cluster.coefs_, in_memory.coefs_):
        np.testing.assert_allclose(W, W_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(on_cluster.loss_curve_, in_memory.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(on_cluster.predict(Xd).compute(), in_memory.predict(X),
                               rtol=1e-9)


def test_an_estimator_keeps_a_float32_dask_array_in_float32(client, blobs):
    from chainrule.estimators import MLPClassifier

    X, y = blobs
    X32 = X.astype(np.float32)
    Xd, yd = da.from_array(X32, chunks=(200, 4)), da.from_array(y, chunks=200)
    params = {"hidden_layer_sizes": (8,), "batch_size": 100, "max_iter": 2,
              "random_state": 0, "n_iter_no_change": 100}
    with pytest.warns(ConvergenceWarning):
        on_cluster = MLPClassifier(**params).fit(Xd, yd)
    with pytest.warns(ConvergenceWarning):
        in_memory = MLPClassifier(**params).fit(X32, y)
    assert on_cluster.network_.dtype == in_memory.network_.dtype == np.float32
    for W, W_ref in zip(on_cluster.coefs_, in_memory.coefs_):
        np.testing.assert_allclose(W, W_ref, rtol=1e-5, atol=1e-6)


def test_sample_weight_on_dask_collections_is_refused_by_name(client, blobs):
    from chainrule import distributed
    from chainrule.errors import ConfigError
    from chainrule.estimators import MLPClassifier

    X, y = blobs
    Xd, yd = da.from_array(X, chunks=(200, 4)), da.from_array(y, chunks=200)
    with pytest.raises(ConfigError, match=r"^sample_weight: not taken with Dask inputs"):
        MLPClassifier(max_iter=1).fit(Xd, yd, sample_weight=np.ones(600))
    net = Network([4, 3, 3], ["tanh", "softmax"], cost="cross_entropy", random_state=0)
    Y = da.from_array(np.eye(3)[y], chunks=(200, 3))
    with pytest.raises(ConfigError, match=r"^sample_weight: not taken on a cluster"):
        distributed.fit(net, Xd, Y, client=client, sample_weight=np.ones(600), epochs=1)
    with pytest.raises(ConfigError, match=r"^validation_data: expected"):
        distributed.fit(net, Xd, Y, client=client, epochs=1,
                        validation_data=(Xd, Y, np.ones(600)))
