"""The faces on a Dask cluster: Model.predict on Dask collections, the estimators inside
dask-ml's wrappers, and ``chainrule train DATA --workers N / --cluster ADDRESS``."""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

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
