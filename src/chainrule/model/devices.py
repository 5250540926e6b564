"""A model whose network lives on another array library's device (PyTorch, CuPy, ...).

:meth:`Model.to <chainrule.model.Model.to>` and ``load_model(path, device=...)`` put
the network there; the model then takes inputs of that library and device and answers
in kind.  What the model keeps besides the network (the input scaling, the classes)
stays on the host as NumPy numbers and Python values: the scaling is applied on the
device in float64, as on the host, and labels that are numbers are given back on the
device (text labels, which the array libraries cannot hold, as a NumPy array).

The functions here are the device halves of the model's methods; the host halves in
:mod:`chainrule.model.model` are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data.scaling import Standardizer
from ..errors import ConfigError, DataError
from ..nn.network import Network
from ..utils.namespace import (
    Namespace,
    array_namespace,
    as_2d_portable,
    as_data,
    host_kind,
    is_numpy,
    to_numpy,
)

__all__ = ["device_labels", "device_like", "device_matrix", "device_proba", "device_scaler",
           "host_labels", "normalised_rows", "scaled", "where"]

Array = Any


ACCEPTED = "'cpu', 'cuda', 'cuda:N', a torch.device or None (NumPy)"


def device_like(device: object = None, like: object = None) -> object:
    """An empty array on the place ``device`` or ``like`` names, for
    :meth:`Network.move_to <chainrule.nn.network.Network.move_to>`; None for NumPy.

    Parameters
    ----------
    device : str or torch.device, optional
        A PyTorch device: ``'cpu'``, ``'cuda'``, ``'cuda:N'`` for a CUDA device PyTorch
        sees, ``'mps'`` where ``torch.backends.mps.is_available()``, or a
        ``torch.device`` of those (PyTorch tensors there).  None: NumPy on the host,
        unless ``like`` is given.
    like : array, optional
        An array of the library and device wanted: a NumPy array, a PyTorch tensor (on a
        device ``device`` accepts), a CuPy array, ...  A list is not an array: refused.

    Raises
    ------
    ConfigError
        Naming ``device`` or ``like``: both given, PyTorch missing, a device of another
        kind (``'meta'``, ``'cpu:7'``, ...) or one not available here.
    """
    if like is not None:
        if device is not None:
            raise ConfigError("device: give device or like, not both")
        return _like(like)
    if device is None:
        return None
    try:
        import torch
    except ImportError:
        raise ConfigError(f"device: {device!r} names a PyTorch device and PyTorch is not "
                          "installed (pip install torch 'chainrule[array-api]'); for CuPy "
                          "pass like=cupy.empty(0)") from None
    if not isinstance(device, str | torch.device):
        raise ConfigError(f"device: expected {ACCEPTED}, got {device!r}")
    try:
        place = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ConfigError(f"device: expected {ACCEPTED}, got {device!r}") from None
    _check_place(torch, place, "device", repr(device))
    empty = torch.empty(0, device=place)
    array_namespace(empty, name="device")  # array-api-compat installed, or refused naming device
    return empty


def _like(like: object) -> object:
    """``like`` checked: None for a NumPy array, else the array (a tensor on a device
    that ``device`` would accept)."""
    if isinstance(like, np.ndarray):
        return None
    if is_numpy(like):  # lists, numbers, SciPy matrices: not an array of a library
        raise ConfigError(f"like: expected an array of the library and device wanted (a "
                          f"NumPy array, a PyTorch tensor, a CuPy array), got "
                          f"{type(like).__name__}")
    if type(like).__module__.split(".")[0] == "torch":
        import torch

        _check_place(torch, like.device, "like", f"a tensor on {str(like.device)!r}")  # type: ignore[attr-defined]
    return as_data(like, "like")  # dense real numbers of NumPy, PyTorch or CuPy


def _check_place(torch: Any, place: Any, name: str, given: str) -> None:
    """Refuse, naming ``name``, a torch device that is not cpu, an available CUDA device
    or an available MPS device."""
    if place.type == "cpu" and place.index in (None, 0):
        return
    if place.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (place.index or 0) < count:
            return
        raise ConfigError(f"{name}: {given} is not available here ({count} CUDA "
                          "device(s) seen by PyTorch)")
    if place.type == "mps" and place.index in (None, 0):
        if torch.backends.mps.is_available():
            return
        raise ConfigError(f"{name}: {given} is not available here (PyTorch sees no MPS "
                          "device)")
    if name == "like":
        raise ConfigError(f"like: {given}; expected a tensor on 'cpu' or on a CUDA (or "
                          "MPS) device PyTorch sees")
    raise ConfigError(f"device: expected {ACCEPTED}, got {given} (and 'mps' where PyTorch "
                      "has it)")


def where(network: Network) -> str:
    """Where the network's parameters are, in words, for messages."""
    ns = network.namespace
    return "NumPy on the host" if ns is None else f"{ns.name} on {ns.device}"


