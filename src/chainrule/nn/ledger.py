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
from ..utils import html
from ..utils.html import plain_number
from .chain import ChainRule, Factor, ParamRef, latex_number, parse_param
from .costs import output_delta
from .gradcheck import numerical_gradient
from .landscape import on_host
from .layers import backward
from .network import Network

__all__ = ["LayerGradient", "Ledger", "explain", "latex_number", "plain_number"]

Array = np.ndarray

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
        """Factor n's shape in the exercise's orientation (:meth:`ChainRule.shown_shape`)."""
        return self.chain.shown_shape(n)

    def checks(self) -> list[tuple[str, float, float, float]]:
        """The product beside its two references: ``(what, product, back-propagation,
        finite difference)`` for example k and, with several examples, for the mean cost."""
        rows = [(f"∂C_k/∂θ, example k = {self.example}", self.product, self.example_backprop,
                 self.example_numeric)]
        if self.n_examples > 1:
            rows.append((f"∂C/∂θ = (1/N) Σ_k ∂C_k/∂θ, N = {self.n_examples}", self.value,
                         self.backprop, self.numeric))
        return rows

    # -- display -----------------------------------------------------------------

    def __repr__(self) -> str:
        _, product, backprop, numeric = self.checks()[-1]
        over = f"∂C/∂{self.param.symbol} over N = {self.n_examples} examples" \
            if self.n_examples > 1 else f"∂C_k/∂{self.param.symbol}"
        return (f"Ledger({over}: product {plain_number(product, '.10g')}, back-propagation "
                f"{plain_number(backprop, '.10g')}, finite difference "
                f"{plain_number(numeric, '.10g')}; {len(self.factors)} factors of example "
                f"k = {self.example}, cost {self.cost})")

    def _repr_html_(self) -> str:
        N, k = self.n_examples, self.example
        of = f" of {N}" if N > 1 else ""
        factors = html.table(["factor", "formula", "shape", "value"], self.chain.factor_rows(),
                             caption=f"C_k = {self.cost_formula} ({self.cost})")
        checks = html.table(
            ["", "product of the factors", "back-propagation", "finite difference",
             "largest rel. diff"],
            [[what, plain_number(p, ".10g"), plain_number(b, ".10g"), plain_number(n, ".10g"),
              plain_number(_largest_difference(p, b, n), ".1e")]
             for what, p, b, n in self.checks()])
        sizes = html.table(
            ["layer j", "‖∂C_k/∂a(j)‖", "mean |σ'(z(j))|", "Π σ' from N down to j"],
            [[g.layer, plain_number(g.dC_da_norm, ".4g"), plain_number(g.sigma_prime, ".4g"),
              plain_number(g.sigma_prime_product, ".4g")] for g in self.layers],
            caption="gradient size, layer by layer" + (f" (mean over {N} examples)"
                                                       if N > 1 else ""))
        return html.block(f"∂C_k/∂{self.param.symbol} by the chain rule, example k = {k}{of}",
                          factors, checks, sizes)

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"

    # -- output (the rich tables are chainrule.viz.ledger_text's) ---------------

    def to_latex(self, digits: int = 4) -> str:
        """The chain in LaTeX (an ``aligned`` block): symbols, then values, then the product.

        Matrices are ``pmatrix`` with ``digits`` significant digits; larger than
        6 × 6 they are elided.  With several examples a last line gives the
        training set's ``∂C/∂θ``, the mean of the per-example products.
        """
        lines = self.chain.latex_lines(digits)
        if self.n_examples > 1:
            theta = self.chain.latex_param()
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
        Relative step of the central differences (see :mod:`chainrule.nn.gradcheck`).

    Returns
    -------
    Ledger
        ``product`` (example k) equals ``example_backprop`` to rounding; ``value``,
        the mean of the per-example products, equals ``backprop`` of the batch.

    Notes
    -----
    The ledger is computed in NumPy on the host: a network on a device is read into a
    host copy, and tensors ``x``, ``y`` are read to the host; the network itself stays
    where it is.
    """
    p = parse_param(param)
    k = network.flat_index(p)
    network, x, y = on_host(network, x, y)
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


def _largest_difference(*values: float) -> float:
    """The largest relative difference between the values, relative to the largest of them
    (0 when all are 0; NaN when one is not finite)."""
    v = np.asarray(values, dtype=np.float64)
    scale = float(np.abs(v).max())
    return float(np.ptp(v)) / scale if scale > 0 else 0.0


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
