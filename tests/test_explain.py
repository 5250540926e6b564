"""Tests of chainrule.nn.ledger: the product of the factors is the derivative, three ways."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rich.console import Console

from chainrule import ConfigError, Network, ShapeError
from chainrule.nn.landscape import not_toy
from chainrule.nn.ledger import explain, latex_number
from chainrule.viz.ledger_text import ledger_table, render_ledger

# (layer sizes, hidden activation, output activation, cost)
ARCHITECTURES = [
    ([1, 1], "tanh", None, "squared_error"),
    ([3, 2], "logistic", None, "binary_cross_entropy"),
    ([3, 4, 2], "tanh", None, "squared_error"),
    ([2, 5, 3, 1], "logistic", None, "binary_cross_entropy"),
    ([4, 3, 3, 3], "softplus", None, "cross_entropy"),
    ([2, 4, 4, 2], "tanh", "identity", "squared_error"),
    ([3, 6, 5, 4, 2], "leaky_relu", "logistic", "squared_error"),
]


def make_problem(sizes, activation, output, cost, rng, n):
    net = Network(sizes, activation, output, cost=cost, random_state=int(rng.integers(10**6)))
    net.params[...] = rng.normal(scale=0.8, size=net.n_params)  # random parameters
    X = rng.normal(size=(n, sizes[0]))
    if cost == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    elif cost == "binary_cross_entropy":
        Y = rng.integers(0, 2, size=(n, sizes[-1])).astype(float)
    else:
        Y = rng.normal(size=(n, sizes[-1]))
    return net, X, Y


def some_params(net, rng, n=4):
    names = net.param_names()
    return [names[j] for j in rng.choice(len(names), size=min(n, len(names)), replace=False)]


@pytest.mark.parametrize(("sizes", "act", "out", "cost"), ARCHITECTURES)
def test_product_of_factors_equals_backprop_and_finite_difference(rng, sizes, act, out, cost):
    net, X, Y = make_problem(sizes, act, out, cost, rng, n=1)
    before = net.params.copy()
    for name in some_params(net, rng):
        ledger = explain(net, X[0], Y[0], name)
        # an independent back-propagation of the single example
        net.backprop(X[:1], Y[:1])
        reference = net.grads[net.flat_index(name)]
        np.testing.assert_allclose(ledger.product, reference, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ledger.example_backprop, reference, rtol=1e-12, atol=1e-15)
        # central differences: rounding error ≈ ε·C/h ≈ 1e-10·C, hence the small atol
        np.testing.assert_allclose(ledger.example_numeric, reference, rtol=1e-6, atol=1e-8)
        assert ledger.n_examples == 1 and ledger.value == ledger.product
        # the factors themselves multiply to the product, left to right
        v = ledger.factors[0].value
        for f in ledger.factors[1:]:
            v = v @ f.value
        assert float(v) == ledger.product
    np.testing.assert_array_equal(net.params, before)


@pytest.mark.parametrize(("sizes", "act", "out", "cost"), ARCHITECTURES)
def test_data_set_mean_of_products_equals_batch_backprop(rng, sizes, act, out, cost):
    net, X, Y = make_problem(sizes, act, out, cost, rng, n=6)
    for name in some_params(net, rng, n=3):
        ledger = explain(net, X, Y, name, example=2)
        net.backprop(X, Y)
        reference = net.grads[net.flat_index(name)]
        assert ledger.n_examples == 6 and ledger.example == 2
        np.testing.assert_allclose(ledger.value, reference, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ledger.backprop, reference, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ledger.numeric, reference, rtol=1e-6, atol=1e-8)
        # the shown example is row 2, and its product is the per-example entry
        net.backprop(X[2:3], Y[2:3])
        np.testing.assert_allclose(ledger.product, net.grads[net.flat_index(name)],
                                   rtol=1e-12, atol=1e-15)
        assert ledger.per_example[2] == ledger.product


def test_not_toy_ledger_by_hand():
    # The exercise's NOT neuron, example (x = 1, y = 0): a = tanh(1.3 − 0.1) = tanh(1.2), so
    # ∂C_k/∂a = 2(a − y) = 2 tanh(1.2), ∂a/∂z = 1/cosh²(1.2), ∂z/∂w = x = 1.
    net, X, Y = not_toy()
    ledger = explain(net, X, Y, "W1[0,0]", example=1)
    a = np.tanh(1.2)
    values = [float(f.value.reshape(-1)[0]) for f in ledger.factors]
    np.testing.assert_allclose(values, [2 * a, 1 / np.cosh(1.2) ** 2, 1.0], rtol=1e-14)
    assert ledger.factors[0].formula.endswith("2(a − y)")
    # example (x = 0, y = 1) contributes nothing to ∂C/∂w because ∂z/∂w = x = 0
    assert ledger.per_example[0] == 0.0
    assert ledger.value == pytest.approx(a / np.cosh(1.2) ** 2, rel=1e-14)
    # one neuron: a single layer row in the gradient-size table
    assert [g.layer for g in ledger.layers] == [1]
    assert ledger.layers[0].sigma_prime == pytest.approx(
        0.5 * (1 / np.cosh(-0.1) ** 2 + 1 / np.cosh(1.2) ** 2))


def test_layer_gradients_show_vanishing_through_saturated_layers(rng):
    # Large weights saturate every tanh, so each σ' factor is small and the
    # gradient norm shrinks layer by layer on its way down.
    net = Network([3, 8, 8, 8, 8, 1], "tanh", random_state=0)
    net.params[...] = rng.normal(scale=4.0, size=net.n_params)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    ledger = explain(net, X, Y, "W1[0,0]")
    assert [g.layer for g in ledger.layers] == [5, 4, 3, 2, 1]
    products = [g.sigma_prime_product for g in ledger.layers]
    assert np.all(np.diff(products) < 0)  # σ' ≤ 1 for tanh: the product only falls
    np.testing.assert_allclose(products, np.cumprod([g.sigma_prime for g in ledger.layers]))
    assert ledger.layers[-1].sigma_prime < 0.5
    assert products[-1] < 1e-2


def test_layer_norms_are_the_running_products(rng):
    net, X, Y = make_problem([3, 4, 5, 2], "tanh", None, "squared_error", rng, n=1)
    ledger = explain(net, X, Y, "b1[2]")
    chain = net.chain_rule(X[0], Y[0], "b1[2]")
    norms = [np.linalg.norm(v) for v in chain.running_products()]
    np.testing.assert_allclose([g.dC_da_norm for g in ledger.layers], norms, rtol=1e-14)


def test_to_latex_has_the_chain_and_the_numbers(rng):
    net, X, Y = make_problem([3, 4, 2], "tanh", None, "squared_error", rng, n=1)
    ledger = explain(net, X[0], Y[0], "W1[0,2]")
    tex = ledger.to_latex()
    assert tex.startswith("\\begin{aligned}") and tex.endswith("\\end{aligned}")
    assert r"\frac{\partial C_k}{\partial W^{(1)}_{0,2}}" in tex
    assert r"\frac{\partial \mathbf{a}^{(2)}}{\partial \mathbf{a}^{(1)}}" in tex
    assert tex.count(r"\begin{pmatrix}") == 4
    assert f"{ledger.product:.4g}" in tex
    first = ledger.factors[0].value[0]
    assert f"{first:.4g}" in tex
    assert f"{ledger.factors[1].value[1, 3]:.4g}" in tex


def test_to_latex_scalar_notation_and_data_set_line():
    net, X, Y = not_toy()
    tex = explain(net, X, Y, "b1[0]").to_latex(digits=3)
    assert r"\frac{\partial C_k}{\partial b^{(1)}}" in tex
    assert r"\frac{\partial a^{(1)}}{\partial z^{(1)}}" in tex
    assert r"\sum_{k}" in tex and "(N = 2)" in tex
    assert "pmatrix" not in tex  # one neuron: plain numbers, as in the exercise
    assert f"{2 * (np.tanh(-0.1) - 1):.3g}" in tex


def test_to_latex_elides_large_matrices(rng):
    net, X, Y = make_problem([2, 9, 9, 1], "tanh", None, "squared_error", rng, n=1)
    tex = explain(net, X[0], Y[0], "W1[8,1]").to_latex()
    assert r"\cdots" in tex and r"\vdots" in tex and r"\ddots" in tex


def test_latex_numbers():
    assert latex_number(1.5e-7, 3) == r"1.5 \times 10^{-7}"
    assert latex_number(-0.0, 3) == "0"
    assert latex_number(-0.123456, 3) == "-0.123"


def test_render_never_shows_a_negative_zero():
    import re

    # W(2) holds tiny negative weights: the factor σ'(z(2)) W(2) printed them as
    # "-0." (three decimals); a zero input makes ∂z(1)/∂W(1)[0,0] = a(0)[0] a −0.0 too.
    net = Network([2, 3, 1], "tanh", "identity", cost="squared_error", random_state=0)
    net.W[1][...] = [[-1e-5, 0.5, -4e-4]]
    net.b[1][...] = -0.0
    ledger = explain(net, [[-0.0, 1.0]], [[0.5]], "W1[0,0]")
    console = Console(record=True, width=160)
    render_ledger(ledger, console)
    text = console.export_text()
    assert "∂a(2)/∂a(1)" in text
    assert not re.search(r"-0(\.0*)?(?![0-9.])", text), text  # no -0, -0., -0.000


def test_render_shows_the_formulas(rng):
    net, X, Y = make_problem([3, 4, 2], "tanh", None, "squared_error", rng, n=4)
    ledger = explain(net, X, Y, "W1[0,2]")
    console = Console(record=True, width=120)
    render_ledger(ledger, console)
    text = console.export_text()
    for formula in ["2(a − y)", "σ'(z(2)) W(2)", "1/cosh²(z) = 1 − a²", "a(0)[2] in row 0"]:
        assert formula in text
    for symbol in ["∂C/∂a(2)", "∂a(2)/∂a(1)", "∂a(1)/∂z(1)", "∂z(1)/∂W(1)[0,2]"]:
        assert symbol in text
    assert "back-propagation" in text and "finite difference" in text
    assert f"{ledger.product:.10g}" in text and f"{ledger.value:.10g}" in text
    assert "‖∂C_k/∂a(j)‖" in text


def test_to_table_is_a_rich_table_with_a_row_per_factor_and_check(rng):
    from rich.table import Table

    net, X, Y = make_problem([3, 4, 2], "tanh", None, "squared_error", rng, n=3)
    table = ledger_table(explain(net, X, Y, "W2[1,3]"))
    assert isinstance(table, Table)
    assert table.row_count == 3 + 6  # three factors, then three checks for k and for C


def test_to_dict_is_json_serialisable(rng):
    net, X, Y = make_problem([2, 3, 2], "logistic", None, "binary_cross_entropy", rng, n=3)
    ledger = explain(net, X, Y, "W1[1,0]")
    d = json.loads(json.dumps(ledger.to_dict()))
    assert d["param"] == "W1[1,0]" and d["n_examples"] == 3
    assert [f["symbol"] for f in d["factors"]] == [f.symbol for f in ledger.factors]
    assert d["factors"][0]["shown_as"] == "1×2" and d["factors"][-1]["shown_as"] == "3×1"
    np.testing.assert_array_equal(d["factors"][1]["value"], ledger.factors[1].value)
    assert d["mean_product"] == ledger.value and d["batch_backprop"] == ledger.backprop
    assert len(d["per_example"]) == 3 and len(d["layers"]) == 2


def test_bad_arguments():
    net, X, Y = not_toy()
    with pytest.raises(ConfigError, match="example"):
        explain(net, X, Y, "W1[0,0]", example=2)
    with pytest.raises(ConfigError, match="param"):
        explain(net, X, Y, "W2[0,0]")
    with pytest.raises(ShapeError):
        explain(net, X, Y[:1], "W1[0,0]")


@pytest.mark.parametrize(("sizes", "act", "out", "cost"), ARCHITECTURES)
def test_every_example_matches_its_own_chain(rng, sizes, act, out, cost):
    # the ledger works on the whole batch at once; Network.chain_rule, one example
    # at a time, is the reference for every row
    net, X, Y = make_problem(sizes, act, out, cost, rng, n=5)
    name = some_params(net, rng, n=1)[0]
    ledger = explain(net, X, Y, name)
    chains = [net.chain_rule(X[k], Y[k], name) for k in range(5)]
    np.testing.assert_allclose(ledger.per_example, [c.value for c in chains], rtol=1e-12,
                               atol=1e-15)
    norms = [[np.linalg.norm(v) for v in c.running_products()] for c in chains]
    np.testing.assert_allclose([g.dC_da_norm for g in ledger.layers], np.mean(norms, axis=0),
                               rtol=1e-12)
    L = net.n_layers
    sigma = [[np.mean(np.abs(np.diag(net.activations[j - 1].jacobian(c.z[j - 1]))))
              for j in range(L, ledger.param.layer - 1, -1)] for c in chains]
    np.testing.assert_allclose([g.sigma_prime for g in ledger.layers], np.mean(sigma, axis=0),
                               rtol=1e-12)


def test_a_saturated_output_keeps_the_ledger_over_a_data_set_exact_and_quiet():
    # a logistic output at z = 40 rounds a to 1: ∂C/∂a from the rounded a is 0/0; the
    # ledger continues from ∂C_k/∂z as back-propagation has it (pytest: warnings are errors)
    net = Network([1, 1], "logistic", cost="binary_cross_entropy", weights=[[[40.0]]],
                  biases=[[0.0]])
    X, Y = np.array([[0.01], [1.0]]), np.array([[1.0], [1.0]])
    ledger = explain(net, X, Y, "W1[0,0]")
    assert np.isfinite(ledger.per_example).all()
    assert ledger.value == pytest.approx(ledger.backprop, rel=1e-12)
    text = json.dumps(ledger.to_dict(), default=float)
    assert "NaN" not in text


def test_the_caption_shows_the_binary_cross_entropy_formula_whole():
    # its [ ... ] would be taken for rich markup and dropped
    net = Network([1, 1], "logistic", cost="binary_cross_entropy", random_state=0)
    console = Console(record=True, width=200)
    console.print(ledger_table(explain(net, [[0.5]], [[1.0]], "b1[0]")))
    assert "C_k = −Σ_i [y_i log a_i + (1 − y_i) log(1 − a_i)]" in console.export_text()


@pytest.mark.parametrize("cost", ["cross_entropy", "binary_cross_entropy"])
def test_a_saturated_shown_example_does_not_spoil_the_mean(cost, rng):
    # weights ×30: the shown example's factors overflow (its product is NaN, documented),
    # but the mean over the data set is back-propagation's, and nothing is warned
    n_out = 3 if cost == "cross_entropy" else 1
    net = Network([2, 6, n_out], "relu", cost=cost, random_state=0)
    net.params[...] *= 30
    X = rng.normal(size=(40, 2))
    Y = np.eye(3)[rng.integers(0, 3, 40)] if n_out == 3 else rng.integers(0, 2, (40, 1))
    for param in ("W2[0,1]", "b1[2]"):
        # show an example whose product of factors is NaN (there are several)
        k = next(k for k in range(40) if np.isnan(net.chain_rule(X[k], Y[k], param).value))
        ledger = explain(net, X, Y, param, example=k)
        assert np.isfinite(ledger.value)
        assert ledger.value == pytest.approx(ledger.backprop, rel=1e-9, abs=1e-12)


def test_the_table_explains_a_product_beyond_the_range():
    # a softmax output underflowed to 0 for the true class: −y/a is infinite
    net = Network([1, 3], "identity", cost="cross_entropy",
                  weights=[[[800.0], [0.0], [-800.0]]], biases=[[0.0, 0.0, 0.0]])
    console = Console(record=True, width=250)
    console.print(ledger_table(explain(net, [[1.0]], [[0.0, 0.0, 1.0]], "b1[2]")))
    text = console.export_text()
    assert "a factor is beyond the floating-point range" in text
    assert "rel. diff nan" not in text


def test_every_factor_value_is_shown_in_the_shape_its_row_names():
    # ∂C/∂a(2) is a row 1×2 and ∂z(2)/∂b(2)[0] a column 2×1: the first was printed
    # flat, "[a b]" beside "1×2", while the last was a column "[[1.] [0.]]" beside "2×1"
    net = Network([2, 3, 2], "tanh", "identity", cost="squared_error", random_state=0)
    console = Console(record=True, width=160)
    console.print(ledger_table(explain(net, [[0.5, -1.0]], [[1.0, 0.0]], "b2[0]")))
    lines = console.export_text().splitlines()

    def cells(symbol):
        k = next(i for i, line in enumerate(lines) if symbol in line)
        return [c.strip() for c in lines[k].split("│")[3:5]], lines[k + 1]

    (shape, value), _ = cells("∂C/∂a(2)")
    assert shape == "1×2" and value.startswith("[[") and value.endswith("]]"), value
    (shape, value), below = cells("∂a(2)/∂z(2)")
    assert shape == "2×2" and value.startswith("[[") and below.split("│")[4].strip().endswith("]]")
    (shape, value), below = cells("∂z(2)/∂b(2)[0]")
    assert shape == "2×1" and value == "[[1.]" and below.split("│")[4].strip() == "[0.]]"
