"""Dense feed-forward networks, the forward pass and back-propagation.

Notation follows the seed exercise.  Layer ``l = 1 … L`` computes, for one
example (a column vector ``a(l−1)``)::

    z(l) = W(l) a(l−1) + b(l),      a(l) = σ(z(l)),      a(0) = x

with ``W(l)`` of shape ``(n_l, n_{l−1})`` and ``b(l)`` of shape ``(n_l,)``.  A
batch stores examples as rows, so the same equations read
``Z(l) = A(l−1) @ W(l).T + b(l)``.  Python lists are 0-based: ``network.W[0]``
is the seed's ``W(1)``.

All weights and biases are views into one contiguous vector
:attr:`Network.params`; their gradients are views into :attr:`Network.grads`.
Optimisers, L-BFGS and the gradient check work on those flat vectors directly.

Back-propagation applies the chain rule from the output backwards::

    dZ(L)   = ∂C/∂Z(L)                       (from the cost, see chainrule.nn.costs)
    dW(l)   = dZ(l).T @ A(l−1)               ∂z/∂W = a(l−1)
    db(l)   = Σ_k dZ(l)[k]                   ∂z/∂b = 1
    dA(l−1) = dZ(l) @ W(l)                   ∂z(l)/∂a(l−1) = W(l)
    dZ(l−1) = dA(l−1) ⊙ σ'(Z(l−1))           ∂a/∂z = σ'(z)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ..utils.validation import as_2d, as_float_dtype, as_generator, check_same_rows
from .activations import Activation, Scratch, get_activation
from .costs import Cost, get_cost, output_delta

__all__ = ["Cache", "ChainRule", "Factor", "Network", "ParamRef", "parse_param"]

Array = np.ndarray


# ---------------------------------------------------------------------------
# Parameter references such as "W1[0,2]" or "b2[1]"
# ---------------------------------------------------------------------------

_PARAM_RE = re.compile(r"^\s*([Wwb])\s*\(?\s*(\d+)\s*\)?\s*\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\]\s*$")


@dataclass(frozen=True)
class ParamRef:
    """One scalar parameter: ``W(layer)[row, col]`` or ``b(layer)[row]`` (layer is 1-based)."""

    kind: str  # "W" or "b"
    layer: int
    row: int
    col: int | None = None

    def __str__(self) -> str:
        return f"{self.kind}{self.layer}[{self._index}]"

    @property
    def symbol(self) -> str:
        """The seed's notation, e.g. ``W(1)[0,2]``."""
        return f"{self.kind}({self.layer})[{self._index}]"

    @property
    def _index(self) -> str:
        return f"{self.row},{self.col}" if self.kind == "W" else f"{self.row}"


def parse_param(spec: str | ParamRef) -> ParamRef:
    """Parse ``"W1[0,2]"``, ``"W(1)[0,2]"`` or ``"b2[1]"`` into a :class:`ParamRef`.

    Raises
    ------
    ConfigError
        If the text is not of that form.
    """
    if isinstance(spec, ParamRef):
        return spec
    m = _PARAM_RE.match(str(spec))
    if not m:
        raise ConfigError(
            f"param: cannot read {spec!r}; expected a weight like 'W1[0,2]' or a bias like 'b2[1]'"
        )
    kind, layer, row, col = m.group(1).upper().replace("B", "b"), *m.groups()[1:]
    if kind == "W" and col is None:
        raise ConfigError(f"param: weight {spec!r} needs two indices, e.g. 'W1[0,2]'")
    if kind == "b" and col is not None:
        raise ConfigError(f"param: bias {spec!r} takes one index, e.g. 'b1[0]'")
    return ParamRef(kind, int(layer), int(row), None if col is None else int(col))


# ---------------------------------------------------------------------------
# The forward cache
# ---------------------------------------------------------------------------


@dataclass
class Cache:
    """What the forward pass leaves for back-propagation.

    ``Z[l]`` and ``A[l + 1]`` are layer ``l + 1``'s weighted sums and activations
    (shape ``(N, n_{l+1})``); ``A[0]`` is the input batch.  The arrays are views
    into buffers that the next forward pass overwrites: copy what you keep.
    """

    Z: list[Array] = field(default_factory=list)
    A: list[Array] = field(default_factory=list)
    dZ: list[Array] = field(default_factory=list)  # back-propagation's buffers

    @property
    def n_examples(self) -> int:
        return self.A[0].shape[0] if self.A else 0


