"""The exercise's answer options, each tried numerically, and the table that lists them.

An :class:`Option` holds one statement of the exercise with the course's verdict
(``correct``) and what chainrule's numbers found (``found``); the tour prints
every option of every question with its number, so that a wrong one is flagged
where a learner can see it.  Question 3's statements are derivatives ``∂u/∂v =
g``, each tried as the function ``v ↦ u`` against central differences; question
6's are candidate Jacobians ``∂a(j)/∂a(j−1)``, each put into the chain rule of
all of ``∂C_k/∂W(1)`` and checked the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..nn.chain import ChainRule
from ..nn.gradcheck import GradCheckResult, check_gradient
from ..nn.network import Network

__all__ = ["Option", "derivative_options", "jacobian_options", "option_table"]

Array = np.ndarray
State = dict[str, Array]


@dataclass(frozen=True)
class Option:
    """One answer option of the exercise and what the library's numbers say of it.

    Attributes
    ----------
    question : int
        The question's number, 1 to 6.
    number : int
        The option's place in the exercise's list, from 1.
    statement : str
        The option as the exercise states it.
    correct : bool
        The course's verdict.
    found : bool
        Whether the library's numbers bear the statement out.
    evidence : str
        Those numbers, in a line.
    """

    question: int
    number: int
    statement: str
    correct: bool
    found: bool
    evidence: str

    @property
    def label(self) -> str:
        """``'3.7'`` for the seventh option of question 3."""
        return f"{self.question}.{self.number}"

    @property
    def agrees(self) -> bool:
        """Whether the numbers agree with the course's verdict."""
        return self.found == self.correct


def option_table(console: Console, question: int, options: list[Option]) -> None:
    """Print the options of one question: number, statement, verdict, evidence."""
    table = Table("#", "statement", "verdict", "chainrule's numbers",
                  title=f"question {question}: every option")
    table.columns[1].no_wrap = True
    for o in options:
        verdict = "[green]true" if o.correct else "[red]wrong (flagged)"
        if not o.agrees:
            verdict += " [bold red]but the numbers disagree"
        table.add_row(o.label, escape(o.statement), verdict, escape(o.evidence))
    console.print(table)


# ---------------------------------------------------------------------------
# Question 3: nine statements about the four factors
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Derivative:
    """A statement ∂u/∂v = claim, tried as a function v ↦ u at each NOT example."""

    text: str
    correct: bool
    at: Callable[[State], Array]  # the value of v at each example
    u: Callable[[Array, State], Array]  # u as a function of v
    claim: Callable[[State], Array]


def _derivatives() -> list[_Derivative | None]:
    """Question 3's statements in the exercise's order (None: 'none of the other statements')."""

    def from_a(s: State) -> Array:
        return s["a"]

    def from_b(s: State) -> Array:
        return s["b"] * np.ones(2)

    def cost(v: Array, s: State) -> Array:
        return (v - s["y"]) ** 2

    def z_of_b(v: Array, s: State) -> Array:
        return s["w"] * s["x"] + v

    return [
        _Derivative("∂C_k/∂a(1) = (1 − y)²", False, from_a, cost, lambda s: (1 - s["y"]) ** 2),
        # z(1) as a function of a(1) inverts a = tanh z: its slope is 1/σ'(z), not w(1)
        _Derivative("∂z(1)/∂a(1) = w(1)", False, from_a, lambda v, s: np.arctanh(v),
                    lambda s: s["w"] * np.ones(2)),
        _Derivative("∂z(1)/∂b(1) = a(1)", False, from_b, z_of_b, lambda s: s["a"]),
        _Derivative("∂a(1)/∂z(1) = σ'(z(1))", True, lambda s: s["z"], lambda v, s: np.tanh(v),
                    lambda s: 1 / np.cosh(s["z"]) ** 2),
        _Derivative("∂z(1)/∂b(1) = 1", True, from_b, z_of_b, lambda s: np.ones(2)),
        _Derivative("∂C_k/∂a(1) = 2(a(1) − y)", True, from_a, cost,
                    lambda s: 2 * (s["a"] - s["y"])),
        None,
        _Derivative("∂z(1)/∂w(1) = a(0)", True, lambda s: s["w"] * np.ones(2),
                    lambda v, s: v * s["x"] + s["b"], lambda s: s["x"]),
        _Derivative("∂a(1)/∂z(1) = σ", False, lambda s: s["z"], lambda v, s: np.tanh(v),
                    lambda s: np.tanh(s["z"])),
    ]


def _pair(v: Array) -> str:
    return " | ".join(f"{float(t):+.4f}" for t in v)


