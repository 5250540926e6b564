"""Dense feed-forward networks: parameters, the forward pass and back-propagation.

Notation follows the exercise.  Layer ``l = 1 … L`` computes, for one example
(a column vector ``a(l−1)``)::

    z(l) = W(l) a(l−1) + b(l),      a(l) = σ(z(l)),      a(0) = x

with ``W(l)`` of shape ``(n_l, n_{l−1})`` and ``b(l)`` of shape ``(n_l,)``.  A
batch stores examples as rows, so the same equations read
``Z(l) = A(l−1) W(l)ᵀ + b(l)``.  Python lists are 0-based: ``network.W[0]``
is the exercise's ``W(1)``.

All weights and biases are views into one contiguous vector
:attr:`Network.params`; their gradients are views into :attr:`Network.grads`.
Optimisers, L-BFGS and the gradient check work on those flat vectors directly.

Back-propagation applies the chain rule from the output backwards::

    dZ(L)   = ∂C/∂Z(L)                       (from the cost, see chainrule.nn.costs)
    dW(l)   = dZ(l)ᵀ A(l−1)                  ∂z/∂W = a(l−1)
    db(l)   = Σ_k dZ(l)[k]                   ∂z/∂b = 1
    dA(l−1) = dZ(l) W(l)                     ∂z(l)/∂a(l−1) = W(l)
    dZ(l−1) = dA(l−1) ⊙ σ'(Z(l−1))           ∂a/∂z = σ'(z)

Each line is written once, in :mod:`chainrule.nn.layers` (one layer's
``weighted_sum`` and ``backward``) and :mod:`chainrule.nn.activations` (σ and σ');
the network runs them layer by layer on preallocated buffers.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ..utils import html
from ..utils.memory import check_memory
from ..utils.namespace import (
    Namespace,
    array_namespace,
    as_2d_portable,
    as_data,
    assign,
    check_views,
    host_kind,
    is_numpy,
    to_numpy,
)
from ..utils.validation import as_2d, as_float_dtype, as_generator, check_same_rows
from . import layers, portable
from .activations import Activation, get_activation
from .chain import ChainRule, ParamRef, chain_factors, parse_param
from .chain import Factor as Factor  # re-exported: chainrule.nn.network has always had it
from .costs import Cost, get_cost, output_delta
from .layers import Buffers, Cache, Plan

__all__ = ["Network"]

Array = np.ndarray


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


def _layer_activations(n_layers: int, activation: str | Sequence[str],
                       output_activation: str | None, cost: Cost) -> list[Activation]:
    """σ of every layer.  The output's is the first of: ``output_activation``, the last
    of one name per layer, the cost's default, the hidden σ (identity if there is none)."""
    if isinstance(activation, str | Activation):
        hidden = [get_activation(activation)] * (n_layers - 1)
        named_out, fallback = None, get_activation(activation)
    else:
        try:
            names = list(activation)
        except TypeError:
            raise ConfigError(f"activation: expected a name or a list of names, "
                              f"got {activation!r}") from None
        if len(names) not in (n_layers, n_layers - 1):
            raise ConfigError(
                f"activation: expected one name or {n_layers - 1} (one per hidden layer), "
                f"got {len(names)}"
            )
        hidden = [get_activation(a) for a in names]
        named_out = hidden.pop() if len(names) == n_layers else None  # output included
        fallback = hidden[-1] if hidden else get_activation("identity")
    if output_activation is not None:
        out = get_activation(output_activation)
    elif named_out is not None:
        out = named_out
    else:
        out = get_activation(cost.default_output_activation or fallback)
    _check_hidden(hidden)
    return [*hidden, out]


def _check_hidden(hidden: Sequence[Activation]) -> None:
    for a in hidden:
        if not a.elementwise:
            raise ConfigError(f"activation: {a.name!r} can only be used on the output layer")


