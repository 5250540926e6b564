"""How the objects show themselves: HTML read by a parser, short text, LaTeX for the math.

Every HTML display is parsed (tests/html_support.py) and the numbers it shows are
compared with the object's own; large objects must stay small.
"""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import Network, check_gradient, check_network_gradient
from chainrule.nn.landscape import cost_surface, descent_path, gradient_field, not_toy
from chainrule.nn.ledger import explain
from chainrule.utils.html import Markup, escape, matrix_html, shown_indices, table
from html_support import no_scripts, number, parse

# "a few kB": the most any display of a large object may take
FEW_KB = 4096


def digits_like(rng):
    """A network as large as the digits model, with data for it."""
    net = Network([784, 100, 10], "relu", cost="cross_entropy", random_state=0)
    X = rng.random((20, 784))
    Y = np.eye(10)[rng.integers(0, 10, 20)]
    return net, X, Y


# -- the pieces ------------------------------------------------------------------------


def test_escape_and_markup():
    assert escape("<b>&'\"") == "&lt;b&gt;&amp;&#x27;&quot;"
    assert escape(Markup("<b>x</b>")) == "<b>x</b>"  # already HTML
    root = parse(table(["a<b", "c"], [[1, Markup("<i>2</i>")]], caption="cap & co",
                       footer=[["sum", 3]]))
    t = root.find("table")
    assert t.find("caption").text() == "cap & co"
    assert t.rows("thead") == [["a<b", "c"]]
    assert t.rows("tbody") == [["1", "2"]] and t.find("i").text() == "2"
    assert t.rows("tfoot") == [["sum", "3"]]


def test_matrices_are_elided_in_the_middle():
    assert shown_indices(6) == list(range(6))
    assert shown_indices(7) == [0, 1, 2, 3, None, 6]
    M = np.arange(80.0).reshape(8, 10)
    rows = parse(matrix_html(M, ".3g")).find("table").rows()
    assert rows[0] == ["0", "1", "2", "3", "⋯", "9"]
    assert rows[4] == ["⋮", "⋮", "⋮", "⋮", "⋱", "⋮"]
    assert rows[5] == ["70", "71", "72", "73", "⋯", "79"]
    assert matrix_html(np.array([-0.0])) == "0"  # a number, never "-0"


# -- the network -----------------------------------------------------------------------


def test_network_shows_its_layers_and_diagram():
    net = Network([2, 3, 1], "tanh", random_state=0)
    root = parse(net._repr_html_())
    assert no_scripts(root)
    t = root.find("table")
    assert t.rows("thead") == [["layer", "neurons", "σ", "W shape", "b shape", "parameters"]]
    assert t.rows("tbody") == [["0 (input)", "2", "", "", "", "0"],
                               ["1", "3", "tanh", "3×2", "3", "9"],
                               ["2 (output)", "1", "tanh", "1×3", "1", "4"]]
    assert t.rows("tfoot") == [["total", "", "", "", "", "13"]] and net.n_params == 13
    svg = root.find("svg")
    assert len(svg.find_all("circle")) == 2 + 3 + 1
    # one segment per weight; blue paths hold the positive weights, red the negative
    segments = {colour: 0 for colour in ("#1f77b4", "#d62728")}
    for path in svg.find_all("path"):
        segments[path.attrs["stroke"]] += path.attrs["d"].count("M")
    weights = np.concatenate([W.ravel() for W in net.W])
    assert segments == {"#1f77b4": int((weights > 0).sum()), "#d62728": int((weights < 0).sum())}
    labels = [t.text() for t in svg.find_all("text")]
    assert labels == ["input (2)", "tanh (3)", "tanh (1)"]


def test_a_large_network_stays_small(rng):
    net, _, _ = digits_like(rng)
    markup = net._repr_html_()
    assert len(markup.encode()) < FEW_KB
    root = parse(markup)
    assert root.find("table").rows("tfoot") == [["total", "", "", "", "", "79510"]]
    svg = root.find("svg")
    assert len(svg.find_all("circle")) == 5 + 5 + 5  # 4 shown, ⋮, the last one
    assert [t.text() for t in svg.find_all("text")].count("⋮") == 3
    assert repr(net) == ("Network(layer_sizes=(784, 100, 10), activations=[relu, softmax], "
                         "cost='cross_entropy', dtype=float64)")