def derivative_options(w: float, b: float, x: Array, y: Array) -> list[Option]:
    """Question 3's nine statements, each checked at the NOT neuron's two examples.

    Parameters
    ----------
    w, b : float
        The neuron's weight and bias (1.3 and −0.1 in the exercise).
    x, y : ndarray of shape (2,)
        The two examples' input and target.

    Returns
    -------
    list of Option
        In the exercise's order; the evidence shows the claimed derivative and
        the central difference at each example.
    """
    z = w * x + b
    s = {"x": x, "y": y, "w": np.float64(w), "b": np.float64(b), "z": z, "a": np.tanh(z)}
    options: list[Option] = []
    for number, d in enumerate(_derivatives(), start=1):
        if d is None:
            continue
        v = np.array(d.at(s), dtype=np.float64)  # one copy of v per example
        result = check_gradient(lambda t, d=d: float(np.sum(d.u(t, s))), d.claim(s), v)
        evidence = (f"claimed {_pair(result.analytic)}, finite differences "
                    f"{_pair(result.numeric)}")
        options.append(Option(3, number, d.text, d.correct, result.passed, evidence))
    true_ones = [o.number for o in options if o.found]
    none = Option(3, 7, "None of the other statements.", False, not true_ones,
                  f"statements {', '.join(map(str, true_ones))} hold")
    options.insert(6, none)
    return options


# ---------------------------------------------------------------------------
# Question 6: four candidates for ∂a(j)/∂a(j−1)
# ---------------------------------------------------------------------------


def _check_with(net: Network, chain: ChainRule, x: Array, y: Array,
                J: Array) -> GradCheckResult:
    """check_gradient on all of ∂C_k/∂W(1), built with ``J`` in place of ∂a(2)/∂a(1)."""
    values = [f.value for f in chain.factors]
    j = [f.symbol for f in chain.factors].index("∂a(2)/∂a(1)")
    # the factors before ∂z(1)/∂W(1) give ∂C_k/∂z(1); then ∂z(1)_r/∂W(1)[r,c] = a(0)_c
    dz = values[0]
    for v in [*values[1:j], J, *values[j + 1:-1]]:
        dz = dz @ v
    claimed = np.outer(dz, chain.a[0])  # (n_1, n_0), like W(1)

    def f(theta: Array) -> float:  # theta is W(1) itself, perturbed in place
        return net.compute_cost(x, y)

    return check_gradient(f, claimed, net.W[0])


def jacobian_options(net: Network, chain: ChainRule, x: Array, y: Array) -> list[Option]:
    """Question 6's four candidates for ``∂a(j)/∂a(j−1)``, each tried at j = 2.

    Parameters
    ----------
    net : Network
        A tanh network whose first two hidden layers are as wide as its input,
        so that every candidate has a shape the chain can take.
    chain : ChainRule
        ``net.chain_rule(x, y, param)`` for a weight of W(1).
    x, y : ndarray
        The example.

    Returns
    -------
    list of Option
        In the exercise's order; a candidate that is a vector where the chain
        needs a matrix is taken as the diagonal matrix of that vector.
    """
    s1, s2 = (1 / np.cosh(z) ** 2 for z in chain.z[:2])  # σ'(z(1)), σ'(z(2))
    W1, W2 = net.W[0], net.W[1]
    a2 = chain.a[2]
    candidates = [
        ("W(j) a(j)", False, np.diag(W2 @ a2),
         f"W(2) a(2) is a vector of {W2.shape[0]}, not a {W2.shape[0]}×{W2.shape[1]} matrix; "
         "as diag(W(2) a(2))"),
        ("σ'(z(j)) W(j)", True, s2[:, None] * W2, "diag(σ'(z(2))) W(2)"),
        ("σ'(z(j)) / σ'(z(j−1))", False, np.diag(s2 / s1),
         "a vector, σ'(z(2)) / σ'(z(1)) element-wise; as its diagonal matrix"),
        ("σ'(z(j)) W(j−1)", False, s2[:, None] * W1, "diag(σ'(z(2))) W(1)"),
    ]
    options = []
    for number, (text, correct, J, how) in enumerate(candidates, start=1):
        result = _check_with(net, chain, x, y, J)
        verdict = (f"passes on all {result.indices.size} weights of W(1)" if result.passed else
                   f"flagged on {result.failures.size} of {result.indices.size} weights of W(1)")
        evidence = f"{how}: check_gradient {verdict} (max rel. error {result.max_rel_error:.1e})"
        if number == 4:
            evidence += (f"; at j = 3 it cannot even be formed: σ'(z(3)) has {net.W[2].shape[0]} "
                         f"entries, W(2) has {W2.shape[0]} rows")
        options.append(Option(6, number, f"∂a(j)/∂a(j−1) = {text}", correct, result.passed,
                              evidence))
    return options