class Network:
    """A dense feed-forward network trained by back-propagation.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_in, h1, …, n_out)``; at least two entries, all ≥ 1.
    activation : str or sequence of str, default 'tanh'
        σ of the hidden layers: one name for all, or one per hidden layer (or
        one per layer including the output).
    output_activation : str, optional
        σ of the output layer.  Defaults to the hidden activation for squared
        error (the exercise's networks are tanh throughout), logistic for binary
        cross-entropy, softmax for cross-entropy and exp for Poisson.
    cost : str, default 'squared_error'
        ``'squared_error'`` (``C_k = |a − y|²``), ``'half_squared_error'``,
        ``'binary_cross_entropy'``, ``'cross_entropy'`` or ``'poisson'`` (see
        :mod:`chainrule.nn.costs`).
    dtype : {'float64', 'float32'}
        Precision of parameters, buffers and results; inputs are converted once.
    random_state : int, numpy.random.Generator or None
        Seed of the initialisation.
    init : {'auto', 'glorot', 'he'}
        'glorot': W and b ~ U(−r, r), r = √(6/(n_in + n_out)) (×√2 for logistic);
        'he': W ~ N(0, 2/n_in), b = 0.  'auto' picks He for the relu family.
    weights, biases : sequence of array-like, optional
        Explicit parameters, e.g. ``weights=[[[1.3]]], biases=[[-0.1]]`` for the
        exercise's NOT neuron.  Shapes must be ``(n_l, n_{l−1})`` and ``(n_l,)``.

    Attributes
    ----------
    params, grads : ndarray of shape (n_params,)
        All parameters and their gradients, contiguous.
    W, b, dW, db : list of ndarray
        Per-layer views into ``params`` and ``grads`` (``W[0]`` is the exercise's W(1)).
    activations : list of Activation
        One per layer.
    namespace : Namespace or None
        The array library and device holding ``params`` (None: NumPy, on the host); see
        :meth:`move_to`.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str | Sequence[str] = "tanh",
        output_activation: str | None = None,
        cost: str = "squared_error",
        *,
        dtype: object = np.float64,
        random_state: int | np.random.Generator | None = None,
        init: str = "auto",
        weights: Sequence[object] | None = None,
        biases: Sequence[object] | None = None,
    ):
        sizes = _check_sizes(layer_sizes)
        self.layer_sizes: tuple[int, ...] = sizes
        self.cost: Cost = get_cost(cost)
        self.activations: list[Activation] = _layer_activations(
            len(sizes) - 1, activation, output_activation, self.cost
        )
        self.cost.check_output_activation(self.activations[-1])
        if self.activations[-1].name == "softmax" and sizes[-1] < 2:
            # a softmax over one output is 1 for every input: nothing could be learned
            raise ConfigError("output_activation: softmax needs at least 2 outputs; for two "
                              "classes use one logistic output with binary_cross_entropy")
        self.dtype: np.dtype = as_float_dtype(dtype)
        # refused before NumPy tries (a bare MemoryError, or an overcommitted kill later)
        check_memory(2 * self.n_params * self.dtype.itemsize, "layer_sizes",
                     f"a {'-'.join(map(str, sizes))} network", f"{self.n_params:,} "
                     f"parameters, {self.dtype.name}: its weights and gradients")
        self.params: Array = np.zeros(self.n_params, self.dtype)
        self.grads: Array = np.zeros(self.n_params, self.dtype)
        self.W, self.b = self._views(self.params)
        self.dW, self.db = self._views(self.grads)
        self._buf = Buffers(sizes, [a.name == "identity" for a in self.activations],
                             any(a.name in ("relu", "softplus") for a in self.activations),
                             self.dtype)
        self._plans: dict[int, Plan] = {}
        self._plan: Plan | None = None
        self._cache = Cache()
        self.namespace: Namespace | None = None
        if weights is None and biases is None:
            self.initialize(random_state, init)
        else:
            self.set_weights(weights, biases)

    # -- structure -----------------------------------------------------------

    @property
    def n_layers(self) -> int:
        """Number of weight layers L (the input is not counted)."""
        return len(self.layer_sizes) - 1

    @property
    def n_params(self) -> int:
        s = self.layer_sizes
        return sum(s[l + 1] * s[l] + s[l + 1] for l in range(len(s) - 1))

    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    def _views(self, flat: Array) -> tuple[list[Array], list[Array]]:
        # another library's reshape through its namespace (the standard has no method),
        # copy=False: one that would have to copy raises instead
        reshape = (lambda a, shape: a.reshape(shape)) if isinstance(flat, np.ndarray) else \
            (lambda a, shape: self.namespace.xp.reshape(a, shape, copy=False))
        Ws, bs, k = [], [], 0
        for n_prev, n in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            Ws.append(reshape(flat[k:k + n * n_prev], (n, n_prev)))  # (n_l, n_{l-1})
            k += n * n_prev
            bs.append(flat[k:k + n])  # (n_l,)
            k += n
        return Ws, bs

    def offsets(self) -> list[tuple[int, int]]:
        """For each layer, the flat indices where W(l) and b(l) start in :attr:`params`."""
        out, k = [], 0
        for n_prev, n in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            out.append((k, k + n * n_prev))
            k += n * n_prev + n
        return out

    def flat_index(self, param: str | ParamRef) -> int:
        """Position of a parameter such as ``'W1[0,2]'`` in :attr:`params`.

        Raises
        ------
        ConfigError
            If the layer or an index is out of range (the message gives the valid range).
        """
        p = parse_param(param)
        if not 1 <= p.layer <= self.n_layers:
            raise ConfigError(f"param: {p} names layer {p.layer}; layers are 1 to {self.n_layers}")
        n, n_prev = self.layer_sizes[p.layer], self.layer_sizes[p.layer - 1]
        w0, b0 = self.offsets()[p.layer - 1]
        if not 0 <= p.row < n:
            raise ConfigError(f"param: {p} row {p.row} is out of range; layer {p.layer} has "
                              f"{n} neurons (rows 0 to {n - 1})")
        if p.kind == "b":
            return b0 + p.row
        assert p.col is not None
        if not 0 <= p.col < n_prev:
            raise ConfigError(f"param: {p} column {p.col} is out of range; layer {p.layer} has "
                              f"{n_prev} inputs (columns 0 to {n_prev - 1})")
        return w0 + p.row * n_prev + p.col

    def param_names(self) -> list[str]:
        """Name of every entry of :attr:`params`, in order (``'W1[0,0]'``, …)."""
        names = []
        for l, (n_prev, n) in enumerate(zip(self.layer_sizes[:-1], self.layer_sizes[1:]), 1):
            names += [f"W{l}[{r},{c}]" for r in range(n) for c in range(n_prev)]
            names += [f"b{l}[{r}]" for r in range(n)]
        return names

    def __repr__(self) -> str:
        acts = ", ".join(a.name for a in self.activations)
        return (f"Network(layer_sizes={self.layer_sizes}, activations=[{acts}], "
                f"cost={self.cost.name!r}, dtype={self.dtype.name})")

    def _repr_html_(self) -> str:
        """A table of the layers (neurons, σ, shapes, parameter counts) and the diagram."""
        sizes = self.layer_sizes
        rows: list[list[object]] = [["0 (input)", sizes[0], "", "", "", 0]]
        for l, (n_prev, n) in enumerate(pairwise(sizes), 1):
            what = f"{l} (output)" if l == self.n_layers else f"{l}"
            rows.append([what, n, self.activations[l - 1].name, f"{n}×{n_prev}", n,
                         n * n_prev + n])
        table = html.table(["layer", "neurons", "σ", "W shape", "b shape", "parameters"],
                           rows, footer=[["total", "", "", "", "", self.n_params]])
        labels = ["input"] + [f"{a.name}" for a in self.activations]
        diagram = html.network_svg(sizes, self.W, [f"{t} ({n})" for t, n in zip(labels, sizes)])
        title = (f"Network {'–'.join(map(str, sizes))}: cost {self.cost.name}, "
                 f"{self.n_params} parameters, {self.dtype.name}")
        return html.block(title, table, diagram)

    # -- parameters ----------------------------------------------------------

    def initialize(self, random_state: int | np.random.Generator | None = None,
                   init: str = "auto") -> Network:
        """(Re)draw all parameters; see the class docstring for the schemes."""
        rng = as_generator(random_state)
        if init not in ("auto", "glorot", "he"):
            raise ConfigError(f"init: expected 'auto', 'glorot' or 'he', got {init!r}")
        for l, act in enumerate(self.activations):
            n, n_prev = self.W[l].shape
            scheme = init
            if scheme == "auto":
                scheme = "he" if act.name in ("relu", "leaky_relu") else "glorot"
            if scheme == "he":
                self.W[l][...] = rng.normal(0.0, np.sqrt(2.0 / n_prev), size=(n, n_prev))
                self.b[l][...] = 0
            else:
                r = np.sqrt(6.0 / (n_prev + n)) * (np.sqrt(2.0) if act.name == "logistic" else 1)
                self.W[l][...] = rng.uniform(-r, r, size=(n, n_prev))
                self.b[l][...] = rng.uniform(-r, r, size=n)
        return self

    def set_weights(self, weights: Sequence[object] | None,
                    biases: Sequence[object] | None) -> Network:
        """Copy explicit W(l) and b(l) into the network (shapes checked per layer): read on
        the host, then copied onto the network's library and device (:meth:`move_to`)."""
        if weights is None or biases is None:
            raise ConfigError("weights, biases: give both or neither")
        if len(weights) != self.n_layers or len(biases) != self.n_layers:
            raise ConfigError(f"weights, biases: expected {self.n_layers} of each (one per "
                              f"layer), got {len(weights)} and {len(biases)}")
        for l, (Wl, bl) in enumerate(zip(weights, biases)):
            for name, val, dst in ((f"weights[{l}]", Wl, self.W[l]),
                                   (f"biases[{l}]", bl, self.b[l])):
                try:
                    arr = np.asarray(val if is_numpy(val) else to_numpy(as_data(val, name)),
                                     dtype=float)
                except (TypeError, ValueError):
                    raise DataError(f"{name}: expected numbers, got "
                                    f"{_short_repr(val)}") from None
                arr = arr.reshape(-1) if arr.ndim == 0 else arr
                if arr.shape != dst.shape:
                    raise ShapeError(f"{name}: expected shape {dst.shape}, got {arr.shape}")
                if not np.isfinite(arr).all():
                    raise DataError(f"{name}: contains NaN or infinity")
                assign(dst, arr)  # onto the network's device
        return self

    def get_weights(self) -> tuple[list[Array], list[Array]]:
        """Copies of every W(l) and b(l)."""
        return [self._copy(W) for W in self.W], [self._copy(b) for b in self.b]

    def _copy(self, a: Array) -> Array:
        return a.copy() if self.namespace is None else self.namespace.xp.asarray(a, copy=True)

    def copy(self) -> Network:
        """An independent network with the same structure and parameters."""
        net = Network.__new__(Network)
        net.__setstate__(self.__getstate__())
        return net

    def move_to(self, like: object, *, name: str = "like") -> Network:
        """Put the parameters where ``like`` lives: its array library and device.

        ``like`` is an array (a PyTorch tensor on ``cuda:0``, a CuPy array, an
        ``array_api_strict`` array, a NumPy array) or None for NumPy on the host.
        :attr:`params` and :attr:`grads` become arrays of that library, :attr:`W`,
        :attr:`b`, :attr:`dW`, :attr:`db` views into them again; the forward and backward
        passes then run there (:mod:`chainrule.nn.portable`) and take inputs of that
        library and device only.  Moving is the one explicit copy between devices; NumPy
        is the default.

        Parameters
        ----------
        like : array or None
        name : str, default 'like'
            What messages call ``like`` (``'X'`` when a fit follows its data).

        Returns
        -------
        Network
            ``self``.

        Raises
        ------
        ConfigError
            Naming ``name``: neither an array nor None (a string, a ``torch.device``: a
            device by name is :meth:`chainrule.Model.to`'s); nothing has moved then.
        DataError
            Naming ``name``: a library whose arrays cannot be written in place through
            views (immutable arrays, slices that copy), found by writing through them
            (``chainrule.utils.namespace.check_views``); nothing has moved then.
        """
        _check_like(like, name)
        ns = None if like is None else array_namespace(as_data(like, name), name=name)
        if _same_place(ns, self.namespace):
            return self
        host = to_numpy(self.params)
        if ns is None:
            params = host.copy()
        else:
            for a in self.activations:
                portable.portable_activation(a)  # refused before anything moves
            portable.portable_cost(self.cost)
            params = ns.xp.asarray(host, dtype=ns.dtype(self.dtype), device=ns.device,
                                   copy=True)
        old = self.namespace, self.params, self.grads
        self.namespace, self.params = ns, params
        self.grads = np.zeros_like(params) if ns is None else ns.xp.zeros_like(params)
        try:
            self._set_views(name)
        except DataError:
            self.namespace, self.params, self.grads = old
            self._set_views(name)
            raise
        self._plans, self._plan, self._cache = {}, None, Cache()
        self._portable = None if ns is None else (
            [portable.portable_activation(a)[0] for a in self.activations],
            [portable.portable_activation(a)[1] for a in self.activations],
            *portable.portable_cost(self.cost))
        return self

    def _set_views(self, name: str) -> None:
        """:attr:`W`, :attr:`b`, :attr:`dW`, :attr:`db` as views of the flat arrays;
        another library's checked to be views (the standard does not promise them)."""
        ns = self.namespace
        try:
            self.W, self.b = self._views(self.params)
            self.dW, self.db = self._views(self.grads)
        except ValueError as e:  # reshape(copy=False) of a slice that is no view
            raise DataError(f"{name}: arrays of {ns.name} cannot be reshaped without a copy "
                            f"({e}); convert {name} to NumPy first, e.g. "
                            f"numpy.from_dlpack({name})") from None
        if ns is None:
            return
        starts = self.offsets()
        for flat, W, b in ((self.params, self.W, self.b), (self.grads, self.dW, self.db)):
            pairs = [(v, k) for l, (w0, b0) in enumerate(starts) for v, k in
                     ((W[l], w0), (b[l], b0))]
            check_views(flat, pairs, name, ns.name)  # a few reads, once per move

    # Pickling (used by scikit-learn's clone and joblib, never for model files) keeps the
    # structure and the parameters only: the W and b views and the batch buffers are
    # rebuilt, so the views share memory with params again and no training batch is kept.
    def __getstate__(self) -> dict[str, object]:
        return {"layer_sizes": self.layer_sizes,
                "activations": [a.name for a in self.activations],
                "cost": self.cost.name, "dtype": self.dtype.name,
                "params": self._copy(self.params)}

    def __setstate__(self, state: dict[str, object]) -> None:
        params = state["params"]
        Network.__init__(self, state["layer_sizes"], state["activations"],  # type: ignore[arg-type]
                         cost=state["cost"], dtype=state["dtype"], random_state=0)  # type: ignore[arg-type]
        if array_namespace(params) is None:
            self.params[...] = np.asarray(params)
        else:  # on the device it was pickled from
            self.move_to(params)
            self.params[...] = params

    # -- forward and backward ------------------------------------------------

    def _get_plan(self, N: int) -> Plan:
        plan = self._plans.get(N)
        if plan is None:
            if self._buf.ensure(N) or len(self._plans) >= 8:
                self._plans.clear()  # views of the old storage, or too many batch sizes
            plan = self._plans[N] = self._new_plan(N)
        return plan

    def _new_plan(self, N: int) -> Plan:
        return Plan(self._buf, self.W, self.b, self.dW, self.db, self.activations,
                    self.cost, N)

    def _plan_with_scratch(self, plan: Plan) -> Plan:
        """The plan for the same N with scratch arrays (grown on the first backward pass)."""
        if self._buf.ensure_scratch(plan.N):
            self._plans.clear()  # their scratch views belong to the old arrays
        new = self._plans[plan.N] = self._new_plan(plan.N)
        new.cache.A[0] = plan.cache.A[0]  # same buffers: the forward results carry over
        self._plan, self._cache = new, new.cache
        return new

    def _forward(self, X: Array) -> Cache:
        """Forward pass on a validated (N, n_in) batch of the network's dtype."""
        if self.namespace is not None:  # another array library: nn.portable's passes
            return portable.forward_pass(X, self.W, self.b, self._portable[0],
                                         self.namespace.xp, self._cache)
        plan = self._plan
        if plan is None or plan.N != X.shape[0]:  # the same N as the last pass: its plan
            plan = self._plan = self._get_plan(X.shape[0])
        c = self._cache = plan.cache
        c.A[0] = X
        # sparse input rows (a first layer's) take the sparse products: one check per pass
        weighted_sum = layers.weighted_sum if isinstance(X, np.ndarray) else \
            layers.sparse_weighted_sum
        A_prev = X
        for W, b, Z, WT, ZT, sigma, A, work in plan.forward:
            weighted_sum(A_prev, W, b, Z, WT, ZT)  # Z = A_prev Wᵀ + b, (N, n_l)
            if A is not Z:  # an identity layer's A is its Z
                sigma(Z, A, work)  # A = σ(Z)
            A_prev = A
        return c

    def _backward(self, Y: Array, sample_weight: Array | None = None) -> Array:
        """Back-propagate from the cached forward pass; fills :attr:`grads` and returns it."""
        if self.namespace is not None:
            return self._backward_portable(Y, sample_weight)
        plan = self._plan
        if plan is None:
            raise ConfigError("backward: needs a forward pass first")
        if not plan.has_scratch:
            plan = self._plan_with_scratch(plan)
        cost, sigma, Z, A, dZ, work = plan.output
        output_delta(cost, sigma, Z, A, Y, dZ, work)  # dZ(L) = ∂C/∂Z(L)
        if sample_weight is not None:
            # the weighted mean Σ s_k C_k / Σ s_k: row k of the mean's dZ times s_k N / Σ s
            scale = sample_weight * (plan.N / np.add.reduce(sample_weight))  # (N,)
            np.multiply(dZ, scale.astype(dZ.dtype, copy=False)[:, None], out=dZ)
        A, ones = plan.cache.A, plan.ones
        backward = layers.backward if isinstance(A[0], np.ndarray) else layers.sparse_backward
        for dZ, l, W, dW, db, dA, dZT, below in plan.backward:
            backward(dZ, A[l], W, dW, db, dA, dZT, ones)  # dW(l), db(l), dA(l−1)
            if below is not None:
                sigma_prime, Z_prev, A_prev, work = below
                sigma_prime(dA, Z_prev, A_prev, work)  # dZ(l−1) = dA(l−1) ⊙ σ'(Z(l−1))
        return self.grads

    def _backward_portable(self, Y: Array, sample_weight: Array | None) -> Array:
        """:meth:`_backward` for parameters of another array library (nn.portable)."""
        c, ns = self._cache, self.namespace
        if not c.A:
            raise ConfigError("backward: needs a forward pass first")
        _, sigma_primes, _, delta = self._portable
        xp, Z, A = ns.xp, c.Z[-1], c.A[-1]
        dZ = delta(xp, A, Y, A.shape[0])  # ∂C/∂A, or ∂C/∂Z(L) for the matched pairs
        if self.cost.output_activations is None:
            dZ = sigma_primes[-1](xp, dZ, Z, A)  # dZ(L) = ∂C/∂A ⊙ σ'(Z(L))
        if sample_weight is not None:
            s = ns.asarray(sample_weight, np.float64)  # (N,)
            scale = s * (A.shape[0] / xp.sum(s))
            dZ = dZ * xp.astype(scale, dZ.dtype)[:, None]
        portable.backward_pass(dZ, self.W, self.dW, self.db, sigma_primes, xp, c)
        return self.grads

    def check_X(self, X: object, name: str = "X") -> tuple[Array, bool]:
        """Validate inputs: (N, n_in) finite numbers, converted to the network's dtype.

        Returns the (N, n_in) array and whether one example of shape (n_in,) was given.
        Arrays of another library than NumPy must be where the parameters are
        (:meth:`move_to`).
        """
        return self._check_2d(X, name, self.n_inputs)

    def _check_2d(self, X: object, name: str, width: int) -> tuple[Array, bool]:
        if self.namespace is None and is_numpy(X):
            return as_2d(X, name, width, self.dtype)
        ns = array_namespace(X)
        if not _same_place(ns, self.namespace):
            given = _place(ns) if ns is not None else f"{host_kind(X)} on the host"
            hint = f"move one to the other first (network.move_to({name}))" if name == "X" \
                else f"give {name} in the library and on the device of X and the network"
            raise DataError(f"{name}: {given}, but the network's parameters are "
                            f"{_place(self.namespace)}: {hint}")
        return as_2d_portable(X, name, width, self.dtype, ns)

    def check_XY(self, X: object, Y: object) -> tuple[Array, Array]:
        """Validate a batch of inputs and targets (same number of rows)."""
        X2, _ = self.check_X(X)
        Y2, _ = self._check_2d(Y, "y", self.n_outputs)
        check_same_rows(X2, Y2)
        return X2, Y2

    # The fast path of training loops: forward(X, check=False), cached_cost(Y), backward(Y)
    # on arrays already validated (check_X / check_XY), with no copies or allocations.

    def forward(self, X: object, *, check: bool = True) -> Cache:
        """Run the forward pass and return every layer's Z and A.

        For each layer ``l = 1 … L``::

            Z(l) = A(l−1) W(l)ᵀ + b(l),     A(l) = σ(Z(l)),     A(0) = X

        Parameters
        ----------
        X : array-like of shape (N, n_in), or (n_in,) for one example
        check : bool, default True
            ``False`` is the fast path of training loops: X must already be a
            finite C-contiguous (N, n_in) array of the network's dtype, as
            :meth:`check_X` returns it, or a SciPy sparse CSR matrix of that dtype
            (the first layer's products then stay sparse).  Nothing is converted
            or copied.

        Returns
        -------
        Cache
            ``Z[l]`` and ``A[l + 1]`` of shape (N, n_{l+1}), ``A[0]`` is X.  Views
            into buffers that the next call overwrites; :meth:`backward` reads them.
        """
        if check:
            X, _ = self.check_X(X)
        return self._forward(X)  # type: ignore[arg-type]

    def backward(self, Y: Array, sample_weight: Array | None = None) -> Array:
        """Back-propagate ``∂C/∂θ`` of the mean cost ``C = (1/N) Σ_k C_k`` of the last forward.

        From the output delta ``dZ(L) = ∂C/∂Z(L)`` (:mod:`chainrule.nn.costs`), for
        ``l = L … 1``::

            dW(l) = dZ(l)ᵀ A(l−1),   db(l) = Σ_k dZ(l)[k],   dZ(l−1) = (dZ(l) W(l)) ⊙ σ'(Z(l−1))

        Parameters
        ----------
        Y : ndarray of shape (N, n_out)
            The targets of the rows of the last :meth:`forward`, in the network's
            dtype (as :meth:`check_XY` returns them).
        sample_weight : ndarray of shape (N,), optional
            Weights ``s_k ≥ 0`` (not all 0) of the rows: the gradient is then that of
            the weighted mean ``C = Σ_k s_k C_k / Σ_k s_k`` (row k of the output delta
            scaled by ``s_k N / Σ s``).

        Returns
        -------
        ndarray of shape (n_params,)
            :attr:`grads` itself (its views :attr:`dW`, :attr:`db` hold the layers'
            gradients); the next call overwrites it.

        Raises
        ------
        ConfigError
            If no forward pass came first.
        """
        return self._backward(Y, sample_weight)

    def cached_cost(self, Y: Array) -> float:
        """``C = (1/N) Σ_k C_k`` of the last :meth:`forward` against the targets.

        Parameters
        ----------
        Y : ndarray of shape (N, n_out)
            In the network's dtype, the rows of that forward pass.
        """
        c = self._cache
        if self.namespace is None:
            return self.cost(c.Z[-1], c.A[-1], Y)
        C = self.cached_costs(Y)  # (N,)
        return float(self.namespace.xp.sum(C) / C.shape[0])

    def cached_costs(self, Y: Array) -> Array:
        """``C_k`` of every row of the last :meth:`forward`, shape (N,), an array of the
        parameters' library."""
        c = self._cache
        if self.namespace is None:
            return self.cost.per_example(c.Z[-1], c.A[-1], Y)
        return self._portable[2](self.namespace.xp, c.Z[-1], c.A[-1], Y)

    def predict(self, X: object) -> Array:
        """Output activations ``a(N)`` as a new array: (N, n_out), or (n_out,) for one example."""
        X2, single = self.check_X(X)
        out = self._copy(self._forward(X2).A[-1])
        return out[0] if single else out

    def __call__(self, X: object) -> Array:
        return self.predict(X)

    def cost_per_example(self, X: object, Y: object) -> Array:
        """``C_k`` for every example, shape (N,)."""
        X2, Y2 = self.check_XY(X, Y)
        self._forward(X2)
        return self.cached_costs(Y2)

    def compute_cost(self, X: object, Y: object) -> float:
        """Training-set cost ``C = (1/N) Σ_k C_k``."""
        X2, Y2 = self.check_XY(X, Y)
        self._forward(X2)
        return self.cached_cost(Y2)

    def backprop(self, X: object, Y: object) -> tuple[list[Array], list[Array]]:
        """Gradients ∂C/∂W(l) and ∂C/∂b(l) of the mean cost over the batch.

        Returns the per-layer views ``(dW, db)`` into :attr:`grads` (overwritten
        by the next call).  One forward and one backward pass, vectorised over
        the batch.
        """
        X2, Y2 = self.check_XY(X, Y)
        self._forward(X2)
        self._backward(Y2)
        return self.dW, self.db

    def cost_and_gradient(self, X: object, Y: object) -> tuple[float, Array]:
        """The cost and its gradient in one forward and one backward pass.

        Parameters
        ----------
        X, Y : array-like of shape (N, n_in) and (N, n_out)
            Validated and converted (:meth:`check_XY`).

        Returns
        -------
        (float, ndarray of shape (n_params,))
            ``C = (1/N) Σ_k C_k`` and ``∂C/∂params``; the gradient is :attr:`grads`
            itself (copy it to keep it past the next call).
        """
        X2, Y2 = self.check_XY(X, Y)
        self._forward(X2)
        cost = self.cached_cost(Y2)
        return cost, self._backward(Y2)

    def chain_rule(self, x: object, y: object, param: str | ParamRef) -> ChainRule:
        """The factors of the exercise's chain rule for one example and one parameter.

        ::

            ∂C_k/∂θ = ∂C_k/∂a(N) · ∂a(N)/∂a(N−1) ⋯ ∂a(i+1)/∂a(i) · ∂a(i)/∂z(i) · ∂z(i)/∂θ

        Parameters
        ----------
        x : array-like of shape (n_in,)
        y : array-like of shape (n_out,)
        param : str or ParamRef
            e.g. ``'W1[0,2]'`` (the exercise's W(1) row 0, column 2) or ``'b2[1]'``.

        Returns
        -------
        ChainRule
            Its ``value`` (the product of the factors, :func:`chainrule.nn.chain.chain_factors`)
            equals ``backprop``, the back-propagated ∂C_k/∂θ, to rounding.
        """
        if self.namespace is not None:
            raise ConfigError(f"chain_rule: works on the host; the parameters are "
                              f"{_place(self.namespace)} (network.copy().move_to(None))")
        p = parse_param(param)
        k = self.flat_index(p)
        X, Y = self.check_XY(np.atleast_1d(np.asarray(x))[None, :] if np.ndim(x) <= 1 else x,
                             np.atleast_1d(np.asarray(y))[None, :] if np.ndim(y) <= 1 else y)
        if X.shape[0] != 1:
            raise ShapeError(f"x: chain_rule takes one example, got {X.shape[0]}")
        c = self._forward(X)
        z = tuple(Z[0].copy() for Z in c.Z)
        a = tuple(A[0].copy() for A in c.A)
        backprop = float(self._backward(Y)[k])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            dC_da = self.dC_da(z[-1][None, :], a[-1][None, :], Y)[0]  # ±∞ beyond the range
        factors = chain_factors(p, dC_da, self.cost, self.activations, self.W, z, a)
        return ChainRule(p, factors, backprop, z, a)

    def dC_da(self, Z: Array, A: Array, Y: Array) -> Array:
        """``∂C_k/∂a(N)`` for every example: the first factor of the chain rule.

        Exact where a is rounded to 0 or 1 (the cost's ``dC_dA_from_z`` where it
        has one); call it under ``np.errstate``: a factor truly beyond the range is ±∞.

        Parameters
        ----------
        Z, A : ndarray of shape (N, n_out)
            The output layer's weighted sums and activations.
        Y : ndarray of shape (N, n_out)
            The targets.

        Returns
        -------
        ndarray of shape (N, n_out)
            E.g. ``2(a − y)`` for the squared error.
        """
        exact = self.cost.dC_dA_from_z
        return self.cost.dC_dA(A, Y) if exact is None else exact(Z, A, Y)