# -- the chain rule and the ledger -------------------------------------------------------


def factor_values(table_node):
    """The value column of a factor table: each cell's numbers as a flat list."""
    out = []
    for tr in table_node.find("tbody").elements():
        cell = tr.elements()[-1]
        out.append([number(x) for x in cell.text().split() if x not in "⋯⋮⋱"])
    return out


def test_chain_rule_shows_each_factor_and_the_product(rng):
    net = Network([3, 4, 2], "tanh", random_state=0)
    x, y = rng.normal(size=3), rng.normal(size=2)
    chain = net.chain_rule(x, y, "W1[2,1]")
    root = parse(chain._repr_html_())
    assert no_scripts(root)
    t = root.find("table")
    assert [r[:3] for r in t.rows("tbody")] == [
        ["∂C/∂a(2)", "squared_error: 2(a − y)", "1×2"],
        ["∂a(2)/∂a(1)", "σ'(z(2)) W(2)", "2×4"],
        ["∂a(1)/∂z(1)", "σ'(z(1)) = 1/cosh²(z) = 1 − a²", "4×4"],
        ["∂z(1)/∂W(1)[2,1]", "a(0)[1] in row 2", "4×1"]]
    for shown, f in zip(factor_values(t), chain.factors):
        np.testing.assert_allclose(shown, f.value.ravel(), rtol=1e-5, atol=1e-12)
    product, backprop = t.rows("tfoot")
    assert product[0] == "product" and number(product[-1]) == pytest.approx(chain.value,
                                                                            rel=1e-9)
    assert backprop[0] == "back-propagation"
    assert number(backprop[-1]) == pytest.approx(chain.backprop, rel=1e-9)
    text = repr(chain)
    assert "[[" not in text and len(text) < 300  # no array dumped
    assert text.startswith("ChainRule(∂C_k/∂W(1)[2,1] = ")
    assert chain._repr_latex_().startswith("$$\\begin{aligned}")
    assert repr(chain.factors[1]) == "Factor('∂a(2)/∂a(1)', \"σ'(z(2)) W(2)\", shape (2, 4))"


def test_ledger_sets_the_three_derivatives_side_by_side(rng):
    net, X, Y = not_toy()
    ledger = explain(net, X, Y, "b1[0]", example=1)
    root = parse(ledger._repr_html_())
    assert no_scripts(root)
    factors, checks, sizes = root.find_all("table")
    assert factors.find("caption").text().startswith("C_k = |a − y|²")
    for shown, f in zip(factor_values(factors), ledger.factors):
        np.testing.assert_allclose(shown, f.value.ravel(), rtol=1e-5)
    assert checks.rows("thead") == [["", "product of the factors", "back-propagation",
                                     "finite difference", "largest rel. diff"]]
    (k_row, mean_row) = checks.rows("tbody")
    assert k_row[0] == "∂C_k/∂θ, example k = 1"
    expected = [ledger.product, ledger.example_backprop, ledger.example_numeric]
    np.testing.assert_allclose([number(v) for v in k_row[1:4]], expected, rtol=1e-9)
    assert mean_row[0] == "∂C/∂θ = (1/N) Σ_k ∂C_k/∂θ, N = 2"
    np.testing.assert_allclose([number(v) for v in mean_row[1:4]],
                               [ledger.value, ledger.backprop, ledger.numeric], rtol=1e-9)
    assert number(mean_row[4]) < 1e-8  # the three agree
    (layer,) = sizes.rows("tbody")
    g = ledger.layers[0]
    np.testing.assert_allclose([number(v) for v in layer],
                               [1, g.dC_da_norm, g.sigma_prime, g.sigma_prime_product],
                               rtol=1e-3)
    text = repr(ledger)
    assert text.startswith("Ledger(∂C/∂b(1)[0] over N = 2 examples: product ")
    assert len(text) < 300
    latex = ledger._repr_latex_()
    assert latex == "$$" + ledger.to_latex() + "$$"


