"""The exercise's chain rule for one parameter and one example, factor by factor.

For a parameter θ of layer i of an N-layer network the exercise writes::

    ∂C_k/∂θ = ∂C_k/∂a(N) · ∂a(N)/∂a(N−1) ⋯ ∂a(i+1)/∂a(i) · ∂a(i)/∂z(i) · ∂z(i)/∂θ

with ``∂a(j)/∂a(j−1) = σ'(z(j)) W(j)``.  :func:`chain_factors` gives each factor as
an array (symbol, formula, value) next to the back-propagated derivative
(:meth:`Network.chain_rule <chainrule.nn.network.Network.chain_rule>`).  The
factors come from the same per-layer math as training: a Jacobian's rows are the
layer's :func:`~chainrule.nn.layers.backward` applied to unit vectors, so
``∂a(j)/∂a(j−1)`` is ``dA_prev = dZ W`` for the rows ``dZ`` of ``∂a(j)/∂z(j)``,
and ``∂z(i)/∂θ`` is θ's entry of ``dW`` (or ``db``) for each unit ``dZ``.

:class:`ParamRef` names one scalar parameter (``W1[0,2]``, ``b2[1]``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..utils import html
from ..utils.html import plain_number, shown_indices
from .activations import Activation
from .costs import Cost
from .layers import backward

__all__ = ["ChainRule", "Factor", "ParamRef", "chain_factors", "latex_number", "parse_param"]

Array = np.ndarray

_PARAM_RE = re.compile(r"^\s*([Wwb])\s*\(?\s*(\d+)\s*\)?\s*\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\]\s*$")


@dataclass(frozen=True)
class ParamRef:
    """One scalar parameter: ``W(layer)[row, col]`` or ``b(layer)[row]`` (layer is 1-based)."""

    kind: str  # "W" or "b"
    layer: int
    row: int
    col: int | None = None

    def __str__(self) -> str:
        return f"{self.kind}{self.layer}[{self.index}]"

    @property
    def symbol(self) -> str:
        """The exercise's notation, e.g. ``W(1)[0,2]``."""
        return f"{self.kind}({self.layer})[{self.index}]"

    @property
    def index(self) -> str:
        """The index as written: ``'0,2'`` for a weight, ``'1'`` for a bias."""
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


@dataclass(frozen=True)
class Factor:
    """One factor of the chain rule: its symbol, its formula and its value."""

    symbol: str
    formula: str
    value: Array

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def __repr__(self) -> str:
        return f"Factor({self.symbol!r}, {self.formula!r}, shape {self.shape})"


@dataclass(frozen=True)
class ChainRule:
    """The exercise's chain rule for one parameter θ of layer i and one example::

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
        with y > 0 (−y/a), or a logistic output misclassified at ``|z| ≳ 745``
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

    def shown_shape(self, n: int) -> str:
        """Factor n's shape in the exercise's orientation: a row vector first (``1×n_N``),
        a column last (``n_i×1``), matrices between (``n_j×n_{j−1}``)."""
        f, last = self.factors[n], len(self.factors) - 1
        if n == 0:
            return f"1×{f.shape[0]}"
        if n == last:
            return f"{f.shape[0]}×1"
        return "×".join(str(s) for s in f.shape)

    # -- display ---------------------------------------------------------------

    def factor_rows(self) -> list[list[object]]:
        """One row per factor: symbol, formula, shape as the exercise has it, value (HTML)."""
        return [[f.symbol, f.formula, self.shown_shape(n), html.matrix_html(
            f.value[:, None] if n == len(self.factors) - 1 and f.value.ndim == 1 else f.value,
            ".6g")] for n, f in enumerate(self.factors)]

    def __repr__(self) -> str:
        shapes = ", ".join(f"{f.symbol} {self.shown_shape(n)}" for n, f in enumerate(self.factors))
        return (f"ChainRule(∂C_k/∂{self.param.symbol} = {plain_number(self.value, '.10g')}, "
                f"the product of {shapes}; back-propagation {plain_number(self.backprop, '.10g')})")

    def _repr_html_(self) -> str:
        rows = self.factor_rows()
        footer = [["product", "the factors, left to right", "1×1",
                   plain_number(self.value, ".10g")],
                  ["back-propagation", "Network.backprop on the example", "1×1",
                   plain_number(self.backprop, ".10g")]]
        table = html.table(["factor", "formula", "shape", "value"], rows, footer=footer)
        return html.block(f"∂C_k/∂{self.param.symbol} by the chain rule", table)

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"

    # -- LaTeX -------------------------------------------------------------------

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """The network's layer sizes, as the example's activations a(0) … a(N) have them."""
        return tuple(int(a.shape[0]) for a in self.a)

    def latex_param(self) -> str:
        """θ in LaTeX: ``w^{(1)}`` for a single neuron's weight, else ``W^{(1)}_{0,2}``."""
        p, sizes = self.param, self.layer_sizes
        single = sizes[p.layer] == 1 and sizes[p.layer - 1] == 1
        if p.kind == "W":
            return f"w^{{({p.layer})}}" if single else f"W^{{({p.layer})}}_{{{p.row},{p.col}}}"
        return f"b^{{({p.layer})}}" if single else f"b^{{({p.layer})}}_{{{p.row}}}"

    def latex_lines(self, digits: int = 4) -> list[str]:
        """The lines of :meth:`to_latex`: ∂C_k/∂θ, = the symbols, = the values, = the product."""
        sizes = self.layer_sizes
        i, N = self.param.layer, len(sizes) - 1
        theta = self.latex_param()
        a = [_tex_vec("a", j, sizes) for j in range(N + 1)]
        z = _tex_vec("z", i, sizes)
        symbols = [rf"\frac{{\partial C_k}}{{\partial {a[N]}}}"]
        symbols += [rf"\frac{{\partial {a[j]}}}{{\partial {a[j - 1]}}}" for j in range(N, i, -1)]
        symbols += [rf"\frac{{\partial {a[i]}}}{{\partial {z}}}",
                    rf"\frac{{\partial {z}}}{{\partial {theta}}}"]
        last = len(self.factors) - 1
        values = [_tex_array(f.value[:, None] if n == last else f.value, digits)
                  for n, f in enumerate(self.factors)]
        return [
            rf"\frac{{\partial C_k}}{{\partial {theta}}}",
            r"  &= " + r" \, ".join(symbols) + r" \\",
            r"  &= " + r" \, ".join(values) + r" \\",
            r"  &= " + latex_number(self.value, digits),
        ]

    def to_latex(self, digits: int = 4) -> str:
        """The chain in LaTeX (an ``aligned`` block): symbols, then values, then the product.

        Matrices are ``pmatrix`` with ``digits`` significant digits; larger than
        6 × 6 they are elided.
        """
        return "\\begin{aligned}\n" + "\n".join(self.latex_lines(digits)) + "\n\\end{aligned}"