def device_matrix(X: object, network: Network, name: str = "X") -> tuple[Array, Namespace]:
    """``X`` checked where it lives: (N, n_inputs) float64 finite numbers on the network's
    device, which must be X's.

    Raises
    ------
    DataError
        Naming ``name``, when X is not where the network is (say ``model.to(...)``).
    """
    X = as_data(X, name)
    ns = array_namespace(X)
    fitted = network.namespace
    if ns is None or fitted is None or ns.name != fitted.name or \
            str(ns.device) != str(fitted.device):
        place = host_kind(X) if ns is None else f"{ns.name} arrays on {ns.device}"
        raise DataError(f"{name}: {place}, but the model is {where(network)}: move it there "
                        "first (model.to(device) or model.to(like=X); model.to(None) for "
                        "NumPy)")
    A, _ = as_2d_portable(X, name, network.n_inputs, np.dtype(np.float64), ns)
    return A, ns


def device_scaler(A: Array, ns: Namespace) -> Standardizer:
    """The :class:`~chainrule.data.scaling.Standardizer` of the (N, n) float64 rows ``A``,
    as the host's :meth:`~chainrule.data.scaling.Standardizer.fit` computes it: each
    column counted in units ``u = x / 2^e``, ``2^e`` the power of two at or below its
    largest ``|x|`` (an exact division; ``Σ u²`` stays finite where ``Σ x²`` of values
    above 1e154 would not), its moments taken on the device about row 0 (so that a column
    like 1e6 ± 1e-3 keeps its variance).  One read from the device.

    Raises
    ------
    DataError
        Naming X and the column whose scale is not a finite number."""
    xp = ns.xp
    big = xp.max(xp.abs(A), axis=0)  # (n,)
    e = xp.floor(xp.log2(xp.where(big > 0, big, xp.ones_like(big))))
    unit = xp.pow(xp.full_like(big, 2.0), e)  # (n,) powers of two
    U = A / unit  # (N, n) in units, |u| < 2
    D = U - U[0, :]  # (N, n), shifted by the first row
    m = xp.mean(D, axis=0)
    M2 = xp.sum((D - m) ** 2, axis=0)
    mean, M2, unit = to_numpy(xp.stack([(m + U[0, :]) * unit, M2, unit]))  # one read
    scaler = Standardizer.from_moments(int(A.shape[0]), mean, M2, unit)
    bad = np.flatnonzero(~(np.isfinite(scaler.mean_) & np.isfinite(scaler.scale_)))
    if bad.size:
        raise DataError(f"X: column {bad[0]}'s mean or standard deviation is not a finite "
                        "number; rescale that column")
    return scaler


def scaled(A: Array, scaler: Standardizer | None, ns: Namespace) -> Array:
    """``(A − mean_) / scale_`` on the device, in float64 (A as it is without a scaler)."""
    if scaler is None:
        return A
    return (A - ns.asarray(scaler.mean_)) / ns.asarray(scaler.scale_)


def device_labels(A: Array, classes: Sequence[Any], ns: Namespace) -> Array:
    """The class of each row of outputs ``A`` (N, K), as ``predicted_labels`` gives it:
    numbers on the device, text as a NumPy array."""
    xp = ns.xp
    k = xp.astype(A[:, 0] >= 0.5, xp.int64) if A.shape[1] == 1 else xp.argmax(A, axis=1)
    labels = np.asarray(classes)
    if labels.dtype.kind in "biuf":
        return xp.take(ns.asarray(labels), k, axis=0)
    return labels[to_numpy(k)]


def device_proba(A: Array, activation: str, ns: Namespace) -> Array:
    """Class probabilities of the outputs ``A`` as :meth:`Model.predict_proba` gives them."""
    xp = ns.xp
    if activation == "softmax":
        return A
    if A.shape[1] == 1:
        return xp.concat([1.0 - A, A], axis=1)  # (N, 2): P(classes[0]), P(classes[1])
    return normalised_rows(xp, A)


def normalised_rows(xp: Any, P: Array) -> Array:
    """Each row of ``P`` (N, K) ≥ 0 divided by its sum; a row of zeros becomes 1/K each."""
    total = xp.sum(P, axis=1, keepdims=True)  # (N, 1)
    even = xp.full_like(P, 1 / P.shape[1])
    return xp.where(total > 0, P / xp.where(total > 0, total, 1.0), even)


def host_labels(y: object) -> object:
    """Labels or targets given on a device, on the host, where they are encoded."""
    return y if is_numpy(y) else to_numpy(y)