def test_ledger_of_a_large_network_stays_small(rng):
    net, X, Y = digits_like(rng)
    ledger = explain(net, X, Y, "W1[5,300]")
    markup = ledger._repr_html_()
    assert len(markup.encode()) < FEW_KB
    factors = parse(markup).find("table")
    assert [r[2] for r in factors.rows("tbody")] == ["1×10", "10×100", "100×100", "100×1"]
    # the 10×100 Jacobian shows 6 × 6 cells: 4 rows, ⋮, the last row
    jacobian = factors.find("tbody").elements()[1].find("table")
    assert len(jacobian.rows()) == 6 and all(len(r) == 6 for r in jacobian.rows())
    assert len(repr(ledger)) < 300 and len(ledger._repr_latex_()) < FEW_KB


# -- landscapes, paths and gradient checks --------------------------------------------------


def test_landscape_shows_its_axes_and_lowest_point():
    net, X, Y = not_toy()
    L = cost_surface(net, X, Y, x_values=np.linspace(-4, 4, 201),
                     y_values=np.linspace(-3, 3, 151))
    markup = L._repr_html_()
    assert len(markup.encode()) < FEW_KB
    root = parse(markup)
    axes, costs = root.find_all("table")
    assert axes.rows("tbody") == [["x", "w(1)", "-4", "4", "201", "1.3"],
                                  ["y", "b(1)", "-3", "3", "151", "-0.1"]]
    x, y, low = L.argmin()
    lowest = costs.rows("tbody")[0]
    np.testing.assert_allclose([number(v) for v in lowest[1:]], [low, x, y], rtol=1e-3)
    assert number(costs.rows("tbody")[1][1]) == pytest.approx(L.C.max(), rel=1e-3)
    text = repr(L)
    assert len(text) < 300 and "array" not in text
    assert "w(1) ∈ [-4, 4] (201 values) × b(1) ∈ [-3, 3] (151 values)" in text
    field = gradient_field(net, X, Y)
    assert repr(field).startswith("GradientField(∂C/∂W1[0,0] and ∂C/∂b1[0] over ")


def test_descent_path_shows_its_first_and_last_steps():
    net, X, Y = not_toy()
    path = descent_path(net, X, Y, learning_rate=0.5, n_steps=40)
    rows = parse(path._repr_html_()).find("table").rows("tbody")
    assert [r[0] for r in rows] == ["0", "1", "2", "3", "⋮", "40"]
    for r in (rows[0], rows[-1]):
        t = int(r[0])
        np.testing.assert_allclose([number(v) for v in r[1:]],
                                   [*path.points[t], path.costs[t]], rtol=1e-3)
    assert repr(path) == ("DescentPath(40 steps from (1.3, -0.1) to "
                          f"({path.points[-1, 0]:.4g}, {path.points[-1, 1]:.4g}), cost "
                          f"{path.costs[0]:.4g} → {path.costs[-1]:.4g})")