class _Buffers:
    """Flat storage for every layer's Z, A and dZ, and for the scratch arrays.

    Z, A and dZ are sized for ``capacity`` examples, grown (never shrunk) to the
    largest batch seen.  The scratch arrays (:class:`~chainrule.activations.Scratch`)
    have their own capacity, grown only by back-propagation, so that evaluating
    large chunks of data does not enlarge them.  :meth:`views` and
    :meth:`scratch_views` cut the arrays for a batch of N examples out of the storage.

    Hidden layers are row-major ``(N, n_l)``.  The output layer is column-major:
    its transpose ``(n_L, N)`` is C-contiguous, so the reductions over the outputs
    of each example (softmax, the costs) run as one vector operation per output
    instead of one short reduction per example (3–4× faster for 10 outputs).
    """

    def __init__(self, sizes: Sequence[int], identity: Sequence[bool], zeros: bool,
                 dtype: np.dtype):
        self.sizes, self.identity, self.dtype = sizes, identity, dtype
        self.needs_zeros = zeros
        self.capacity = self.scratch_capacity = 0

    def ensure(self, n: int) -> bool:
        """Make room for n examples in Z, A and dZ; True if the storage was reallocated."""
        if n <= self.capacity:
            return False
        cap = max(n, self.capacity * 2)
        widths = self.sizes[1:]
        self.Z = [np.empty(cap * w, self.dtype) for w in widths]
        # An identity layer's activation is its weighted sum: share the buffer.
        self.A = [Z if ident else np.empty_like(Z) for Z, ident in zip(self.Z, self.identity)]
        self.dZ = [np.empty(cap * w, self.dtype) for w in widths]
        self.ones = np.ones(cap, self.dtype)
        self.capacity = cap
        return True

    def ensure_scratch(self, n: int) -> bool:
        """Make room for n examples in the scratch arrays; True if they were reallocated."""
        if n <= self.scratch_capacity:
            return False
        size = n * max(self.sizes[1:])
        self.values = np.empty(size, self.dtype)
        self.mask = np.empty(size, np.bool_)
        self.zeros = np.zeros(size if self.needs_zeros else 0, self.dtype)
        self.scratch_capacity = n
        return True

    def _cut(self, flat: Array, l: int, N: int) -> Array:
        w = self.sizes[l + 1]
        if l == len(self.sizes) - 2:
            return flat[:N * w].reshape(w, N).T  # (N, n_L), column-major
        return flat[:N * w].reshape(N, w)  # (N, n_l), row-major

    def views(self, N: int) -> tuple[list[Array], list[Array], list[Array]]:
        """Z, A and dZ of every layer for N examples (N ≤ capacity)."""
        L = len(self.sizes) - 1
        Zs = [self._cut(self.Z[l], l, N) for l in range(L)]
        As = [Zs[l] if self.A[l] is self.Z[l] else self._cut(self.A[l], l, N) for l in range(L)]
        return Zs, As, [self._cut(self.dZ[l], l, N) for l in range(L)]

    def scratch_views(self, N: int) -> list[Scratch] | list[None]:
        """Each layer's scratch for N examples, or Nones if N exceeds the scratch capacity."""
        L = len(self.sizes) - 1
        if N > self.scratch_capacity:
            return [None] * L
        return [Scratch(self._cut(self.values, l, N), self._cut(self.mask, l, N),
                        self._cut(self.zeros, l, N) if self.needs_zeros else self.zeros)
                for l in range(L)]


