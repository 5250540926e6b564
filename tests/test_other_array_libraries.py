"""Arrays chainrule cannot compute on are refused by name, never half-used.

The parameters are one flat array updated in place through per-layer views, which the array
API standard alone does not promise.  No library is named in a list: a network that moves
to one writes through the flat array and through its views, and refuses, naming the
argument and the library, one whose arrays are immutable (as JAX's are: ``FrozenArray``
here) or whose slices are copies (``CopyingArray``); nothing has moved then.  A library
whose namespace lacks the standard's functions (``Alien``) is refused when its arrays
arrive.  ``array_api_strict``'s arrays pass (tests/test_array_api.py trains on them).
SciPy's sparse matrices, which the scikit-learn estimators take, are refused by the engine
and the model with the way to densify them (NumPy read one as an object scalar).
"""

from __future__ import annotations

from types import SimpleNamespace

import array_api_strict
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
REFUSED = (r"^{name}: an array of \w+ \(Alien\) whose namespace has no asarray, astype, "
           r"reshape, .*, concat; chainrule computes on NumPy arrays, PyTorch tensors, CuPy "
           r"arrays and arrays of array-API libraries that can be written in place through "
           r"views \(array_api_strict's\): convert {name} first, e\.g\. "
           r"numpy\.from_dlpack\({name}\)$")
FROZEN = (r"^{name}: arrays of frozenlib cannot be written in place \(TypeError: FrozenArray "
          r"does not support item assignment\); a network's parameters are one flat array "
          r"updated in place through per-layer views: convert {name} to NumPy first, e\.g\. "
          r"numpy\.from_dlpack\({name}\)$")
COPYING = (r"^{name}: arrays of copylib copy where they slice \(a write through the flat "
           r"array was not seen by the other\); a network's parameters are one flat array "
           r"updated in place through per-layer views: convert {name} to NumPy first")


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
    """An array of a library that says it follows the standard, with a namespace that has
    none of its functions."""

    def __init__(self, a: np.ndarray):
        self.shape, self.dtype, self.ndim = a.shape, a.dtype, a.ndim

    def __array_namespace__(self, api_version=None):
        return SimpleNamespace(__name__="alien")


class FakeArray:
    """An array of a made-up array-API library, NumPy inside: its namespace makes and
    reshapes its arrays, and lends NumPy's functions for the rest of the standard."""

    library = "fakelib"

    def __init__(self, a: object):
        self.a = np.asarray(a)
        self.shape, self.dtype, self.ndim, self.device = self.a.shape, self.a.dtype, \
            self.a.ndim, "cpu"

    def __array_namespace__(self, api_version=None):
        return NAMESPACES.setdefault(type(self), FakeNamespace(type(self)))

    def __getitem__(self, key):
        return type(self)(self.a[key])

    def __setitem__(self, key, value):
        self.a[key] = value.a if isinstance(value, FakeArray) else value

    def __float__(self) -> float:
        return float(self.a)

    def __bool__(self) -> bool:
        return bool(self.a)


class FrozenArray(FakeArray):
    """Immutable, as JAX's arrays are: ``__setitem__`` raises."""

    library = "frozenlib"

    def __setitem__(self, key, value):
        raise TypeError(f"{type(self).__name__} does not support item assignment")


class ReadOnlyArray(FakeArray):
    """Immutable, saying so with a RuntimeError (no library's contract names the type)."""

    library = "readonlylib"

    def __setitem__(self, key, value):
        raise RuntimeError("arrays are immutable")


class CopyingArray(FakeArray):
    """Its slices are copies, not views."""

    library = "copylib"

    def __getitem__(self, key):
        return type(self)(self.a[key].copy())


class FakeNamespace:
    def __init__(self, kind: type[FakeArray]):
        self.kind, self.__name__ = kind, kind.library
        self.float64, self.float32 = np.float64, np.float32

    def asarray(self, a, dtype=None, device=None, copy=None):
        return self.kind(np.array(a, dtype=dtype))

    def zeros_like(self, a):
        return self.kind(np.zeros_like(a.a))

    def reshape(self, a, shape, copy=None):
        return self.kind(a.a.reshape(shape))

    def __getattr__(self, name: str):
        """The rest of the standard: NumPy's function, on the arrays inside."""
        f = getattr(np, name)

        def on_arrays(*args, **kwargs):
            out = f(*[a.a if isinstance(a, FakeArray) else a for a in args], **kwargs)
            return self.kind(out) if isinstance(out, np.ndarray | np.generic) else out

        return on_arrays if callable(f) and not isinstance(f, type) else f


NAMESPACES: dict[type, FakeNamespace] = {}


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


READ_ONLY = (r"^{name}: arrays of readonlylib cannot be written in place \(RuntimeError: "
             r"arrays are immutable\); a network's parameters are one flat array")


@pytest.mark.parametrize(("kind", "refused"), [(FrozenArray, FROZEN), (ReadOnlyArray, READ_ONLY),
                                               (CopyingArray, COPYING)],
                         ids=["immutable", "immutable-runtime-error", "slices-copy"])
def test_a_library_without_writable_views_is_refused_when_a_network_moves_there(
        data, kind, refused):
    X, y, Y = data
    net, model = fresh(), fitted(X, y)
    before = net.params.copy()
    for name, call in [("like", lambda: net.move_to(kind(X))),
                       ("like", lambda: model.to(like=kind(X))),
                       ("X", lambda: train_fit(net, kind(X), kind(Y), **FIT)),
                       ("X", lambda: Model(fresh()).fit(kind(X), kind(y), **FIT))]:
        with pytest.raises(DataError, match=refused.format(name=name)):
            call()
    # nothing moved: the network trains on NumPy as before, its views still its params'
    assert net.namespace is None and isinstance(net.params, np.ndarray)
    np.testing.assert_array_equal(net.params, before)
    assert np.shares_memory(net.W[1], net.params) and np.shares_memory(net.db[0], net.grads)
    assert model.network.namespace is None
    train_fit(net, X, Y, **FIT)


def test_a_library_with_writable_views_moves_and_is_left_as_it_was(data):
    X = data[0]
    net = fresh().move_to(FakeArray(X))
    host = fresh()
    assert net.namespace.name == "fakelib"
    np.testing.assert_array_equal(net.params.a, host.params)  # every probe put back
    assert np.shares_memory(net.W[1].a, net.params.a)


def test_numpy_pytorch_array_api_strict_and_what_numpy_reads_pass_the_library_check(data):
    X = data[0]
    for ok in [X, X[0, 0], [1.0, 2.0], 3.0, None, sp.csr_matrix(X), torch.zeros(1),
               array_api_strict.asarray(X), FrozenArray(X)]:
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


def test_targets_of_another_library_than_a_host_x_get_a_hint_any_library_can_follow(data):
    """Not y.cpu() (PyTorch's only) and not 'NumPy' for a Dask X."""
    import dask.array as da

    X, _, Y = data
    for X_host, kind in [(X, "NumPy"), (da.from_array(X, chunks=20), "a Dask array")]:
        with pytest.raises(DataError, match=rf"^y: array_api_strict arrays on .*, but X is "
                                            rf"{kind}.*: give y as a NumPy array \(e\.g\. "
                                            r"numpy\.from_dlpack\(y\) on the CPU\), or X in "
                                            r"y's library$"):
            train_fit(fresh(), X_host, array_api_strict.asarray(Y), **FIT)
