"""How objects show themselves: plain numbers, small HTML tables and a network diagram.

A notebook (Jupyter, VS Code, Colab) shows an object by its ``_repr_html_`` (and
``_repr_latex_`` where it is math); a terminal by its ``repr``.  The pieces here
are strings built with the standard library alone, so every layer may use them
(``nn`` included): no scripts, no style sheets, nothing to install, and small
(a few kB) whatever the size of the object, because large arrays are elided
(``⋯``, ``⋮``) as :func:`shown_indices` says.

:class:`Markup` marks a string that is HTML already; everything else put in a
page goes through :func:`escape`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from .namespace import to_numpy

__all__ = [
    "MAX_SHOWN",
    "Markup",
    "block",
    "escape",
    "matrix_html",
    "network_svg",
    "plain_number",
    "shown_indices",
    "sparkline_svg",
    "table",
]

Array = np.ndarray

# Vectors and matrices longer than this along an axis are shown with their middle elided.
MAX_SHOWN = 6

# A sparkline: its size in pixels and the most points it draws.
SPARK_WIDTH, SPARK_HEIGHT, SPARK_POINTS = 240, 48, 120

# The network diagram: pixels between layers and between neurons, and the neuron radius.
LAYER_GAP, NEURON_GAP, RADIUS = 90, 22, 7
POSITIVE, NEGATIVE = "#1f77b4", "#d62728"  # matplotlib's tab:blue and tab:red, as plot_network


class Markup(str):
    """A string that is HTML already: it goes into a page as it is, never escaped again."""

    __slots__ = ()


def escape(text: object) -> Markup:
    """``str(text)`` with ``& < > " '`` escaped, as a :class:`Markup` (already escaped
    text is left alone)."""
    if isinstance(text, Markup):
        return text
    return Markup(html.escape(str(text), quote=True))


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


def shown_indices(n: int, most: int = MAX_SHOWN) -> list[int | None]:
    """The indices of n entries to show, ``None`` where the middle is elided.

    >>> shown_indices(4), shown_indices(9)
    ([0, 1, 2, 3], [0, 1, 2, 3, None, 8])
    """
    return list(range(n)) if n <= most else [*range(most - 2), None, n - 1]


def table(header: Sequence[object], rows: Sequence[Sequence[object]], *,
          caption: object = None, footer: Sequence[Sequence[object]] = ()) -> Markup:
    """An HTML ``<table>``: a header row, body rows and optional footer rows.

    Cells are escaped unless they are :class:`Markup`; numbers should be formatted
    before (:func:`plain_number`).
    """
    def row(cells: Sequence[object], tag: str) -> str:
        return "<tr>" + "".join(f"<{tag}>{escape(c)}</{tag}>" for c in cells) + "</tr>"

    parts = ["<table>"]
    if caption is not None:
        parts.append(f"<caption>{escape(caption)}</caption>")
    parts.append("<thead>" + row(header, "th") + "</thead>")
    parts.append("<tbody>" + "".join(row(r, "td") for r in rows) + "</tbody>")
    if footer:
        parts.append("<tfoot>" + "".join(row(r, "td") for r in footer) + "</tfoot>")
    parts.append("</table>")
    return Markup("".join(parts))


def block(title: object, *parts: str, note: object = None) -> Markup:
    """One object's display: a bold title line, then its parts (HTML), then a note."""
    body = "".join(parts)
    tail = f"<p>{escape(note)}</p>" if note is not None else ""
    return Markup(f'<div class="chainrule"><p><b>{escape(title)}</b></p>{body}{tail}</div>')