def chain_factors(p: ParamRef, dC_da: Array, cost: Cost, activations: Sequence[Activation],
                  W: Sequence[Array], z: Sequence[Array], a: Sequence[Array]) -> tuple[Factor, ...]:
    """The factors of ``∂C_k/∂θ`` for one example, in the exercise's order.

    Parameters
    ----------
    p : ParamRef
        θ, a parameter of layer i.
    dC_da : ndarray of shape (n_N,)
        The first factor ``∂C_k/∂a(N)`` (:meth:`Network.dC_da`).
    cost : Cost
        For the first factor's formula.
    activations, W : sequence
        Every layer's σ and W.
    z, a : sequence of ndarray
        The example's ``z(1) … z(N)`` and ``a(0) … a(N)``.
    """
    L, i = len(W), p.layer
    factors = [Factor(f"∂C/∂a({L})", f"{cost.name}: {cost.dC_dA_formula}", dC_da)]
    # Saturated units (a rounded to 0 or 1) give infinite or 0/0 factors when taken
    # from a; the Jacobians are taken from z, exact there
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j in range(L, i, -1):
            # row m: dA_prev = dZ W for dZ = row m of ∂a(j)/∂z(j) = diag(σ'(z(j)))
            _, _, J = backward(activations[j - 1].jacobian(z[j - 1]), None, W[j - 1])
            factors.append(Factor(f"∂a({j})/∂a({j - 1})", f"σ'(z({j})) W({j})", J))
        factors.append(Factor(f"∂a({i})/∂z({i})",
                              f"σ'(z({i})) = {activations[i - 1].derivative_formula}",
                              activations[i - 1].jacobian(z[i - 1])))
    factors.append(_dz_dtheta(p, a[i - 1], z[i - 1].shape[0]))
    return tuple(factors)


def _dz_dtheta(p: ParamRef, a_prev: Array, n: int) -> Factor:
    """``∂z(i)/∂θ``: θ's entry of dW (db) for every unit dZ = e_m, one example each."""
    e = np.eye(n, dtype=a_prev.dtype)[:, None, p.row:p.row + 1]  # (n, 1, 1): e_m[row]
    col = 0 if p.col is None else p.col
    dW, db, _ = backward(e, a_prev[None, col:col + 1])  # (n, 1, 1) and (n, 1)
    i = p.layer
    if p.kind == "W":
        return Factor(f"∂z({i})/∂W({i})[{p.row},{p.col}]", f"a({i - 1})[{p.col}] in row {p.row}",
                      dW.reshape(n) + 0.0)  # + 0.0: no −0.0 where a(i−1) < 0
    return Factor(f"∂z({i})/∂b({i})[{p.row}]", f"1 in row {p.row}", db.reshape(n) + 0.0)


# ---------------------------------------------------------------------------
# LaTeX
# ---------------------------------------------------------------------------


def latex_number(x: float, digits: int) -> str:
    """x in LaTeX with ``digits`` significant digits: ``1.5 \\times 10^{-7}``, never ``-0``."""
    text = plain_number(x, f".{digits}g")
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    if text in ("nan", "inf", "-inf"):
        return rf"\text{{{text}}}"
    return text


def _tex_array(v: Array, digits: int) -> str:
    """A number, or a pmatrix (a 1-D array is a row)."""
    if v.size == 1:
        return latex_number(float(v.reshape(-1)[0]), digits)
    M = v[None, :] if v.ndim == 1 else v
    rows = []
    for r in shown_indices(M.shape[0]):
        cells = []
        for c in shown_indices(M.shape[1]):
            if r is None:
                cells.append(r"\ddots" if c is None else r"\vdots")
            else:
                cells.append(r"\cdots" if c is None else latex_number(float(M[r, c]), digits))
        rows.append(" & ".join(cells))
    return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"


def _tex_vec(name: str, layer: int, sizes: tuple[int, ...]) -> str:
    """``a^{(j)}`` for one neuron as in the exercise, bold ``\\mathbf{a}^{(j)}`` for a layer."""
    return f"{name}^{{({layer})}}" if sizes[layer] == 1 else rf"\mathbf{{{name}}}^{{({layer})}}"