def test_gradient_check_shows_its_worst_components(rng):
    net, X, Y = digits_like(rng)
    result = check_network_gradient(net, X, Y, n_samples=40, random_state=0)
    markup = result._repr_html_()
    assert len(markup.encode()) < FEW_KB
    root = parse(markup)
    assert root.find("p").text() == result.summary()
    t = root.find("table")
    assert t.find("caption").text() == "the 6 largest relative errors of 40"
    rows = t.rows("tbody")
    worst = np.argsort(-result.rel_error, kind="stable")[:6]
    assert [r[0] for r in rows] == [result.names[k] for k in worst]
    np.testing.assert_allclose([number(r[1]) for r in rows], result.analytic[worst],
                               rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose([number(r[2]) for r in rows], result.numeric[worst],
                               rtol=1e-9, atol=1e-300)
    assert {r[4] for r in rows} == {"ok"}
    assert repr(result) == f"GradCheckResult({result.summary()})"


def test_a_failed_gradient_check_says_which_components():
    theta = np.array([1.0, 2.0, 3.0])
    result = check_gradient(lambda t: float(t @ t), 2 * theta + [0, 0.5, 0], theta)
    rows = parse(result._repr_html_()).find("table").rows("tbody")
    assert rows[0][0] == "θ[1]" and rows[0][4] == "FAILED"
    assert [r[4] for r in rows[1:]] == ["ok", "ok"]
    assert "FAILED on 1 of 3 components: max relative error" in repr(result)


# -- a run's record and a model ----------------------------------------------------------------


def long_history():
    """A 30,000-epoch record with validation, as the heart's long run gives."""
    from chainrule import History

    n = 30_000
    epochs = np.arange(1, n + 1)
    cost = 2.0 / np.sqrt(epochs)
    val = cost * 1.1
    val[::7] = np.nan  # gaps where validation was not computed
    nan = np.full(n, np.nan)  # no accuracy: a regressor
    return History(epoch=epochs, cost=cost, val_cost=val, accuracy=nan, val_accuracy=nan,
                   learning_rate=np.full(n, 0.01), seconds=np.full(n, 0.002),
                   best_epoch=12_345, n_steps=n)


def test_a_long_history_shows_a_short_summary():
    h = long_history()
    text = repr(h)
    assert len(text) < 200
    assert text == ("History(30000 epochs: cost 2 → 0.01155, validation C 0.0127, "
                    "best epoch 12345, 60 s)")
    markup = h._repr_html_()
    assert len(markup.encode()) < FEW_KB
    root = parse(markup)
    assert no_scripts(root)
    t = root.find("table")
    assert t.rows("thead") == [["epoch", "cost C", "validation C", "η", "seconds"]]
    rows = t.rows("tbody")
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "12345 (best)", "⋮", "30000"]
    for r in rows:
        if r[0] != "⋮":
            k = int(r[0].split()[0]) - 1
            np.testing.assert_allclose(number(r[1]), h.cost[k], rtol=1e-3)
    assert rows[0][2] == "nan" and number(rows[1][2]) == pytest.approx(h.val_cost[1], rel=1e-3)
    points = root.find("polyline").attrs["points"].split()
    assert 2 <= len(points) <= 120  # the cost's sparkline
    frame = h.to_frame()
    assert frame.shape == (30_000, 6) and frame.index.name == "epoch"
    assert list(frame.columns) == ["cost", "val_cost", "accuracy", "val_accuracy", "learning_rate",
                                   "seconds"]
    np.testing.assert_array_equal(frame["cost"].to_numpy(), np.asarray(h.cost))
    assert frame.index[-1] == 30_000


def test_an_empty_history():
    from chainrule import History

    assert repr(History()) == "History(no epochs)"
    assert parse(History()._repr_html_()).find("b").text() == "History: no epochs"


def test_a_model_shows_its_fields_and_its_network(rng):
    from chainrule import Model

    X = rng.normal(size=(40, 3))
    y = np.array(["cat", "dog"])[(X[:, 0] > 0).astype(int)]
    import pandas as pd

    frame = pd.DataFrame(X, columns=["height", "weight", "age"])
    model = Model(Network([3, 4, 2], "tanh", cost="cross_entropy", random_state=0))
    model.fit(frame, y, epochs=5, learning_rate=0.05, random_state=0)
    root = parse(model._repr_html_())
    assert no_scripts(root)
    fields, layers = root.find_all("table")[:2]
    rows = dict((r[0], r[1]) for r in fields.rows("tbody"))
    assert rows["task"] == "classification"
    assert rows["inputs"] == "3: height, weight, age"
    assert rows["classes"] == "2: cat, dog"
    assert rows["epochs run"] == "5"
    assert number(rows["final cost"]) == pytest.approx(model.training["final_cost"], rel=1e-5)
    assert layers.rows("tfoot") == [["total", "", "", "", "", str(model.network.n_params)]]
    assert root.find("svg") is not None  # the network's diagram


def test_a_large_model_stays_small():
    from chainrule import Model

    net = Network([784, 100, 10], "relu", cost="cross_entropy", random_state=0)
    model = Model(net, feature_names=[f"pixel{i}" for i in range(784)], classes=list(range(10)))
    markup = model._repr_html_()
    assert len(markup.encode()) < 2 * FEW_KB
    rows = dict((r[0], r[1]) for r in parse(markup).find("table").rows("tbody"))
    assert rows["inputs"] == ("784: pixel0, pixel1, pixel2, pixel3, pixel4, pixel5, …, pixel783 "
                              "(784)")
    assert rows["classes"] == "10: 0, 1, 2, 3, 4, 5, …, 9 (10)"
