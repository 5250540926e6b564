"""The chain-rule ledger as text: rich tables of the factors, the checks and the gradient sizes.

:func:`chainrule.nn.explain` computes a :class:`~chainrule.nn.ledger.Ledger`
(NumPy only); this module draws it for a terminal: :func:`ledger_table` (one
row per factor, then back-propagation and the finite differences beside their
product), :func:`layers_table` (``‖∂C_k/∂a(j)‖`` and the σ' factors layer by
layer), and :func:`render_ledger`, both printed.  rich is imported when a table
is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..nn.chain import Factor
from ..nn.ledger import Ledger
from ..utils.html import MAX_SHOWN, plain_number

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["layers_table", "ledger_table", "render_ledger"]

# Decimals shown in an array factor.
ARRAY_DECIMALS = 3


def ledger_table(ledger: Ledger) -> Table:
    """The factors and the checks as a :class:`rich.table.Table`.

    One row per factor (symbol, formula, shape in the exercise's orientation,
    value), then the product of the factors beside back-propagation and the
    central finite difference: for example k, and with several examples for the
    training-set cost ``C = (1/N) Σ_k C_k``.
    """
    from rich.markup import escape
    from rich.table import Table

    N, k = ledger.n_examples, ledger.example
    of = f" of {N}" if N > 1 else ""
    table = Table(title=f"∂C_k/∂{ledger.param.symbol} by the chain rule, example k = {k}{of}",
                  caption=escape(f"C_k = {ledger.cost_formula}   ({ledger.cost})"))
    table.add_column("factor", no_wrap=True)
    table.add_column("formula", no_wrap=True)
    table.add_column("shape", justify="center", no_wrap=True)
    table.add_column("value", overflow="fold")
    last = len(ledger.factors) - 1
    for n, f in enumerate(ledger.factors):
        table.add_row(f.symbol, f.formula, ledger.shown_shape(n), _array_text(f, n, last),
                      end_section=n == last)
    for label, formula, v in _checks(ledger):
        table.add_row(label, formula, "", v)
    return table


def _checks(ledger: Ledger) -> list[tuple[str, str, str]]:
    """Rows (label, formula, value) of the product and the two references it is checked by."""
    p, N = ledger.product, ledger.n_examples
    reference = p if np.isfinite(p) else ledger.example_backprop
    if np.isfinite(p):
        product = plain_number(p, ".10g")
        backprop = _with_diff(ledger.example_backprop, p)
    else:  # a saturated output: a factor is beyond the floating-point range
        product = (f"{plain_number(p, '.10g')}: a factor is beyond the floating-point range "
                   "(a saturated output); back-propagation's fused a − y is exact")
        backprop = plain_number(ledger.example_backprop, ".10g")
    rows = [
        ("product ∂C_k/∂θ", "the factors, left to right", product),
        ("back-propagation", "Network.backprop on example k", backprop),
        ("finite difference", "(C_k(θ + h) − C_k(θ − h)) / 2h",
         _with_diff(ledger.example_numeric, reference)),
    ]
    if N > 1:
        m = ledger.value
        rows += [
            ("∂C/∂θ", f"(1/N) Σ_k ∂C_k/∂θ over N = {N}", plain_number(m, ".10g")),
            ("back-propagation", "Network.backprop on the batch", _with_diff(ledger.backprop, m)),
            ("finite difference", "(C(θ + h) − C(θ − h)) / 2h", _with_diff(ledger.numeric, m)),
        ]
    return rows


def layers_table(ledger: Ledger) -> Table:
    """``‖∂C_k/∂a(j)‖`` and the σ' factors layer by layer, as a :class:`rich.table.Table`."""
    from rich.table import Table

    mean = f", mean over {ledger.n_examples} examples" if ledger.n_examples > 1 else ""
    table = Table(title=f"Gradient size, layer {ledger.layers[0].layer} down to "
                        f"{ledger.param.layer}{mean}")
    table.add_column("layer j", justify="right")
    table.add_column("‖∂C_k/∂a(j)‖", justify="right")
    table.add_column("mean |σ'(z(j))|", justify="right")
    table.add_column("Π σ' from N down to j", justify="right")
    for g in ledger.layers:
        table.add_row(str(g.layer), plain_number(g.dC_da_norm, ".4g"),
                      plain_number(g.sigma_prime, ".4g"),
                      plain_number(g.sigma_prime_product, ".4g"))
    return table


def render_ledger(ledger: Ledger, console: Console | None = None) -> None:
    """Print both tables to ``console`` (a new :class:`rich.console.Console` by default)."""
    if console is None:
        from rich.console import Console

        console = Console()
    console.print(ledger_table(ledger))
    console.print(layers_table(ledger))


def _array_text(f: Factor, n: int, last: int) -> str:
    """Factor ``n``'s value: a number, or its array in the shape the table shows
    (:meth:`~chainrule.nn.chain.ChainRule.shown_shape`): the first factor a row
    ``1×n``, the last (factor ``last``) a column ``n×1``, the others matrices."""
    v = f.value
    if v.size == 1:
        return plain_number(v.reshape(-1)[0], ".6g")
    if v.ndim == 1:
        v = v[:, None] if n == last else v[None, :]  # (n, 1) or (1, n)
    # Round first: array2string would print −0.0004 as "-0."; rounded it is −0.0,
    # and + 0.0 turns every −0.0 into 0.0.
    v = np.round(v, ARRAY_DECIMALS) + 0.0
    # once an axis is longer than MAX_SHOWN, summarise (threshold 0): every axis longer
    # than 2·edgeitems then shows only its first and last two entries
    big = max(v.shape) > MAX_SHOWN
    return np.array2string(v, precision=ARRAY_DECIMALS, suppress_small=True,
                           threshold=0 if big else v.size, edgeitems=2, max_line_width=1000)


def _with_diff(value: float, reference: float) -> str:
    """``value (rel. diff d)``, d relative to the larger of the two."""
    scale = max(abs(value), abs(reference))
    rel = abs(value - reference) / scale if scale > 0 else 0.0
    return f"{plain_number(value, '.10g')} (rel. diff {plain_number(rel, '.0e')})"