class _Plan:
    """Everything one forward and backward pass on N examples needs, built once per N.

    The loops of :meth:`Network._forward` and :meth:`Network._backward` then do
    no attribute look-ups, list building or view creation: for a tiny network the
    Python overhead per layer is most of a step.
    """

    def __init__(self, net: Network, N: int):
        buf = net._buf
        Zs, As, dZs = buf.views(N)
        work = buf.scratch_views(N)
        self.N = N
        self.has_scratch = work[0] is not None
        self.work = work
        self.cache = Cache(Zs, [np.empty((0, 0), net.dtype), *As], dZs)
        acts = net.activations
        L = net.n_layers
        # forward: (Wᵀ, b, Z, A, σ, scratch, A is Z) for the hidden layers; the output
        # layer computes Z(L)ᵀ = W(L) A(L−1)ᵀ straight into its column-major buffer
        self.hidden = [(net.W[l].T, net.b[l], Zs[l], As[l], acts[l].forward, work[l],
                        As[l] is Zs[l]) for l in range(L - 1)]
        self.output = (net.W[-1], net.b[-1][:, None], Zs[-1].T, Zs[-1], As[-1],
                       acts[-1].forward, work[-1], As[-1] is Zs[-1])
        # backward, from the output down: (dZ(l)ᵀ, dZ(l), dW, db, l, the layer below)
        self.ones = buf.ones[:N]
        self.backward = []
        for l in range(L - 1, -1, -1):
            below = (net.W[l], dZs[l - 1], Zs[l - 1], As[l - 1], acts[l - 1].backward,
                     work[l - 1]) if l > 0 else None
            self.backward.append((dZs[l].T, dZs[l], net.dW[l], net.db[l], l, below))


