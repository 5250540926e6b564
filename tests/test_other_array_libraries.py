"""Arrays chainrule does not compute on are refused by name, never half-used.

The parameters are one flat array updated in place through per-layer views, which NumPy,
PyTorch and CuPy give and the array API standard alone does not promise.  Before, arrays of
other libraries got as far as the network and ended in an AttributeError
(``array_api_strict``: "'Array' object has no attribute 'reshape'").  ``Alien`` stands for
such a library here: an array type that says it follows the standard.  SciPy's sparse
matrices, which the scikit-learn estimators take, are refused by the engine and the model
with the way to densify them (NumPy read one as an object scalar).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
import torch

from chainrule import DataError, Model, Network
from chainrule.estimators import MLPClassifier
from chainrule.train import fit as train_fit
from chainrule.utils.namespace import check_library

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FIT = dict(epochs=2, learning_rate=0.1, batch_size=8, random_state=0)
REFUSED = (r"^{name}: an array of \w+ \(Alien\); chainrule computes on NumPy "
           r"arrays, PyTorch tensors and CuPy arrays: convert {name} first, e\.g\. "
           r"numpy\.from_dlpack\({name}\)$")


@pytest.fixture
def data(rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (40, 3), class labels (40,) and one-hot targets (40, 2)."""
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    return X, y, np.eye(2)[y]


@pytest.fixture
def dispatch(monkeypatch):
    """scikit-learn's array_api_dispatch on (it asks for SCIPY_ARRAY_API=1 first)."""
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with sklearn.config_context(array_api_dispatch=True):
        yield


def fresh() -> Network:
    return Network([3, 4, 2], "tanh", cost="cross_entropy", random_state=0)


def fitted(X: np.ndarray, y: np.ndarray) -> Model:
    return Model(fresh()).fit(X, y, task="classification", **FIT)


class Alien:
    """An array of a library chainrule does not know: it says it follows the standard."""

    def __init__(self, a: np.ndarray):
        self.shape, self.dtype, self.ndim = a.shape, a.dtype, a.ndim

    def __array_namespace__(self, api_version=None):  # pragma: no cover - never asked
        raise AssertionError("chainrule must refuse before asking for the namespace")


def test_x_of_another_array_library_is_refused_naming_x_everywhere(data, dispatch):
    X, y, Y = data
    Xs = Alien(X)
    model, est = fitted(X, y), MLPClassifier(max_iter=2).fit(X, y)
    calls = [lambda: train_fit(fresh(), Xs, Y, **FIT),
             lambda: Model(fresh()).fit(Xs, y, **FIT),
             lambda: model.predict(Xs), lambda: model.evaluate(Xs, y),
             lambda: model.network.predict(Xs),
             lambda: MLPClassifier(max_iter=2).fit(Xs, y), lambda: est.predict(Xs)]
    for call in calls:
        with pytest.raises(DataError, match=REFUSED.format(name="X")):
            call()
    with sklearn.config_context(array_api_dispatch=False), \
            pytest.raises(DataError, match=REFUSED.format(name="X")):
        MLPClassifier(max_iter=2).fit(Xs, y)


def test_targets_and_weights_of_another_library_are_refused_by_name(data, dispatch):
    X, y, Y = data
    T = torch.asarray(X)
    for name, call in [
            ("y", lambda: train_fit(fresh(), X, Alien(Y), **FIT)),
            ("y", lambda: train_fit(fresh(), T, Alien(Y), **FIT)),
            ("sample_weight", lambda: train_fit(fresh(), X, Y, **FIT,
                                                sample_weight=Alien(np.ones(40)))),
            ("y", lambda: Model(fresh()).fit(T, Alien(y), task="classification")),
            ("y", lambda: MLPClassifier(max_iter=2).fit(T, Alien(y))),
            ("sample_weight", lambda: MLPClassifier(max_iter=2).fit(
                T, torch.asarray(y), sample_weight=Alien(np.ones(40))))]:
        with pytest.raises(DataError, match=REFUSED.format(name=name)):
            call()


def test_moving_to_another_library_is_refused_naming_like(data):
    X, y, _ = data
    model = fitted(X, y)
    with pytest.raises(DataError, match=REFUSED.format(name="like")):
        model.to(like=Alien(X))
    with pytest.raises(DataError, match=REFUSED.format(name="like")):
        fresh().move_to(Alien(X))
    assert isinstance(model.network.params, np.ndarray)  # nothing moved


def test_numpy_pytorch_and_what_numpy_reads_pass_the_library_check(data):
    X = data[0]
    for ok in [X, X[0, 0], [1.0, 2.0], 3.0, None, sp.csr_matrix(X), torch.zeros(1)]:
        check_library(ok, "X")


@pytest.mark.parametrize("make", [sp.csr_matrix, sp.csr_array, sp.coo_matrix])
def test_the_engine_and_the_model_refuse_scipy_sparse_x_with_the_way_to_densify(data, make):
    X, y, Y = data
    S = make(X)
    model = fitted(X, y)
    kind = type(S).__name__
    for call in [lambda: train_fit(fresh(), S, Y, **FIT), lambda: Model(fresh()).fit(S, y),
                 lambda: model.predict(S), lambda: fresh().forward(S)]:
        with pytest.raises(DataError, match=rf"^X: a SciPy sparse {kind}; networks here take "
                                            r"dense arrays: give X\.toarray\(\) \(the "
                                            r"scikit-learn estimators take sparse X"):
            call()
    np.testing.assert_array_equal(model.predict(S.toarray()), model.predict(X))
