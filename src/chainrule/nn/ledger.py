"""The chain-rule ledger: every factor of ∂C_k/∂θ, its value, and three checks.

For a parameter θ of layer i the exercise writes::

    ∂C_k/∂θ = ∂C_k/∂a(N) · ∂a(N)/∂a(N−1) ⋯ ∂a(i+1)/∂a(i) · ∂a(i)/∂z(i) · ∂z(i)/∂θ

with ``∂a(j)/∂a(j−1) = σ'(z(j)) W(j)``.  :func:`explain` lays those factors out
(symbol, formula, shape, value, from :meth:`Network.chain_rule`), multiplies
them, and sets the product beside back-propagation and a central finite
difference.  It also tracks ``‖∂C_k/∂a(j)‖`` and the σ' factors layer by layer,
so a gradient that vanishes or explodes on its way down is visible.

With several examples the ledger also gives the derivative of the training-set
cost ``C = (1/N) Σ_k C_k``: the mean of the per-example products, which equals
back-propagation on the whole batch.

A :class:`Ledger` is data: numbers, :meth:`Ledger.to_dict` and
:meth:`Ledger.to_latex`.  :mod:`chainrule.viz.ledger_text` draws it as tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from .chain import ChainRule, Factor, ParamRef, parse_param
from .costs import output_delta
from .gradcheck import numerical_gradient
from .layers import backward
from .network import Network

__all__ = ["LayerGradient", "Ledger", "explain", "latex_number", "plain_number"]

Array = np.ndarray

# Matrices larger than this are shown with their middle elided (⋯, ⋮).
MAX_SHOWN = 6


@dataclass(frozen=True)
class LayerGradient:
    """The size of the back-propagated gradient at layer j (means over the examples).

    Attributes
    ----------
    layer : int
        j, from N (the output) down to i (θ's layer).
    dC_da_norm : float
        ``‖∂C_k/∂a(j)‖₂``, the running product of the leading factors.
    sigma_prime : float
        Mean of ``|σ'(z(j))|`` over the layer's neurons (the diagonal of ∂a(j)/∂z(j)).
    sigma_prime_product : float
        The product of ``sigma_prime`` from layer N down to j: what the σ'
        factors alone do to the gradient (saturated tanh or logistic shrink it).
    """

    layer: int
    dC_da_norm: float
    sigma_prime: float
    sigma_prime_product: float


@dataclass(frozen=True)
class Ledger:
    """The chain rule for one parameter, factor by factor, with its checks.

    Attributes
    ----------
    param : ParamRef
        θ, e.g. ``W1[0,2]`` (the exercise's W(1) row 0, column 2).
    chain : ChainRule
        The factors for the shown example ``example``.
    example : int
        Which example's factors are shown (0-based row of X).
    example_numeric : float
        Central finite difference of that example's cost C_k.
    per_example : ndarray of shape (N,)
        The product of the factors for every example.
    backprop : float
        ∂C/∂θ of the mean cost, back-propagated on the whole batch.
    numeric : float
        Central finite difference of the mean cost C.
    layers : tuple of LayerGradient
        Gradient sizes from the output layer down to θ's layer.
    cost, cost_formula : str
        The cost's name and its C_k.
    layer_sizes : tuple of int
        The network's layer sizes (for the notation).
    """

    param: ParamRef
    chain: ChainRule
    example: int
    example_numeric: float
    per_example: Array
    backprop: float
    numeric: float
    layers: tuple[LayerGradient, ...]
    cost: str
    cost_formula: str
    layer_sizes: tuple[int, ...]

    # -- the numbers -----------------------------------------------------------

    @property
    def factors(self) -> tuple[Factor, ...]:
        return self.chain.factors

    @property
    def n_examples(self) -> int:
        return int(self.per_example.size)

    @property
    def product(self) -> float:
        """∂C_k/∂θ of the shown example: the factors multiplied left to right."""
        return self.chain.value

    @property
    def example_backprop(self) -> float:
        """∂C_k/∂θ of the shown example by :meth:`Network.backprop`."""
        return self.chain.backprop

    @property
    def value(self) -> float:
        """∂C/∂θ of the mean cost: ``(1/N) Σ_k ∂C_k/∂θ``, the mean of the products."""
        return float(np.mean(self.per_example))

    def shown_shape(self, n: int) -> str:
        """Factor n's shape in the exercise's orientation: a row vector first (``1×n_N``),
        a column last (``n_i×1``), matrices between (``n_j×n_{j−1}``)."""
        f, last = self.factors[n], len(self.factors) - 1
        if n == 0:
            return f"1×{f.shape[0]}"
        if n == last:
            return f"{f.shape[0]}×1"
        return "×".join(str(s) for s in f.shape)

    # -- output (the rich tables are chainrule.viz.ledger_text's) ---------------

    def to_latex(self, digits: int = 4) -> str:
        """The chain in LaTeX (an ``aligned`` block): symbols, then values, then the product.

        Matrices are ``pmatrix`` with ``digits`` significant digits; larger than
        6 × 6 they are elided.
        """
        i, N = self.param.layer, len(self.layer_sizes) - 1
        theta = _tex_param(self.param, self.layer_sizes)
        a = [_tex_vec("a", j, self.layer_sizes) for j in range(N + 1)]
        z = _tex_vec("z", i, self.layer_sizes)
        symbols = [rf"\frac{{\partial C_k}}{{\partial {a[N]}}}"]
        symbols += [rf"\frac{{\partial {a[j]}}}{{\partial {a[j - 1]}}}" for j in range(N, i, -1)]
        symbols += [rf"\frac{{\partial {a[i]}}}{{\partial {z}}}",
                    rf"\frac{{\partial {z}}}{{\partial {theta}}}"]
        last = len(self.factors) - 1
        values = [_tex_array(f.value[:, None] if n == last else f.value, digits)
                  for n, f in enumerate(self.factors)]
        lines = [
            rf"\frac{{\partial C_k}}{{\partial {theta}}}",
            r"  &= " + r" \, ".join(symbols) + r" \\",
            r"  &= " + r" \, ".join(values) + r" \\",
            r"  &= " + latex_number(self.product, digits),
        ]
        if self.n_examples > 1:
            lines[-1] += r" \qquad (k = " + str(self.example) + r") \\"
            lines.append(rf"\frac{{\partial C}}{{\partial {theta}}} &= \frac{{1}}{{N}} "
                         rf"\sum_{{k}} \frac{{\partial C_k}}{{\partial {theta}}} = "
                         + latex_number(self.value, digits)
                         + rf" \qquad (N = {self.n_examples})")
        return "\\begin{aligned}\n" + "\n".join(lines) + "\n\\end{aligned}"

    def to_dict(self) -> dict[str, Any]:
        """Everything in plain Python types, for ``json.dumps``."""
        return {
            "param": str(self.param),
            "symbol": self.param.symbol,
            "cost": self.cost,
            "cost_formula": self.cost_formula,
            "example": self.example,
            "n_examples": self.n_examples,
            "factors": [
                {"symbol": f.symbol, "formula": f.formula, "shape": list(f.shape),
                 "shown_as": self.shown_shape(n), "value": f.value.tolist()}
                for n, f in enumerate(self.factors)
            ],
            "product": self.product,
            "backprop": self.example_backprop,
            "finite_difference": self.example_numeric,
            "per_example": self.per_example.tolist(),
            "mean_product": self.value,
            "batch_backprop": self.backprop,
            "batch_finite_difference": self.numeric,
            "layers": [
                {"layer": g.layer, "dC_da_norm": g.dC_da_norm, "sigma_prime": g.sigma_prime,
                 "sigma_prime_product": g.sigma_prime_product}
                for g in self.layers
            ],
        }


# ---------------------------------------------------------------------------
# Building the ledger
# ---------------------------------------------------------------------------


def explain(network: Network, x: object, y: object, param: str | ParamRef, *,
            example: int = 0, eps: float = 1e-6) -> Ledger:
    """The chain-rule ledger of ``∂C/∂θ`` for one example or a data set.

    Parameters
    ----------
    network : Network
        Its parameters are left as they were (the finite differences restore them).
    x, y : array-like
        One example (``x`` of shape (n_in,), ``y`` of shape (n_out,)) or a data
        set (N, n_in) and (N, n_out).
    param : str or ParamRef
        θ, e.g. ``'W1[0,2]'`` or ``'b2[1]'``.
    example : int
        Which example's factors to show.
    eps : float
        Relative step of the central differences (see :mod:`chainrule.gradcheck`).

    Returns
    -------
    Ledger
        ``product`` (example k) equals ``example_backprop`` to rounding; ``value``,
        the mean of the per-example products, equals ``backprop`` of the batch.
    """
    p = parse_param(param)
    k = network.flat_index(p)
    X, Y = network.check_XY(np.atleast_1d(np.asarray(x)), np.atleast_1d(np.asarray(y)))
    N = X.shape[0]
    if int(example) != example or not 0 <= example < N:
        raise ConfigError(f"example: expected a row from 0 to {N - 1}, got {example!r}")
    example = int(example)

    L, i = network.n_layers, p.layer
    per_example, norms, sigma = _per_example(network, X, Y, p)
    shown = network.chain_rule(X[example], Y[example], p)
    # the shown example's entry is its product exactly, as the factors give it
    if np.isfinite(shown.value):  # the product of the shown factors, to the last digit
        per_example[example] = shown.value

    network.backprop(X, Y)
    backprop = float(network.grads[k])
    numeric = _central_difference(network, X, Y, k, eps)
    example_numeric = (numeric if N == 1 else
                       _central_difference(network, X[example:example + 1],
                                           Y[example:example + 1], k, eps))
    s_mean = sigma.mean(axis=0)
    layers = tuple(
        LayerGradient(j, float(nm), float(s), float(sp))
        for j, nm, s, sp in zip(range(L, i - 1, -1), norms.mean(axis=0), s_mean,
                                np.cumprod(s_mean))
    )
    return Ledger(p, shown, example, example_numeric, per_example, backprop, numeric, layers,
                  network.cost.name, network.cost.formula, network.layer_sizes)


def _per_example(network: Network, X: Array, Y: Array,
                 p: ParamRef) -> tuple[Array, Array, Array]:
    """The chain of every example at once, as :meth:`Network.chain_rule` has it for one.

    Row k of ``g`` is ``∂C_k/∂a(j)``; one step down is the layer's back-propagation
    (:mod:`chainrule.nn.layers`), ``dZ = g ⊙ σ'(z(j))`` then ``g ← dZ W(j)``, i.e.
    ``g`` times ``∂a(j)/∂a(j−1) = σ'(z(j)) W(j)``.  At θ's layer, θ's entry of
    ``dW`` (``db``) is taken with every example a batch of its own: ``∂C_k/∂θ``.

    Returns
    -------
    per_example : ndarray of shape (N,)
        ``∂C_k/∂θ``.
    norms, sigma : ndarray of shape (N, N_layers − i + 1)
        ``‖∂C_k/∂a(j)‖`` and the mean of ``|σ'(z(j))|`` over layer j, for j = N … i.
    """
    L, i = network.n_layers, p.layer
    c = network.forward(X, check=False)
    norms, sigma = [], []
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # ‖∂C_k/∂a(L)‖ from z (exact in saturation; ∞ where the factor truly is), but the
        # product continues from ∂C_k/∂z(L) as back-propagation has it: fused with the
        # output layer for the cross-entropies, so a saturated output stays exact
        dC_da = network.dC_da(c.Z[L - 1], c.A[L], Y)  # (N, n_L)
        g = output_delta(network.cost, network.activations[L - 1], c.Z[L - 1], c.A[L], Y,
                         np.empty_like(c.A[L])) * X.shape[0]  # per example, not the mean
    for j in range(L, i - 1, -1):
        act, Z, A = network.activations[j - 1], c.Z[j - 1], c.A[j]
        with np.errstate(over="ignore", invalid="ignore"):  # ‖∞‖ is ∞, quietly
            norms.append(np.linalg.norm(dC_da if j == L else g, axis=1))
        # |σ'| is the diagonal of ∂a(j)/∂z(j): a(1 − a) for softmax
        sigma_prime = act.derivative(Z, A) if act.elementwise else A * (1 - A)
        sigma.append(np.abs(sigma_prime).mean(axis=1))
        if j < L:
            act.backward(g, Z, A)  # g is now ∂C_k/∂z(j)
        if j > i:
            _, _, g = backward(g, None, network.W[j - 1])  # (N, n_{j−1})
    # one example per batch, (N, 1, 1): ∂z(i)/∂θ is a(i−1)[col] (a weight) or 1 (a bias)
    col = 0 if p.col is None else p.col
    dW, db, _ = backward(g[:, None, p.row:p.row + 1], c.A[i - 1][:, None, col:col + 1])
    per_example = (dW if p.kind == "W" else db).reshape(-1).astype(np.float64)
    return per_example, np.column_stack(norms), np.column_stack(sigma)


def _central_difference(network: Network, X: Array, Y: Array, k: int, eps: float) -> float:
    def cost(_: Array) -> float:
        network.forward(X, check=False)
        return network.cached_cost(Y)

    return float(numerical_gradient(cost, network.params, np.array([k]), eps)[0])


# ---------------------------------------------------------------------------
# Numbers and LaTeX
# ---------------------------------------------------------------------------


def plain_number(x: float, spec: str) -> str:
    """``format(x, spec)``, never showing a negative zero: a value that rounds to zero
    at ``spec``'s precision prints as ``0``, not ``-0``.

    >>> plain_number(-1e-20, ".3f"), plain_number(-0.0, ".6g")
    ('0.000', '0')
    """
    text = format(float(x) + 0.0, spec)  # + 0.0 turns −0.0 into 0.0
    if text.startswith("-") and float(text) == 0.0:
        return text[1:]  # e.g. -1e-20 in a fixed-point spec
    return text


def latex_number(x: float, digits: int) -> str:
    """x in LaTeX with ``digits`` significant digits: ``1.5 \\times 10^{-7}``, never ``-0``."""
    text = plain_number(x, f".{digits}g")
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    if text in ("nan", "inf", "-inf"):
        return rf"\text{{{text}}}"
    return text


def _elide(n: int) -> list[int | None]:
    """Indices to show of n entries; None marks the elided middle."""
    return list(range(n)) if n <= MAX_SHOWN else [*range(MAX_SHOWN - 2), None, n - 1]


def _tex_array(v: Array, digits: int) -> str:
    """A number, or a pmatrix (a 1-D array is a row)."""
    if v.size == 1:
        return latex_number(float(v.reshape(-1)[0]), digits)
    M = v[None, :] if v.ndim == 1 else v
    rows = []
    for r in _elide(M.shape[0]):
        cells = []
        for c in _elide(M.shape[1]):
            if r is None:
                cells.append(r"\ddots" if c is None else r"\vdots")
            else:
                cells.append(r"\cdots" if c is None else latex_number(float(M[r, c]), digits))
        rows.append(" & ".join(cells))
    return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"


def _tex_vec(name: str, layer: int, sizes: tuple[int, ...]) -> str:
    """``a^{(j)}`` for one neuron as in the exercise, bold ``\\mathbf{a}^{(j)}`` for a layer."""
    return f"{name}^{{({layer})}}" if sizes[layer] == 1 else rf"\mathbf{{{name}}}^{{({layer})}}"


def _tex_param(p: ParamRef, sizes: tuple[int, ...]) -> str:
    single = sizes[p.layer] == 1 and sizes[p.layer - 1] == 1
    if p.kind == "W":
        return f"w^{{({p.layer})}}" if single else f"W^{{({p.layer})}}_{{{p.row},{p.col}}}"
    return f"b^{{({p.layer})}}" if single else f"b^{{({p.layer})}}_{{{p.row}}}"