# ---------------------------------------------------------------------------
# Chain-rule factors
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One factor of the chain rule: its symbol, its formula and its value."""

    symbol: str
    formula: str
    value: Array

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape


@dataclass(frozen=True)
class ChainRule:
    """The seed's chain rule for one parameter θ of layer i and one example::

        ∂C_k/∂θ = ∂C_k/∂a(N) · ∂a(N)/∂a(N−1) ⋯ ∂a(i+1)/∂a(i) · ∂a(i)/∂z(i) · ∂z(i)/∂θ

    ``factors`` lists them in that order: a row vector (n_N,), matrices
    ``diag(σ'(z(j))) W(j)`` of shape (n_j, n_{j−1}), the matrix ``∂a(i)/∂z(i)``
    of shape (n_i, n_i), and the column ∂z(i)/∂θ of shape (n_i,).
    ``backprop`` is the same derivative from :meth:`Network.backprop`.
    """

    param: ParamRef
    factors: tuple[Factor, ...]
    backprop: float
    z: tuple[Array, ...]  # z(1) … z(N) of the example
    a: tuple[Array, ...]  # a(0) … a(N)

    @property
    def value(self) -> float:
        """The product of the factors, multiplied left to right.

        Equal to ``backprop`` to rounding while no unit is saturated.  In
        saturation the two part: the factors take σ' from z (1/cosh² z,
        σ(z)σ(−z)), exact, while back-propagation takes it from the rounded
        output (1 − a², a(1 − a)), as scikit-learn and PyTorch do, and loses
        relative precision (1e-8 at z = 10 for tanh, all of it beyond z ≈ 19;
        float32 from z ≈ 4).  A factor beyond the floating-point range makes the
        product NaN or infinite: a softmax output underflowed to 0 for a class
        with y > 0 (−y/a), or a logistic output misclassified at |z| ≳ 745
        (float64; 88 in float32), where 1/(1 − a) overflows; back-propagation's
        fused a − y stays exact there.
        """
        v = self.factors[0].value
        with np.errstate(invalid="ignore", over="ignore"):
            for f in self.factors[1:]:
                v = v @ f.value
        return float(v)

    def running_products(self) -> list[Array]:
        """``∂C_k/∂a(j)`` for j = N, N−1, …, i: the product of the leading factors.

        Watching their size layer by layer shows vanishing or exploding gradients.
        """
        out = [self.factors[0].value]
        with np.errstate(invalid="ignore", over="ignore"):
            for f in self.factors[1:-2]:
                out.append(out[-1] @ f.value)
        return out


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
        error (the seed's networks are tanh throughout), logistic for binary
        cross-entropy and softmax for cross-entropy.
    cost : str, default 'squared_error'
        ``'squared_error'`` (C_k = |a − y|²), ``'binary_cross_entropy'`` or
        ``'cross_entropy'``.
    dtype : {'float64', 'float32'}
        Precision of parameters, buffers and results; inputs are converted once.
    random_state : int, numpy.random.Generator or None
        Seed of the initialisation.
    init : {'auto', 'glorot', 'he'}
        'glorot': W and b ~ U(−r, r), r = √(6/(n_in + n_out)) (×√2 for logistic);
        'he': W ~ N(0, 2/n_in), b = 0.  'auto' picks He for the relu family.
    weights, biases : sequence of array-like, optional
        Explicit parameters, e.g. ``weights=[[[1.3]]], biases=[[-0.1]]`` for the
        seed's NOT neuron.  Shapes must be ``(n_l, n_{l−1})`` and ``(n_l,)``.

    Attributes
    ----------
    params, grads : ndarray of shape (n_params,)
        All parameters and their gradients, contiguous.
    W, b, dW, db : list of ndarray
        Per-layer views into ``params`` and ``grads`` (``W[0]`` is the seed's W(1)).
    activations : list of Activation
        One per layer.
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
        self.params: Array = np.zeros(self.n_params, self.dtype)
        self.grads: Array = np.zeros(self.n_params, self.dtype)
        self.W, self.b = self._views(self.params)
        self.dW, self.db = self._views(self.grads)
        self._buf = _Buffers(sizes, [a.name == "identity" for a in self.activations],
                             any(a.name in ("relu", "softplus") for a in self.activations),
                             self.dtype)
        self._plans: dict[int, _Plan] = {}
        self._plan: _Plan | None = None
        self._cache = Cache()
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
        Ws, bs, k = [], [], 0
        for n_prev, n in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            Ws.append(flat[k:k + n * n_prev].reshape(n, n_prev))  # (n_l, n_{l-1})
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
        """Copy explicit W(l) and b(l) into the network (shapes checked per layer)."""
        if weights is None or biases is None:
            raise ConfigError("weights, biases: give both or neither")
        if len(weights) != self.n_layers or len(biases) != self.n_layers:
            raise ConfigError(f"weights, biases: expected {self.n_layers} of each (one per "
                              f"layer), got {len(weights)} and {len(biases)}")
        for l, (Wl, bl) in enumerate(zip(weights, biases)):
            for name, val, dst in ((f"weights[{l}]", Wl, self.W[l]),
                                   (f"biases[{l}]", bl, self.b[l])):
                try:
                    arr = np.asarray(val, dtype=float)
                except (TypeError, ValueError):
                    raise DataError(f"{name}: expected numbers, got "
                                    f"{_short_repr(val)}") from None
                arr = arr.reshape(-1) if arr.ndim == 0 else arr
                if arr.shape != dst.shape:
                    raise ShapeError(f"{name}: expected shape {dst.shape}, got {arr.shape}")
                if not np.isfinite(arr).all():
                    raise DataError(f"{name}: contains NaN or infinity")
                dst[...] = arr
        return self

    def get_weights(self) -> tuple[list[Array], list[Array]]:
        """Copies of every W(l) and b(l)."""
        return [W.copy() for W in self.W], [b.copy() for b in self.b]

    def copy(self) -> Network:
        """An independent network with the same structure and parameters."""
        net = Network.__new__(Network)
        net.__setstate__(self.__getstate__())
        return net

    # Pickling (used by scikit-learn's clone and joblib, never for model files) keeps the
    # structure and the parameters only: the W and b views and the batch buffers are
    # rebuilt, so the views share memory with params again and no training batch is kept.
    def __getstate__(self) -> dict[str, object]:
        return {"layer_sizes": self.layer_sizes,
                "activations": [a.name for a in self.activations],
                "cost": self.cost.name, "dtype": self.dtype.name, "params": self.params.copy()}

    def __setstate__(self, state: dict[str, object]) -> None:
        params = np.asarray(state["params"])
        Network.__init__(self, state["layer_sizes"], state["activations"],  # type: ignore[arg-type]
                         cost=state["cost"], dtype=state["dtype"], random_state=0)  # type: ignore[arg-type]
        self.params[...] = params

    # -- forward and backward ------------------------------------------------

    def _get_plan(self, N: int) -> _Plan:
        plan = self._plans.get(N)
        if plan is None:
            if self._buf.ensure(N) or len(self._plans) >= 8:
                self._plans.clear()  # views of the old storage, or too many batch sizes
            plan = self._plans[N] = _Plan(self, N)
        return plan

    def _plan_with_scratch(self, plan: _Plan) -> _Plan:
        """The plan for the same N with scratch arrays (grown on the first backward pass)."""
        if self._buf.ensure_scratch(plan.N):
            self._plans.clear()  # their scratch views belong to the old arrays
        new = self._plans[plan.N] = _Plan(self, plan.N)
        new.cache.A[0] = plan.cache.A[0]  # same buffers: the forward results carry over
        self._plan, self._cache = new, new.cache
        return new

    def _forward(self, X: Array) -> Cache:
        """Forward pass on a validated (N, n_in) batch of the network's dtype."""
        plan = self._plan = self._get_plan(X.shape[0])
        c = self._cache = plan.cache
        c.A[0] = X
        # np.dot, not np.matmul: the same BLAS call with less overhead per call (0.4–0.8 µs
        # of a 1.5 µs product for the tiny networks); every out= here is C-contiguous
        dot, add = np.dot, np.add
        A_prev = X
        for WT, b, Z, A, sigma, work, shared in plan.hidden:
            dot(A_prev, WT, out=Z)  # (N, n_l) = (N, n_{l-1}) @ (n_{l-1}, n_l)
            add(Z, b, out=Z)
            if not shared:
                sigma(Z, A, work)
            A_prev = A
        W, b_col, ZT, Z, A, sigma, work, shared = plan.output
        dot(W, A_prev.T, out=ZT)  # Z(L)ᵀ: (n_L, N) = (n_L, n_{L-1}) @ (n_{L-1}, N)
        add(ZT, b_col, out=ZT)
        if not shared:
            sigma(Z, A, work)
        return c

    def _backward(self, Y: Array) -> Array:
        """Back-propagate from the cached forward pass; fills :attr:`grads` and returns it."""
        plan = self._plan
        assert plan is not None, "_backward needs a forward pass first"
        if not plan.has_scratch:
            plan = self._plan_with_scratch(plan)
        c = plan.cache
        output_delta(self.cost, self.activations[-1], c.Z[-1], c.A[-1], Y, c.dZ[-1],
                     plan.work[-1])
        dot, A, ones = np.dot, c.A, plan.ones
        for dZT, dZ, dW, db, l, below in plan.backward:
            dot(dZT, A[l], out=dW)  # (n_l, n_{l-1}) = (n_l, N) @ (N, n_{l-1})
            dot(ones, dZ, out=db)  # (n_l,): Σ over the examples, as a BLAS product
            if below is not None:
                W, dA, Z_prev, A_prev, sigma_backward, work = below
                dot(dZ, W, out=dA)  # (N, n_{l-1}) = (N, n_l) @ (n_l, n_{l-1})
                sigma_backward(dA, Z_prev, A_prev, work)  # dZ(l−1) = dA ⊙ σ'(Z(l−1))
        return self.grads

    def _cost(self, Y: Array) -> float:
        c = self._cache
        return self.cost(c.Z[-1], c.A[-1], Y)

    def check_X(self, X: object, name: str = "X") -> tuple[Array, bool]:
        """Validate inputs: (N, n_in) finite numbers, converted to the network's dtype."""
        return as_2d(X, name, self.n_inputs, self.dtype)

    def check_XY(self, X: object, Y: object) -> tuple[Array, Array]:
        """Validate a batch of inputs and targets (same number of rows)."""
        X2, _ = self.check_X(X)
        Y2, _ = as_2d(Y, "y", self.n_outputs, self.dtype)
        check_same_rows(X2, Y2)
        return X2, Y2

    def forward(self, X: object, *, check: bool = True) -> Cache:
        """Run the forward pass and return every layer's Z and A.

        ``Z(l) = A(l−1) @ W(l).T + b(l)`` and ``A(l) = σ(Z(l))``, for a batch X
        of shape (N, n_in) or one example of shape (n_in,).  The returned cache
        is overwritten by the next call, and :meth:`backward` reads it.

        ``check=False`` is the fast path of training loops: X must already be a
        finite (N, n_in) array of the network's dtype (as :meth:`check_X` makes it).
        """
        if check:
            X, _ = self.check_X(X)
        return self._forward(X)  # type: ignore[arg-type]

    def backward(self, Y: Array) -> Array:
        """Back-propagate ``∂C/∂θ`` of the mean cost from the last :meth:`forward`.

        ``Y`` must be an (N, n_out) array of the network's dtype with the rows of
        that forward pass.  Fills :attr:`grads` (the views :attr:`dW`, :attr:`db`)
        and returns it; the next call overwrites it.
        """
        return self._backward(Y)

    def cached_cost(self, Y: Array) -> float:
        """``C = (1/N) Σ_k C_k`` of the last :meth:`forward` against the targets ``Y``."""
        return self._cost(Y)

    def predict(self, X: object) -> Array:
        """Output activations ``a(N)`` as a new array: (N, n_out), or (n_out,) for one example."""
        X2, single = self.check_X(X)
        out = self._forward(X2).A[-1].copy()
        return out[0] if single else out

    def __call__(self, X: object) -> Array:
        return self.predict(X)

    def cost_per_example(self, X: object, Y: object) -> Array:
        """``C_k`` for every example, shape (N,)."""
        X2, Y2 = self.check_XY(X, Y)
        c = self._forward(X2)
        return self.cost.per_example(c.Z[-1], c.A[-1], Y2)

    def compute_cost(self, X: object, Y: object) -> float:
        """Training-set cost ``C = (1/N) Σ_k C_k``."""
        X2, Y2 = self.check_XY(X, Y)
        self._forward(X2)
        return self._cost(Y2)

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
        """``(C, ∂C/∂params)``; the gradient is :attr:`grads` itself (copy to keep)."""
        X2, Y2 = self.check_XY(X, Y)
        self._forward(X2)
        cost = self._cost(Y2)
        return cost, self._backward(Y2)

    # -- the chain rule, factor by factor ------------------------------------

    def chain_rule(self, x: object, y: object, param: str | ParamRef) -> ChainRule:
        """The factors of the seed's chain rule for one example and one parameter.

        Parameters
        ----------
        x : array-like of shape (n_in,)
        y : array-like of shape (n_out,)
        param : str or ParamRef
            e.g. ``'W1[0,2]'`` (the seed's W(1) row 0, column 2) or ``'b2[1]'``.

        Returns
        -------
        ChainRule
            Its ``value`` (the product of the factors) equals ``backprop``, the
            back-propagated ∂C_k/∂θ, to rounding.
        """
        p = parse_param(param)
        k = self.flat_index(p)
        X2, Y2 = self.check_XY(np.atleast_1d(np.asarray(x))[None, :] if np.ndim(x) <= 1 else x,
                               np.atleast_1d(np.asarray(y))[None, :] if np.ndim(y) <= 1 else y)
        if X2.shape[0] != 1:
            raise ShapeError(f"x: chain_rule takes one example, got {X2.shape[0]}")
        c = self._forward(X2)
        z = tuple(Z[0].copy() for Z in c.Z)
        a = tuple(A[0].copy() for A in c.A)
        self._backward(Y2)
        backprop = float(self.grads[k])

        N, i = self.n_layers, p.layer
        acts = self.activations
        # Saturated units (a rounded to 0 or 1) give infinite or 0/0 factors when taken
        # from a; the factors are taken from z where that is exact, and what is left
        # (a softmax output rounded to 0 where y > 0) is infinite without a warning.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            factors = [Factor(f"∂C/∂a({N})", f"{self.cost.name}: {self.cost.dC_dA_formula}",
                              self.dC_da(z[N - 1][None, :], a[N][None, :], Y2)[0])]
            for j in range(N, i, -1):
                J = acts[j - 1].jacobian(z[j - 1]) @ self.W[j - 1]  # (n_j, n_{j-1})
                factors.append(Factor(f"∂a({j})/∂a({j - 1})", f"σ'(z({j})) W({j})", J))
            factors.append(Factor(f"∂a({i})/∂z({i})",
                                  f"σ'(z({i})) = {acts[i - 1].derivative_formula}",
                                  acts[i - 1].jacobian(z[i - 1])))
        e = np.zeros(self.layer_sizes[i], self.dtype)
        if p.kind == "W":
            e[p.row] = a[i - 1][p.col]
            factors.append(Factor(f"∂z({i})/∂W({i})[{p.row},{p.col}]",
                                  f"a({i - 1})[{p.col}] in row {p.row}", e))
        else:
            e[p.row] = 1
            factors.append(Factor(f"∂z({i})/∂b({i})[{p.row}]", f"1 in row {p.row}", e))
        return ChainRule(p, tuple(factors), backprop, z, a)


    def dC_da(self, Z: Array, A: Array, Y: Array) -> Array:
        """∂C_k/∂a(N) for every row of the output's (Z, A) and the targets Y (all (N, n_N)),
        exact where a is rounded to 0 or 1 (:attr:`Cost.dC_dA_from_z` where the cost has
        one).  Call it under ``np.errstate``: a factor truly beyond the range is ±∞."""
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