def matrix_html(values: object, spec: str = ".4g") -> Markup:
    """A number, or a vector (a row) or matrix as a borderless grid of numbers.

    Axes longer than :data:`MAX_SHOWN` are elided in the middle (``⋯`` across,
    ``⋮`` down, ``⋱`` where both meet), so the grid stays small.
    """
    v = np.asarray(values)
    if v.size == 1:
        return escape(plain_number(v.reshape(-1)[0], spec))
    M = v[None, :] if v.ndim == 1 else v.reshape(v.shape[0], -1)
    rows = []
    for r in shown_indices(M.shape[0]):
        cells = []
        for c in shown_indices(M.shape[1]):
            if r is None:
                text = "⋱" if c is None else "⋮"
            else:
                text = "⋯" if c is None else plain_number(M[r, c], spec)
            cells.append(f"<td>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return Markup('<table class="matrix">' + "".join(rows) + "</table>")


def network_svg(layer_sizes: Sequence[int], weights: Sequence[Array],
                labels: Sequence[str]) -> Markup:
    """The network as an inline SVG: a column of neurons per layer, the edges between.

    Edges are blue for a positive weight and red for a negative one, in three
    widths by ``|w|`` (relative to the largest).  A layer of more than
    :data:`MAX_SHOWN` neurons shows its first and last ones with ``⋮`` between,
    and only the edges of the neurons shown are drawn: the picture stays a few
    kB for any size of network.  ``labels`` go under the columns, one per layer.
    """
    weights = [to_numpy(W) for W in weights]  # a network on a device is drawn from the host
    shown = [shown_indices(n) for n in layer_sizes]
    tallest = max(len(s) for s in shown)
    width, height = LAYER_GAP * (len(layer_sizes) - 1) + 80, NEURON_GAP * tallest + 40
    y = [_neuron_rows(s, tallest) for s in shown]
    w_max = max((float(np.abs(W).max()) for W in weights if W.size), default=0.0) or 1.0
    paths: dict[tuple[str, int], list[str]] = {}
    for l, W in enumerate(weights):
        x0, x1 = 40 + LAYER_GAP * l, 40 + LAYER_GAP * (l + 1)
        for r, yr in y[l + 1].items():
            for c, yc in y[l].items():
                w = float(W[r, c])
                key = (POSITIVE if w > 0 else NEGATIVE, 1 + min(2, int(3 * abs(w) / w_max)))
                paths.setdefault(key, []).append(f"M{x0} {yc}L{x1} {yr}")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img"><title>the network, '
             f'{escape("–".join(map(str, layer_sizes)))}</title>']
    for (colour, thick), segments in sorted(paths.items()):
        parts.append(f'<path d="{"".join(segments)}" stroke="{colour}" '
                     f'stroke-width="{0.6 * thick:.1f}" stroke-opacity="0.7" fill="none"/>')
    for l, rows in enumerate(y):
        x = 40 + LAYER_GAP * l
        for yr in rows.values():
            parts.append(f'<circle cx="{x}" cy="{yr}" r="{RADIUS}" fill="white" '
                         'stroke="black"/>')
        for k, index in enumerate(shown[l]):
            if index is None:
                parts.append(f'<text x="{x}" y="{_row_y(k, len(shown[l]), tallest) + 5}" '
                             'text-anchor="middle">⋮</text>')
        parts.append(f'<text x="{x}" y="{height - 6}" text-anchor="middle" '
                     f'font-size="11">{escape(labels[l])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _row_y(k: int, n_shown: int, tallest: int) -> int:
    """The height of the k-th of ``n_shown`` places in a column centred among ``tallest``."""
    return 14 + NEURON_GAP * k + NEURON_GAP * (tallest - n_shown) // 2


def _neuron_rows(shown: list[int | None], tallest: int) -> dict[int, int]:
    """Neuron index → its height in the diagram, for the neurons shown."""
    return {i: _row_y(k, len(shown), tallest) for k, i in enumerate(shown) if i is not None}


def sparkline_svg(values: object, *, log: bool = False, title: str = "") -> Markup:
    """A small line chart of ``values`` as an inline SVG (at most :data:`SPARK_POINTS`
    points, picked evenly, the last one included), on a log scale with ``log``.

    NaN and infinite values are left out; nothing is drawn without two finite ones.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    x = np.arange(v.size, dtype=np.float64)
    keep = np.isfinite(v) & ((v > 0) if log else True)
    x, v = x[keep], v[keep]
    if v.size < 2:
        return Markup("")
    pick = np.unique(np.linspace(0, v.size - 1, min(v.size, SPARK_POINTS)).round().astype(int))
    x, v = x[pick], np.log10(v[pick]) if log else v[pick]
    span_x = float(x[-1] - x[0]) or 1.0
    span_v = float(v.max() - v.min()) or 1.0
    px = 2 + (x - x[0]) / span_x * (SPARK_WIDTH - 4)
    py = SPARK_HEIGHT - 2 - (v - v.min()) / span_v * (SPARK_HEIGHT - 4)  # high values on top
    points = " ".join(f"{a:.0f},{b:.0f}" for a, b in zip(px, py))
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" width="{SPARK_WIDTH}" '
                  f'height="{SPARK_HEIGHT}" role="img"><title>{escape(title)}</title>'
                  f'<polyline points="{points}" fill="none" stroke="{POSITIVE}" '
                  'stroke-width="1.5"/></svg>')
