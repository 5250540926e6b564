"""The estimators on other array libraries' arrays: scikit-learn's ``array_api_dispatch``.

PyTorch tensors, CuPy arrays and those of any array-API library whose arrays can be written
in place through views (array_api_strict's; ``chainrule.utils.namespace.check_views``).

scikit-learn's own array-API estimators compute where their inputs live only when
``sklearn.set_config(array_api_dispatch=True)`` (or ``sklearn.config_context``) says so;
otherwise they convert every input to NumPy (``np.asarray``), which a CUDA tensor refuses.
The MLPs follow the same switch, read through scikit-learn's public ``get_config``:

* dispatch off: a CPU tensor becomes a NumPy array, as scikit-learn converts it; an array
  on another device is refused naming the argument and the switch;
* dispatch on, X of another library: the network moves to X's device and trains there
  (``fit``'s rows gathered there, :class:`~chainrule.train.device_rows.DeviceRows`); ``y``
  and ``sample_weight`` follow X, as in scikit-learn (labels are encoded on the host,
  the one-hot targets then put on X's device); ``predict`` and ``predict_proba`` answer in
  X's library, on its device.  A solver that runs on the host (L-BFGS, in SciPy) is
  refused naming ``solver``.

NumPy inputs never reach this module's work: :func:`fit_namespace` returns None for them
after one type check per argument.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DataError
from ..utils.namespace import (
    Namespace,
    array_namespace,
    as_data,
    host_kind,
    is_numpy,
    to_numpy,
)

__all__ = ["data_inputs", "dispatch_on", "fit_namespace", "predict_namespace",
           "threshold_labels"]

Array = Any


def dispatch_on() -> bool:
    """Whether scikit-learn's ``array_api_dispatch`` is on (its public configuration)."""
    import sklearn

    return bool(sklearn.get_config().get("array_api_dispatch", False))


def _host_readable(a: object, ns: Namespace) -> bool:
    """Whether NumPy reads ``a`` where it is, as scikit-learn will with dispatch off: a
    CPU tensor, or e.g. an array_api_strict array on its CPU device; never CuPy's."""
    if ns.name == "cupy":
        return False  # CuPy refuses implicit copies to the host
    if str(ns.device) == "cpu":
        return True
    try:
        np.asarray(a)  # a view where the array is on the host
    except Exception:  # each library refuses in its own words
        return False
    return True


def _refuse_off_host(a: object, name: str) -> None:
    """With dispatch off an array must convert to NumPy: one on a device is refused."""
    ns = array_namespace(a, name=name)
    if ns is not None and not _host_readable(a, ns):
        article = "an" if ns.name[:1] in "aeiou" else "a"
        raise DataError(f"{name}: {article} {ns.name} array on {ns.device}; scikit-learn converts "
                        "inputs to NumPy unless array_api_dispatch is on: "
                        "sklearn.set_config(array_api_dispatch=True) (or "
                        "sklearn.config_context) trains and predicts where it lives, or move "
                        f"{name} to NumPy")


def fit_namespace(X: object, **others: object) -> Namespace | None:
    """Where ``fit`` computes for ``X`` (and its ``others``, e.g. ``y=``, by name).

    Returns
    -------
    Namespace or None
        X's library and device with dispatch on and X not NumPy; None for NumPy
        (dispatch off converts CPU tensors, as scikit-learn does).

    Raises
    ------
    DataError
        With dispatch off, for an array on a device (naming it).
    """
    if is_numpy(X, *others.values()):
        return None
    if not dispatch_on():
        for name, a in {"X": X, **others}.items():
            _refuse_off_host(a, name)
        return None
    return array_namespace(X) if not is_numpy(X) else None


def data_inputs(**arrays: object) -> list[object]:
    """The arrays given by name (``X=``, ``y=``, ...) as numbers to compute on, in order:
    :func:`~chainrule.utils.namespace.as_data` (a tensor's gradients are not followed;
    sparse tensors, complex numbers and ``meta`` tensors are refused naming the argument).
    NumPy inputs, lists and SciPy sparse matrices are given back as they are."""
    return [as_data(a, name) for name, a in arrays.items()]


def follow_x(a: object) -> object:
    """``y`` or ``sample_weight`` of another library than X's: taken to the host, where
    labels are encoded and weights checked (the targets then go to X's device)."""
    return a if is_numpy(a) else to_numpy(a)


def predict_namespace(X: object, fitted: Namespace | None, method: str) -> Namespace | None:
    """Where ``method`` (e.g. ``'MLPClassifier.predict'``) computes for ``X``: where the
    network was fitted, which X must match.

    Raises
    ------
    DataError
        Naming X and the method: X of another library or device than the network's,
        or dispatch off for a network fitted on another library's arrays; naming X, a
        tensor that holds no dense real numbers (``as_data``).
    """
    if fitted is None and is_numpy(X):
        return None
    on = dispatch_on()
    if not on:
        _refuse_off_host(X, "X")
    ns = array_namespace(as_data(X, "X")) if on else None  # X holds dense real numbers
    if fitted is not None and not on:
        owner, _, call = method.rpartition(".")
        raise DataError(f"X: {owner} was fitted on {fitted.name} arrays on {fitted.device} "
                        f"with array_api_dispatch on; turn it on again "
                        f"(sklearn.config_context(array_api_dispatch=True)) to call {call}() "
                        "with X there")
    same = (ns is None and fitted is None) or (
        ns is not None and fitted is not None and ns.name == fitted.name
        and str(ns.device) == str(fitted.device))
    if not same:
        given = host_kind(X) if ns is None else _where(ns)
        raise DataError(f"X: {method}() must use the same namespace and device as fit: "
                        f"fitted on {_where(fitted)}, X is {given}")
    return ns


def _where(ns: Namespace | None) -> str:
    return "NumPy arrays" if ns is None else f"{ns.name} arrays on {ns.device}"


def threshold_labels(A: Array, classes: Array, ns: Namespace, multilabel: bool) -> Array:
    """scikit-learn's labels of the outputs ``A`` (N, n_out), on A's device.

    Argmax for several softmax outputs; ``a > ½`` for one output (class 1 of two) and for
    multilabel indicators (0/1 integers), as ``LabelBinarizer.inverse_transform`` does.
    ``classes`` on the device gives labels there; text classes stay NumPy.
    """
    xp = ns.xp
    if multilabel:
        return xp.astype(A > 0.5, xp.int64)  # (N, n_labels)
    index = xp.astype(A[:, 0] > 0.5, xp.int64) if A.shape[1] == 1 else xp.argmax(A, axis=1)
    if isinstance(classes, np.ndarray):
        return classes[to_numpy(index)]
    return xp.take(classes, index, axis=0)


def classes_on(classes: np.ndarray, ns: Namespace | None) -> Array:
    """``classes_`` where X lives, as scikit-learn keeps them: numbers on X's device;
    text (which the array libraries cannot hold) stays NumPy."""
    if ns is None or classes.dtype.kind not in "biuf":
        return classes
    return ns.asarray(classes)


def device_dtypes(ns: Namespace, dtype: np.dtype | None) -> Any:
    """``validate_data``'s ``dtype`` in X's library: ``dtype``, or float64 and float32."""
    if dtype is not None:
        return ns.dtype(dtype)
    return [ns.dtype(np.float64), ns.dtype(np.float32)]


def sigmoid(xp: Any, Z: Array) -> Array:
    """σ(z) = 1 / (1 + e^−z) in X's library (scipy's ``expit`` is NumPy's)."""
    return 1 / (1 + xp.exp(-Z))