def _short_repr(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _check_sizes(layer_sizes: Sequence[int]) -> tuple[int, ...]:
    if isinstance(layer_sizes, str | bytes):  # "23" would read as the sizes (2, 3)
        raise ConfigError(f"layer_sizes: expected a sequence of integers such as [2, 3, 1], "
                          f"got the string {layer_sizes!r}")
    try:
        sizes = tuple(int(s) for s in layer_sizes)
        ok = len(sizes) >= 2 and all(
            float(s) == int(s) for s in layer_sizes  # refuse 2.5, keep numpy ints
        )
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(
            f"layer_sizes: expected at least two integers (n_in, …, n_out), got {layer_sizes!r}"
        )
    bad = [s for s in sizes if s < 1]
    if bad:
        raise ConfigError(f"layer_sizes: every layer needs at least one neuron, got {sizes}")
    return sizes


def _check_like(like: object, name: str) -> None:
    """Refuse, naming ``name``, what is neither None nor an array (a shape and a dtype)."""
    if like is None or isinstance(like, np.ndarray):
        return
    if is_numpy(like) or not (hasattr(like, "shape") and hasattr(like, "dtype")):
        raise ConfigError(f"{name}: expected an array of the library and device wanted, or "
                          f"None for NumPy, got {_short_repr(like)}; for a device by name use "
                          "chainrule.Model.to(device) or net.move_to(torch.empty(0, device=...))")


def _same_place(a: Namespace | None, b: Namespace | None) -> bool:
    """Whether two namespaces are the same library on the same device (None: NumPy)."""
    if a is None or b is None:
        return a is b
    return a.name == b.name and str(a.device) == str(b.device)


def _place(ns: Namespace | None) -> str:
    """Where arrays of ``ns`` live, for messages."""
    return "NumPy arrays on the host" if ns is None else f"{ns.name} arrays on {ns.device}"
