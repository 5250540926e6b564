"""The course's exercise, question by question, worked with chainrule.

:func:`run_tour` answers each of the exercise's six questions with the library
(not with hand-written formulas), prints every step under its question number,
lists every answer option of every question with the course's verdict and the
numbers that show it, and writes the pictures to a folder.  The questions are
stated in full on the user guide's page "The exercise" (``docs/guide/exercise.md``).

1. the NOT neuron ``a(1) = tanh(w(1) a(0) + b(1))`` with w(1) = 1.3, b(1) = −0.1:
   ``C_1 = (a(1) − 0)²`` for x = 1 and ``C_0 = (a(1) − 1)²`` for x = 0;
2. the training-set cost ``C = ½(C_0 + C_1)`` as a contour map over (w, b),
   whose valley runs along b = −w; its five statements read off the map;
3. the factors of ``∂C_k/∂w = ∂C_k/∂a · ∂a/∂z · ∂z/∂w``: each of the nine
   statements checked against finite differences;
4. ``dCdb`` in code at w = 2.3, b = −1.2, next to back-propagation, and the
   exercise's own line ``dCda = 2*(a-y)**2``, which is wrong, and by how much;
5. the 2×3 tanh layer's cost ``C_k = |a(1) − y|²``;
6. ``∂a(j)/∂a(j−1) = σ'(z(j)) W(j)`` in a network with hidden layers, the whole
   chain multiplied out and compared with back-propagation and finite
   differences, and each of the four candidate Jacobians checked;

and finally the follow-up assignment: the 1-6-7-2 logistic network fitted to
the heart curve.  ``examples/exercise_tour.py`` runs the same code as a script.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import ConfigError
from ..nn.gradcheck import check_gradient, numerical_gradient
from ..nn.landscape import DescentPath, Landscape, cost_surface, descent_path, not_toy
from ..nn.network import Network
from .options import (
    Option,
    derivative_options,
    jacobian_options,
    option_table,
)

__all__ = ["W_Q5", "X_Q5", "Y_Q5", "TourResult", "b_Q5", "dCdb", "dCdb_as_printed", "run_tour"]

Array = np.ndarray

# The 2×3 layer of question 5, digits exactly as the exercise prints them.
W_Q5 = np.array([[-0.94529712, -0.2667356, -0.91219181],
                 [2.05529992, 1.21797092, 0.22914497]])
b_Q5 = np.array([0.61273249, 1.6422662])
X_Q5 = np.array([0.7, 0.6, 0.2])
Y_Q5 = np.array([0.9, 0.6])

# The map of question 2: w and b from −4 to 4 in steps of 0.02.
GRID = np.linspace(-4.0, 4.0, 401)
VALLEY_ROWS = (0.5, 1.0, 2.0, 3.0, 4.0)
# Descent from the exercise's starting point: η = 1 keeps every step downhill on this map.
DESCENT_RATE, DESCENT_STEPS = 1.0, 100

# Question 4: the weight and bias the exercise's code starts from, and the (x, y)
# pair it leaves out ("a single data point pair of x and y"): the NOT neuron's.
W_Q4, B_Q4, X_Q4, Y_Q4 = 2.3, -1.2, 0.0, 1.0

# Question 6: two hidden layers as wide as the input, so that every candidate
# Jacobian can be formed and tried numerically.  The exercise gives no numbers here.
Q6_SIZES = (3, 3, 3, 2)
Q6_SEED = 0
Q6_PARAM = "W1[0,2]"

# The follow-up assignment, as the course sets it.
HEART_SIZES = (1, 6, 7, 2)
HEART_EPOCHS = 30_000  # with 20,000 some seeds still miss a piece of a lobe (as `make demo`)
HEART_RATE = 0.01


@dataclass(frozen=True)
class TourResult:
    """The numbers and pictures of one walk through the exercise.

    Attributes
    ----------
    a1, a1_rounded : float
        a(1) of the NOT neuron for x = 1, exact and rounded to 3 places as the exercise does.
    C1, C1_rounded : float
        ``C_1 = (a(1) − 0)²`` from the exact a(1) (0.695) and from the rounded one (0.696).
    C0 : float
        ``C_0 = (a(1) − 1)²`` for x = 0 (1.2).
    C : float
        The training-set cost ``½(C_0 + C_1)``.
    valley_b, valley_w : ndarray
        Rows b > 0 of the map and the cheapest w on each (≈ −b).
    descent_start, descent_end : ndarray of shape (2,)
        (w, b) where gradient descent on the map starts and ends.
    descent_costs : ndarray
        The cost after each step of that descent.
    derivatives : dict of str to ndarray of shape (2,)
        The four true factors of question 3 at the NOT examples (x = 0, x = 1).
    options : tuple of Option
        Every answer option of every question, in the exercise's order, with the
        course's verdict and what the library's numbers found.
    dC_dw, dC_db : float
        The chain-rule products of question 3 averaged over the NOT set ...
    backprop_dw, backprop_db : float
        ... and :meth:`chainrule.Network.backprop` on the same set.
    dCdb, dCdb_backprop : float
        Question 4: ``dCdb(2.3, −1.2, x=0, y=1)`` and back-propagation.
    dCdb_printed : float
        Question 4 with the exercise's line ``dCda = 2*(a-y)**2`` (wrong).
    a_q5, C_q5 : ndarray, float
        Question 5: the 2×3 layer's output and ``C_k`` (1.8).
    q6_jacobian : ndarray of shape (3, 3)
        ``∂a(2)/∂a(1) = σ'(z(2)) W(2)`` from :meth:`chainrule.Network.chain_rule`.
    q6_chain, q6_backprop, q6_fd : float
        ``∂C_k/∂W(1)[0,2]`` as the product of the factors, by back-propagation and
        by central differences.
    landscape_png : Path
        The contour map of question 2.
    heart_png : Path or None
        The fitted heart curve (None when the training was skipped).
    heart_cost : float or None
        The final training cost of the heart network.
    """

    a1: float
    a1_rounded: float
    C1: float
    C1_rounded: float
    C0: float
    C: float
    valley_b: Array
    valley_w: Array
    descent_start: Array
    descent_end: Array
    descent_costs: Array
    derivatives: dict[str, Array]
    options: tuple[Option, ...]
    dC_dw: float
    dC_db: float
    backprop_dw: float
    backprop_db: float
    dCdb: float
    dCdb_backprop: float
    dCdb_printed: float
    a_q5: Array
    C_q5: float
    q6_jacobian: Array
    q6_chain: float
    q6_backprop: float
    q6_fd: float
    landscape_png: Path
    heart_png: Path | None = None
    heart_cost: float | None = None


def run_tour(out_dir: str | Path, console: Console | None = None, *,
             train_heart: bool = True) -> TourResult:
    """Walk through the exercise's questions, printing each step and writing the pictures.

    Parameters
    ----------
    out_dir : str or Path
        Folder for ``q2_landscape.png`` and ``heart.png`` (created if missing).
    console : rich.console.Console, optional
        Where the walk is printed; by default standard output.
    train_heart : bool, default True
        Fit the 1-6-7-2 network to the heart curve (a second or two) and draw it.

    Returns
    -------
    TourResult
        Every number printed, and the paths of the pictures.

    Raises
    ------
    ConfigError
        If ``out_dir`` is an existing file.
    """
    console = console or Console()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out_dir: expected a folder for the pictures, got the file {out}")
    out.mkdir(parents=True, exist_ok=True)
    console.print("The course's back-propagation exercise, question by question, worked with "
                  "chainrule.  Each question is stated in full on the user guide's page "
                  "'The exercise' (docs/guide/exercise.md); every answer option is listed "
                  "with its number, the course's verdict and the numbers that show it.")
    found: dict[str, Any] = {}
    options: list[Option] = []
    for question in (_question_1, _question_2, _question_3, _question_4, _question_5,
                     _question_6):
        numbers, listed = question(console, out)
        found.update(numbers)
        options += listed
    found["options"] = tuple(options)
    if train_heart:
        found.update(_heart(console, out))
    else:
        console.rule("[bold]Follow-up: the heart curve")
        console.print("skipped (train_heart=False)")
    wrong = sum(not o.correct for o in options)
    agree = sum(o.agrees for o in options)
    console.rule("[bold]Summary")
    console.print(f"{len(options)} answer options in six questions, {wrong} of them wrong; "
                  f"the library's numbers agree with the course on {agree} of {len(options)}.")
    return TourResult(**found)


Answer = tuple[dict[str, Any], list[Option]]


# ---------------------------------------------------------------------------
# Questions 1 and 2: the NOT neuron and its cost
# ---------------------------------------------------------------------------


def _question_1(console: Console, out: Path) -> Answer:
    console.rule("[bold]Question 1: the cost of one training example")
    net, _, _ = not_toy()
    console.print("The NOT neuron: a(1) = σ(z(1)), z(1) = w(1) a(0) + b(1), σ = tanh, "
                  "w(1) = 1.3, b(1) = −0.1; cost C_k = (a(1) − y)².")
    a1 = float(net.predict([[1.0]])[0, 0])
    C1 = net.compute_cost([[1.0]], [[0.0]])
    a1_rounded = round(a1, 3)
    C1_rounded = a1_rounded**2
    console.print(f"x = 1, y = 0:  a(1) = tanh(1.3·1 − 0.1) = tanh(1.2) = {a1:.5f} ≈ "
                  f"{a1_rounded:.3f}")
    console.print(f"  C_1 = ({a1_rounded:.3f} − 0)² = {C1_rounded:.3f}   (as the exercise: a(1) "
                  f"rounded to {a1_rounded:.3f} before squaring)")
    console.print(f"  unrounded, C_1 = tanh²(1.2) = {C1:.5f} ≈ {C1:.3f}")
    a0 = float(net.predict([[0.0]])[0, 0])
    C0 = net.compute_cost([[0.0]], [[1.0]])
    console.print(f"x = 0, y = 1:  a(1) = tanh(−0.1) = {a0:.3f}, "
                  f"C_0 = ({a0:.3f} − 1)² = {C0:.4f} ≈ [bold]{C0:.1f}[/bold]")
    answer = Option(1, 1, "C_0 = 1.2 (the answer, to 1 decimal place)", True,
                    round(C0, 1) == 1.2, f"Network.compute_cost: C_0 = {C0:.4f}")
    option_table(console, 1, [answer])
    return {"a1": a1, "a1_rounded": a1_rounded, "C1": C1, "C1_rounded": C1_rounded,
            "C0": C0}, [answer]


def _question_2(console: Console, out: Path) -> Answer:
    console.rule("[bold]Question 2: the cost of the training set, over (w, b)")
    net, X, Y = not_toy()
    C = net.compute_cost(X, Y)
    C_k = net.cost_per_example(X, Y)
    console.print(f"C = ½(C_0 + C_1) = ½({C_k[0]:.4f} + {C_k[1]:.4f}) = {C:.4f}")

    land = cost_surface(net, X, Y, "W1[0,0]", "b1[0]", GRID, GRID)
    path = descent_path(net, X, Y, learning_rate=DESCENT_RATE, n_steps=DESCENT_STEPS)
    png = _draw_landscape(land, path, out / "q2_landscape.png")
    console.print(f"contour map of C over w, b ∈ [{GRID[0]:g}, {GRID[-1]:g}] "
                  f"({GRID.size}×{GRID.size} grid, white = low, black = high): {escape(str(png))}")
    valley = _valley(console, land)
    p0, p1 = path.points[0], path.points[-1]
    downhill = bool(np.all(np.diff(path.costs) <= 0))
    console.print(f"descending across the contours (η = {DESCENT_RATE:g}, {DESCENT_STEPS} steps): "
                  f"(w, b) = ({p0[0]:.2f}, {p0[1]:.2f}) → ({p1[0]:.2f}, {p1[1]:.2f}), C = "
                  f"{path.costs[0]:.4f} → {path.costs[-1]:.4f}, every step downhill: {downhill}")

    minima = _count_local_minima(land.C)
    on_b0 = float(land.C[np.argmin(np.abs(land.ys))].min())
    lowest = land.argmin()[2]
    statements = [
        (False, minima > 1, f"interior local minima on the grid: {minima}",
         "There are many different local minima in this system."),
        (False, on_b0 <= lowest + 1e-3, f"cheapest on b = 0: C = {on_b0:.3f}; lowest on the "
         f"map: C = {lowest:.1e}, in the valley", "The optimal configuration lies along the line "
         "b = 0."),
        (True, valley["off"] <= valley["step"], f"on every row b > 0 the cheapest w is −b to "
         f"within {valley['off']:.3f} (grid step {valley['step']:.3f}); C keeps falling along it",
         "The optimal configuration lies somewhere along the line b = −w."),
        (True, downhill and path.costs[-1] < path.costs[0], f"gradient descent: C = "
         f"{path.costs[0]:.4f} → {path.costs[-1]:.4f}, every step downhill",
         "Descending perpendicular to the contours will improve the performance of the network."),
    ]
    options = [Option(2, n, text, correct, found, evidence)
               for n, (correct, found, evidence, text) in enumerate(statements, start=2)]
    true_ones = [o.number for o in options if o.found]
    options.insert(0, Option(2, 1, "None of the other statements are true.", False,
                             not true_ones, f"statements {_numbers(true_ones)} hold"))
    option_table(console, 2, options)
    return {"C": C, "valley_b": valley["b"], "valley_w": valley["w"],
            "descent_start": p0.copy(), "descent_end": p1.copy(), "descent_costs": path.costs,
            "landscape_png": png}, options


def _valley(console: Console, land: Landscape) -> dict[str, Any]:
    """The cheapest w on rows b > 0 of the map: a table, and how far it is from −b."""
    table = Table("b", "cheapest w", "−b", "C there", title="the valley along b = −w")
    bs, ws = [], []
    for b in VALLEY_ROWS:
        j = int(np.argmin(np.abs(land.ys - b)))
        i = int(np.argmin(land.C[j]))
        bs.append(land.ys[j])
        ws.append(land.xs[i])
        table.add_row(f"{land.ys[j]:.2f}", f"{land.xs[i]:.2f}", f"{-land.ys[j]:.2f}",
                      f"{land.C[j, i]:.2e}")
    console.print(table)
    rows = land.ys > 0
    w_best = land.xs[np.argmin(land.C[rows], axis=1)]
    return {"b": np.array(bs), "w": np.array(ws), "step": float(land.xs[1] - land.xs[0]),
            "off": float(np.max(np.abs(w_best + land.ys[rows])))}


def _numbers(numbers: list[int]) -> str:
    return " and ".join(map(str, numbers)) if numbers else "none of the others"


def _count_local_minima(C: Array) -> int:
    """Interior grid points strictly lower than all eight neighbours."""
    inner = C[1:-1, 1:-1]
    lower = np.ones_like(inner, dtype=bool)
    ny, nx = C.shape
    for dj in (-1, 0, 1):
        for di in (-1, 0, 1):
            if dj or di:
                lower &= inner < C[1 + dj:ny - 1 + dj, 1 + di:nx - 1 + di]
    return int(lower.sum())


def _new_axes(size: tuple[float, float]) -> Any:
    """Axes on a figure of its own, outside pyplot: no backend, no global state to close."""
    from matplotlib.figure import Figure  # matplotlib only when a picture is drawn

    return Figure(figsize=size).subplots()


def _draw_landscape(land: Landscape, path: DescentPath, png: Path) -> Path:
    from ..viz.plots import plot_landscape, save_figure

    ax = plot_landscape(land, ax=_new_axes((6.0, 5.0)), path=path)
    return save_figure(ax.figure, png)


# ---------------------------------------------------------------------------
# Question 3: the four factors, and every statement checked
# ---------------------------------------------------------------------------


def _question_3(console: Console, out: Path) -> Answer:
    console.rule("[bold]Question 3: the factors of ∂C_k/∂w(1) and ∂C_k/∂b(1)")
    net, X, Y = not_toy()
    console.print("Each statement ∂u/∂v = g is tried as the function v ↦ u at both NOT examples "
                  "(x = 0, y = 1 and x = 1, y = 0): check_gradient compares g with central "
                  "differences.")
    options = derivative_options(float(net.W[0][0, 0]), float(net.b[0][0]), X[:, 0], Y[:, 0])
    option_table(console, 3, options)

    # The four factors as Network.chain_rule gives them, one example at a time.
    derivatives: dict[str, Array] = {}
    chains_w = [net.chain_rule(X[k], Y[k], "W1[0,0]") for k in range(2)]
    chains_b = [net.chain_rule(X[k], Y[k], "b1[0]") for k in range(2)]
    for n, name in enumerate(("∂C_k/∂a(1) = 2(a(1) − y)", "∂a(1)/∂z(1) = 1/cosh² z(1)",
                              "∂z(1)/∂w(1) = a(0)")):
        derivatives[name] = np.array([float(np.ravel(c.factors[n].value)[0]) for c in chains_w])
    derivatives["∂z(1)/∂b(1) = 1"] = np.array([float(c.factors[2].value[0]) for c in chains_b])
    console.print("the four true factors from Network.chain_rule "
                  "(x = 0, y = 1 | x = 1, y = 0):")
    for name, val in derivatives.items():
        console.print(f"  {name:<28} " + " | ".join(f"{float(t):+.4f}" for t in val))
    # ∂C/∂θ of the training set is the mean of the per-example chain products.
    dC_dw = float(np.mean([c.value for c in chains_w]))
    dC_db = float(np.mean([c.value for c in chains_b]))
    dW, db = net.backprop(X, Y)
    console.print(f"∂C/∂w(1) = ½ Σ_k ∂C_k/∂a · ∂a/∂z · ∂z/∂w = {dC_dw:.10f};  "
                  f"Network.backprop: {dW[0][0, 0]:.10f}")
    console.print(f"∂C/∂b(1) = ½ Σ_k ∂C_k/∂a · ∂a/∂z · ∂z/∂b = {dC_db:.10f};  "
                  f"Network.backprop: {db[0][0]:.10f}")
    return {"derivatives": derivatives, "dC_dw": dC_dw, "dC_db": dC_db,
            "backprop_dw": float(dW[0][0, 0]), "backprop_db": float(db[0][0])}, options


# ---------------------------------------------------------------------------
# Questions 4 and 5: the exercise's code, and the 2×3 layer
# ---------------------------------------------------------------------------


def dCdb(w1: float, b1: float, x: float, y: float) -> float:
    """Question 4's ``dCdb``, completed: ``∂C_k/∂b = 2(a − y) · 1/cosh² z · 1``, z = w x + b.

    Parameters
    ----------
    w1, b1 : float
        The neuron's weight and bias.
    x, y : float
        One training example.

    Returns
    -------
    float
        ``∂C_k/∂b(1)`` for ``C_k = (tanh(w1 x + b1) − y)²``.
    """
    z = w1 * x + b1
    dCda = 2 * (np.tanh(z) - y)  # derivative of the cost with the activation
    dadz = 1 / np.cosh(z) ** 2  # derivative of the activation with the weighted sum
    dzdb = 1  # derivative of the weighted sum with the bias
    return float(dCda * dadz * dzdb)


def dCdb_as_printed(w1: float, b1: float, x: float, y: float) -> float:
    """Question 4's ``dCdb`` as the exercise prints it: ``dCda = 2*(a-y)**2`` (wrong).

    The printed line squares ``a − y`` a second time, so the result is the right
    derivative times ``(a − y)``: wrong in sign whenever ``a < y``, and in size
    by the factor ``|a − y|``.  It takes the arguments of :func:`dCdb` and
    returns ``2(a − y)² · 1/cosh² z · 1``, which is not ``∂C_k/∂b(1)``.
    """
    z = w1 * x + b1
    dCda = 2 * (np.tanh(z) - y) ** 2  # the exercise's line: one square too many
    return float(dCda / np.cosh(z) ** 2)


def _question_4(console: Console, out: Path) -> Answer:
    console.rule("[bold]Question 4: dCdb in code")
    w1, b1, x, y = W_Q4, B_Q4, X_Q4, Y_Q4
    console.print(f"The exercise's code starts from w(1) = {w1}, b(1) = {b1} and then says only "
                  "'we can test on a single data point pair of x and y': it gives no pair.  "
                  f"We pick the NOT neuron's x = {x:g}, y = {y:g}.")
    value, printed = dCdb(w1, b1, x, y), dCdb_as_printed(w1, b1, x, y)
    net = Network([1, 1], "tanh", weights=[[[w1]]], biases=[[b1]])
    _, db = net.backprop([[x]], [[y]])
    bp = float(db[0][0])
    z = w1 * x + b1
    a = float(np.tanh(z))
    console.print(f"z = {z:g}, a = tanh(z) = {a:.4f}, a − y = {a - y:.4f}")
    console.print(f"dCdb = 2(a − y) · 1/cosh² z · 1 = {value:.10f}")
    console.print(f"Network.backprop  ∂C/∂b(1)    = {bp:.10f}   (difference {abs(value - bp):.1e})")

    def cost(theta: Array) -> float:
        return float((np.tanh(w1 * x + theta[0]) - y) ** 2)

    right = check_gradient(cost, np.array([value]), np.array([b1]))
    wrong = check_gradient(cost, np.array([printed]), np.array([b1]))
    console.print(f"The exercise's own listing has dCda = 2 * (a1(w1, b1, x) - y)**2: "
                  f"2(a − y)² = {2 * (a - y) ** 2:.4f} where ∂C_k/∂a = 2(a − y) = "
                  f"{2 * (a - y):.4f}.  The line is the right one times (a − y) = {a - y:.4f}, "
                  f"so its dCdb is {printed:+.4f} instead of {value:+.4f}: "
                  f"{'the wrong sign, ' if printed * value < 0 else ''}"
                  f"{abs(printed / value):.2f} times the size, off by {abs(printed - value):.4f}.")
    options = [
        Option(4, 1, "dzdb = 1 (the line the exercise asks for)", True, right.passed,
               f"dCdb = {value:+.4f}; finite differences {right.numeric[0]:+.4f}"),
        Option(4, 2, "dCda = 2 * (a1(w1, b1, x) - y)**2 (the exercise's own line)", False,
               wrong.passed, f"dCdb = {printed:+.4f}; finite differences "
               f"{wrong.numeric[0]:+.4f}"),
    ]
    option_table(console, 4, options)
    return {"dCdb": value, "dCdb_backprop": bp, "dCdb_printed": printed}, options


def _question_5(console: Console, out: Path) -> Answer:
    console.rule("[bold]Question 5: a layer of two tanh neurons on three inputs")
    net = Network([3, 2], "tanh", weights=[W_Q5], biases=[b_Q5])
    a = net.predict(X_Q5)
    C_k = net.compute_cost(X_Q5, Y_Q5)
    d = a - Y_Q5
    console.print(f"W(1) = {np.array2string(W_Q5, separator=', ')}")
    console.print(f"b(1) = {np.array2string(b_Q5, separator=', ')}")
    console.print(f"x = {X_Q5.tolist()}, y = {Y_Q5.tolist()}:  a(1) = tanh(W(1) x + b(1)) = "
                  f"[{a[0]:.4f}, {a[1]:.4f}]")
    console.print(f"C_k = |a(1) − y|² = ({d[0]:.4f})² + ({d[1]:.4f})² = {C_k:.4f} ≈ "
                  f"[bold]{C_k:.1f}[/bold]")
    answer = Option(5, 1, "C_k = 1.8 (the answer, to 1 decimal place)", True,
                    round(C_k, 1) == 1.8, f"Network.compute_cost: C_k = {C_k:.4f}")
    option_table(console, 5, [answer])
    return {"a_q5": a, "C_q5": C_k}, [answer]


# ---------------------------------------------------------------------------
# Question 6: hidden layers
# ---------------------------------------------------------------------------


def _question_6(console: Console, out: Path) -> Answer:
    console.rule("[bold]Question 6: back-propagation through hidden layers")
    net = Network(Q6_SIZES, "tanh", random_state=Q6_SEED)
    x, y = X_Q5, Y_Q5
    chain = net.chain_rule(x, y, Q6_PARAM)
    console.print(f"The exercise gives no numbers here; we pick a {'-'.join(map(str, Q6_SIZES))} "
                  f"tanh network (random weights, random_state={Q6_SEED}) and question 5's "
                  f"x = {x.tolist()}, y = {y.tolist()}, θ = {chain.param.symbol}:")
    table = Table("factor", "formula", "shape", "value", title=f"∂C_k/∂{chain.param.symbol}")
    table.columns[3].no_wrap = True  # the formulas wrap instead of the numbers
    for f in chain.factors:
        table.add_row(f.symbol, f.formula, "×".join(map(str, f.shape)), _matrix(f.value))
    console.print(table)

    # ∂a(2)/∂a(1) from chain_rule against σ'(z(2)) W(2) built here
    J = next(f.value for f in chain.factors if f.symbol == "∂a(2)/∂a(1)")
    sigma_prime = 1 / np.cosh(chain.z[1]) ** 2
    J_direct = sigma_prime[:, None] * net.W[1]
    console.print(f"∂a(2)/∂a(1) = σ'(z(2)) W(2): chain_rule and diag(1/cosh² z(2)) W(2) differ "
                  f"by {np.max(np.abs(J - J_direct)):.1e}")

    k = net.flat_index(chain.param)
    fd = float(numerical_gradient(lambda t: net.compute_cost(x, y), net.params, np.array([k]))[0])
    console.print(f"product of the factors   {chain.value:+.12f}")
    console.print(f"Network.backprop         {chain.backprop:+.12f}   "
                  f"(difference {abs(chain.value - chain.backprop):.1e})")
    console.print(f"finite differences       {fd:+.12f}   "
                  f"(difference {abs(chain.value - fd):.1e}, central differences with h = 1e-6)")
    console.print("Each candidate for ∂a(j)/∂a(j−1) is put in the chain at j = 2, all of "
                  "∂C_k/∂W(1) is built with it, and check_gradient compares that with finite "
                  "differences.  A vector where a matrix belongs is taken as a diagonal matrix.")
    options = jacobian_options(net, chain, x, y)
    option_table(console, 6, options)
    return {"q6_jacobian": J.copy(), "q6_chain": chain.value, "q6_backprop": chain.backprop,
            "q6_fd": fd}, options


def _matrix(v: Array) -> str:
    """A vector on one line, a matrix one row per line, 4 decimals with signs."""
    rows = np.atleast_2d(v)
    return "\n".join(" ".join(f"{float(t):+.4f}" for t in row) for row in rows)


# ---------------------------------------------------------------------------
# The follow-up: the heart curve
# ---------------------------------------------------------------------------


def _heart(console: Console, out: Path) -> dict[str, Any]:
    from ..data import heart
    from ..train.loop import fit
    from ..viz.plots import plot_curve_2d, save_figure

    console.rule("[bold]Follow-up: the 1-6-7-2 network draws a heart")
    data = heart()
    net = Network(HEART_SIZES, "logistic", random_state=0)
    start = time.perf_counter()
    history = fit(net, data.X, data.y, optimizer="adam", learning_rate=HEART_RATE,
                  epochs=HEART_EPOCHS, batch_size=None)
    seconds = time.perf_counter() - start
    cost = history.cost[-1]
    console.print(f"{'-'.join(map(str, HEART_SIZES))} logistic network, {data.n_examples} points "
                  f"of the heart curve, full batch, Adam η = {HEART_RATE:g}, "
                  f"{HEART_EPOCHS} epochs: C = {history.cost[0]:.4f} → {cost:.5f} "
                  f"in {seconds:.1f} s")
    ax = plot_curve_2d(data.y, net.predict(data.X), ax=_new_axes((5.0, 5.0)))
    png = save_figure(ax.figure, out / "heart.png")
    console.print(f"the network's curve over the target: {escape(str(png))}")
    return {"heart_png": png, "heart_cost": cost}
