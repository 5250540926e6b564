"""Network structure, flat parameters, dtypes, validation and the chain-rule factors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from chainrule import ConfigError, DataError, Network, ShapeError, get_cost, parse_param
from chainrule.nn.network import ParamRef


def test_parameters_are_views_into_one_flat_vector():
    net = Network([3, 4, 2], "tanh", random_state=0)
    assert net.n_params == 3 * 4 + 4 + 4 * 2 + 2
    assert net.params.flags.c_contiguous and net.grads.flags.c_contiguous
    for W, b, dW, db in zip(net.W, net.b, net.dW, net.db):
        assert np.shares_memory(W, net.params) and np.shares_memory(b, net.params)
        assert np.shares_memory(dW, net.grads) and np.shares_memory(db, net.grads)
    assert net.W[0].shape == (4, 3) and net.b[0].shape == (4,)  # W(1): (n_1, n_0)
    assert net.W[1].shape == (2, 4) and net.b[1].shape == (2,)
    net.params[:] = np.arange(net.n_params)
    assert net.W[0][1, 2] == 5 and net.b[0][0] == 12 and net.W[1][0, 0] == 16
    assert net.flat_index("W1[1,2]") == 5 and net.flat_index("b1[0]") == 12
    assert net.param_names()[net.flat_index("W2[1,3]")] == "W2[1,3]"


def test_forward_follows_the_exercises_equations(rng):
    net = Network([3, 5, 2], ["relu"], "logistic", random_state=1)
    X = rng.normal(size=(7, 3))
    cache = net.forward(X)
    Z1 = X @ net.W[0].T + net.b[0]
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ net.W[1].T + net.b[1]
    np.testing.assert_allclose(cache.Z[0], Z1, rtol=1e-15)
    np.testing.assert_allclose(cache.A[1], A1, rtol=1e-15)
    np.testing.assert_allclose(cache.A[2], 1 / (1 + np.exp(-Z2)), rtol=1e-14)
    assert cache.A[0] is X or np.shares_memory(cache.A[0], X)


def test_one_example_as_1d_array(rng):
    net = Network([3, 4, 2], "tanh", random_state=0)
    x = rng.normal(size=3)
    out = net.predict(x)
    assert out.shape == (2,)
    np.testing.assert_array_equal(out, net.predict(x[None, :])[0])
    # With one input a 1-D array is a column of examples (the NOT toy's X = [0, 1]).
    toy = Network([1, 1], "tanh", weights=[[[1.3]]], biases=[[-0.1]])
    assert toy.predict(np.array([0.0, 1.0])).shape == (2, 1)


def test_cache_buffers_are_reused_not_regrown(rng):
    net = Network([4, 8, 3], "tanh", random_state=0)
    X = rng.normal(size=(32, 4))
    first = net.forward(X).Z[0]
    second = net.forward(X[:10]).Z[0]
    assert np.shares_memory(first, second)  # smaller batches reuse the same buffer


@pytest.mark.parametrize("act", ["identity", "tanh", "logistic", "relu", "leaky_relu", "softplus"])
@pytest.mark.parametrize("cost", ["squared_error", "binary_cross_entropy", "cross_entropy"])
def test_float32_end_to_end(rng, act, cost):
    net = Network([5, 7, 3], act, cost=cost, dtype="float32", random_state=0)
    X = rng.normal(size=(9, 5))  # float64 input is converted once, at the door
    Y = np.eye(3)[rng.integers(0, 3, 9)]
    assert net.params.dtype == np.float32 and net.grads.dtype == np.float32
    cache = net.forward(X)
    assert all(Z.dtype == np.float32 for Z in cache.Z)
    assert all(A.dtype == np.float32 for A in cache.A)
    net.backprop(X, Y)
    assert all(dZ.dtype == np.float32 for dZ in net.forward(X).dZ)  # the same buffers
    assert net.predict(X).dtype == np.float32
    net64 = Network([5, 7, 3], act, cost=cost, random_state=0)
    net64.params[:] = net.params
    net64.backprop(X, Y)
    np.testing.assert_allclose(net.grads, net64.grads, rtol=2e-3, atol=1e-5)


def test_initialisation_is_seeded_and_scaled():
    a = Network([100, 50, 10], "tanh", random_state=7)
    b = Network([100, 50, 10], "tanh", random_state=7)
    c = Network([100, 50, 10], "tanh", random_state=8)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)
    r = np.sqrt(6 / 150)  # Glorot bound for layer 1
    assert np.abs(a.W[0]).max() <= r and np.abs(a.W[0]).max() > 0.9 * r
    he = Network([400, 300], "relu", random_state=0)
    assert he.W[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.all(he.b[0] == 0)


def test_default_output_activation_follows_the_cost():
    assert Network([2, 3, 1], "tanh").activations[-1].name == "tanh"  # as in the exercise
    assert Network([2, 3, 1], "relu", cost="binary_cross_entropy").activations[-1].name == (
        "logistic")
    assert Network([2, 3, 4], "relu", cost="cross_entropy").activations[-1].name == "softmax"
    assert Network([2, 3, 1], "relu", "identity").activations[-1].name == "identity"


@pytest.mark.parametrize("seed", range(30))
def test_chain_rule_factors_multiply_to_backprop_for_every_parameter(seed):
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 4))
    sizes = [int(rng.integers(1, 6)) for _ in range(depth + 1)]
    cost = ["squared_error", "binary_cross_entropy", "cross_entropy"][seed % 3]
    act = ["tanh", "logistic", "softplus", "leaky_relu", "identity"][seed % 5]
    sizes.append(int(rng.integers(2, 4)))
    net = Network(sizes, act, cost=cost, init="glorot", random_state=seed)
    x = rng.normal(size=sizes[0])
    y = np.eye(sizes[-1])[0] if cost == "cross_entropy" else rng.uniform(size=sizes[-1])
    for name in net.param_names():
        chain = net.chain_rule(x, y, name)
        assert chain.value == pytest.approx(chain.backprop, rel=1e-12, abs=1e-15), name
        n_expected = 3 + net.n_layers - parse_param(name).layer
        assert len(chain.factors) == n_expected
        assert chain.factors[0].shape == (sizes[-1],)


def test_chain_rule_factor_shapes_follow_the_seed():
    net = Network([3, 4, 5, 2], "tanh", random_state=0)
    chain = net.chain_rule([0.1, 0.2, 0.3], [0.5, -0.5], "W1[2,1]")
    shapes = [f.shape for f in chain.factors]
    assert shapes == [(2,), (2, 5), (5, 4), (4, 4), (4,)]
    assert [f.symbol for f in chain.factors][:3] == ["∂C/∂a(3)", "∂a(3)/∂a(2)", "∂a(2)/∂a(1)"]
    assert chain.factors[-1].value[2] == pytest.approx(chain.a[0][1])  # ∂z/∂W = a(0)[1]
    assert len(chain.running_products()) == 3


@pytest.mark.parametrize(("spec", "ref"), [
    ("W1[0,2]", ParamRef("W", 1, 0, 2)), ("W(2)[1, 0]", ParamRef("W", 2, 1, 0)),
    ("b2[1]", ParamRef("b", 2, 1)), (" b1 [0] ", ParamRef("b", 1, 0)),
])
def test_parse_param(spec, ref):
    assert parse_param(spec) == ref
    assert parse_param(str(ref)) == ref


@pytest.mark.parametrize("spec", ["W1[0]", "b1[0,1]", "x1[0]", "W[0,1]", "W1[a,b]", ""])
def test_parse_param_rejects(spec):
    with pytest.raises(ConfigError, match="param"):
        parse_param(spec)


@pytest.mark.parametrize(("spec", "fragment"), [
    ("W3[0,0]", "layers are 1 to 2"), ("W1[4,0]", "rows 0 to 3"), ("W1[0,3]", "columns 0 to 2"),
    ("b2[2]", "rows 0 to 1"),
])
def test_flat_index_out_of_range(spec, fragment):
    with pytest.raises(ConfigError, match=fragment):
        Network([3, 4, 2]).flat_index(spec)


BAD_INPUTS = [
    ("X wrong features", lambda n: n.predict(np.ones((2, 4))), ShapeError,
     "X: expected 3 features"),
    ("y wrong width", lambda n: n.backprop(np.ones((2, 3)), np.ones((2, 3))), ShapeError,
     "y: expected 2 columns"),
    ("mismatched rows", lambda n: n.backprop(np.ones((2, 3)), np.ones((3, 2))), ShapeError,
     "y: has 3 examples"),
    ("NaN in X", lambda n: n.predict([[0, np.nan, 0]]), DataError, "X: contains NaN at row 0"),
    ("inf in y", lambda n: n.compute_cost(np.ones((2, 3)), [[0, 0], [0, np.inf]]), DataError,
     "y: contains infinity at row 1, column 1"),
    ("complex X", lambda n: n.predict(np.ones((2, 3), complex)), DataError, "complex"),
    ("string X", lambda n: n.predict([["a", "b", "c"]]), DataError, "numeric"),
    ("object X", lambda n: n.predict(np.array([[1, None, 2]], dtype=object)), DataError, "numeric"),
    ("empty X", lambda n: n.predict(np.empty((0, 3))), DataError, "X: is empty"),
    ("3-D X", lambda n: n.predict(np.ones((2, 3, 1))), ShapeError, "2-D"),
    ("ragged X", lambda n: n.predict([[1, 2, 3], [1, 2]]), DataError, "X: cannot be read"),
    ("1-D of wrong length", lambda n: n.predict(np.ones(4)), ShapeError, "one example of 3"),
    ("unknown activation", lambda n: Network([2, 2], "swish"), ConfigError,
     "activation: unknown name 'swish'"),
    ("unknown cost", lambda n: Network([2, 2], cost="hinge"), ConfigError, "cost: unknown"),
    ("mismatched output", lambda n: Network([2, 2], "tanh", "tanh", "cross_entropy"),
     ConfigError, "needs a softmax output"),
    ("softmax hidden", lambda n: Network([2, 3, 2], "softmax"), ConfigError, "output layer"),
    ("softmax hidden, per layer", lambda n: Network([2, 3, 2], ["softmax", "softmax"]),
     ConfigError, "output layer"),
    ("zero width", lambda n: Network([2, 0, 1]), ConfigError, "at least one neuron"),
    ("one size", lambda n: Network([2]), ConfigError, "layer_sizes"),
    ("float size", lambda n: Network([2, 2.5, 1]), ConfigError, "layer_sizes"),
    ("bad dtype", lambda n: Network([2, 1], dtype="int32"), ConfigError, "dtype"),
    ("bad init", lambda n: Network([2, 1], init="zeros"), ConfigError, "init"),
    ("weights shape", lambda n: Network([2, 1], weights=[np.ones((2, 1))], biases=[[0.0]]),
     ShapeError, r"weights\[0\]: expected shape \(1, 2\)"),
    ("weights count", lambda n: Network([2, 1], weights=[], biases=[]), ConfigError,
     "expected 1 of each"),
    ("only weights", lambda n: Network([2, 1], weights=[np.ones((1, 2))]), ConfigError,
     "give both"),
    ("text weights", lambda n: Network([2, 1], weights=[[["a", "b"]]], biases=[[0.0]]),
     DataError, r"weights\[0\]: expected numbers, got \[\['a', 'b'\]\]"),
    ("NaN bias", lambda n: Network([2, 1], weights=[[[1.0, 2.0]]], biases=[[np.nan]]),
     DataError, r"biases\[0\]: contains NaN"),
    ("no activation", lambda n: Network([2, 2], None), ConfigError,
     "activation: expected a name or a list of names, got None"),
    ("negative seed", lambda n: Network([2, 1], random_state=-1), ConfigError,
     "random_state: expected None, an integer >= 0 or a numpy Generator, got -1"),
    ("fractional seed", lambda n: Network([2, 1], random_state=1.5), ConfigError,
     "random_state: .* got 1.5"),
    ("sizes as a string", lambda n: Network("23"), ConfigError,
     "layer_sizes: expected a sequence of integers"),
    ("X too large for float32",
     lambda n: Network([3, 2], dtype="float32").predict([[0.0, 1e300, 0.0]]), DataError,
     "X: value 1e.300 at row 0, column 1 does not fit float32"),
]


@pytest.mark.parametrize(("case", "call", "exc", "fragment"), BAD_INPUTS,
                         ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_raises_named_error(case, call, exc, fragment):
    net = Network([3, 4, 2], "tanh", random_state=0)
    with pytest.raises(exc, match=fragment) as info:
        call(net)
    assert isinstance(info.value, ValueError)


def test_copy_is_independent():
    net = Network([2, 3, 1], "tanh", random_state=0)
    twin = net.copy()
    np.testing.assert_array_equal(twin.params, net.params)
    twin.params[0] += 1
    assert twin.params[0] != net.params[0]
    assert "Network(layer_sizes=(2, 3, 1)" in repr(net)


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "copy"])
def test_pickle_and_copies_keep_the_views_on_the_flat_vector(rng, how):
    import copy
    import pickle

    net = Network([3, 5, 2], "tanh", cost="squared_error", random_state=0)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    net.backprop(X, Y)  # fills the buffers for 40 examples
    twin = {"pickle": lambda n: pickle.loads(pickle.dumps(n)), "deepcopy": copy.deepcopy,
            "copy": Network.copy}[how](net)
    np.testing.assert_array_equal(twin.predict(X), net.predict(X))
    assert twin.layer_sizes == net.layer_sizes and twin.dtype == net.dtype
    assert all(np.shares_memory(W, twin.params) for W in twin.W)
    assert not np.shares_memory(twin.params, net.params)
    twin.params += 0.1  # training the twin changes its predictions, not the original's
    assert not np.array_equal(twin.predict(X), net.predict(X))
    assert len(pickle.dumps(net)) < 2000  # structure and parameters, no batch buffers


def test_chain_rule_takes_the_first_factor_formula_from_the_cost(rng):
    # A Cost built by the user (get_cost passes it through) names its own ∂C_k/∂a.
    se = get_cost("squared_error")
    mine = dataclasses.replace(se, name="my_squared_error", dC_dA_formula="2(a − y), mine")
    net = Network([2, 3, 2], "tanh", cost=mine, random_state=0)
    x, y = rng.normal(size=2), rng.normal(size=2)
    chain = net.chain_rule(x, y, "W1[0,1]")
    assert chain.factors[0].formula == "my_squared_error: 2(a − y), mine"
    assert chain.value == pytest.approx(chain.backprop, rel=1e-12)
    assert Network([2, 2]).chain_rule(x, y, "b1[0]").factors[0].formula == (
        "squared_error: 2(a − y)")


def test_chain_rule_stays_exact_and_quiet_in_saturation():
    # a logistic output at z = 150 rounds a to 1: from a, ∂C/∂a = (a − y)/(a(1 − a)) is 0/0
    # or ∞ and σ' = a(1 − a) is 0; from z both are exact and their product is a − y
    for y, expected in ((1.0, -7.175095973164411e-66), (0.0, 1.0)):
        net = Network([1, 1], "logistic", cost="binary_cross_entropy", weights=[[[150.0]]],
                      biases=[[0.0]])
        cr = net.chain_rule([1.0], [y], "b1[0]")
        assert cr.value == pytest.approx(expected, rel=1e-12)
        assert cr.value == pytest.approx(cr.backprop, abs=1e-15)
        assert all(np.isfinite(f.value).all() for f in cr.factors)
    # tanh units at z = 30 and −25: 1 − a² is 0, 1/cosh² z is 3.5e-26 and 7.7e-22
    net = Network([1, 2, 1], "tanh", weights=[[[30.0], [-25.0]], [[1.0, 2.0]]],
                  biases=[[0.0, 0.0], [0.0]])
    J = net.chain_rule([1.0], [0.3], "W1[0,0]").factors[-2].value
    np.testing.assert_allclose(np.diag(J), [4 * np.exp(-60.0), 4 * np.exp(-50.0)], rtol=1e-12)
    # a softmax output rounded to 0 for the true class: an infinite factor, a NaN product,
    # and no warning (pytest turns warnings into errors)
    net = Network([1, 3], "identity", cost="cross_entropy", weights=[[[800.0], [0.0], [-800.0]]],
                  biases=[[0.0, 0.0, 0.0]])
    cr = net.chain_rule([1.0], [0.0, 0.0, 1.0], "b1[2]")
    assert np.isinf(cr.factors[0].value[2]) and cr.factors[0].value[0] == 0
    assert np.isnan(cr.value) and cr.backprop == pytest.approx(-1.0)


@pytest.mark.parametrize("sizes", [(6, 5, 3), (6, 3)])  # a hidden layer first, or the output
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_inputs_give_the_dense_forward_and_backward(rng, sizes, dtype):
    import scipy.sparse as sp

    net = Network(sizes, "tanh", cost="cross_entropy", dtype=dtype, random_state=0)
    X = rng.normal(size=(9, 6)) * (rng.uniform(size=(9, 6)) < 0.3)  # mostly zeros
    X = X.astype(dtype)
    Y = np.eye(3)[rng.integers(0, 3, 9)].astype(dtype)
    dense_out = net.forward(X, check=False).A[-1].copy()
    dense_grads = net.backward(Y).copy()
    for Xs in (sp.csr_matrix(X), sp.csr_array(X)):
        c = net.forward(Xs, check=False)
        assert c.A[0] is Xs  # the rows are used as they are, never densified
        np.testing.assert_allclose(c.A[-1], dense_out, rtol=10 * np.finfo(dtype).eps)
        g = net.backward(Y)
        assert g.dtype == dtype
        np.testing.assert_allclose(g, dense_grads, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   atol=1e-6 if dtype == np.float32 else 1e-15)


def test_layer_math_takes_sparse_rows_in_its_new_array_form(rng):
    import scipy.sparse as sp

    from chainrule.nn import layers

    X = rng.normal(size=(5, 4)) * (rng.uniform(size=(5, 4)) < 0.5)
    W, b, dZ = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=(5, 3))
    np.testing.assert_allclose(layers.sparse_weighted_sum(sp.csr_matrix(X), W, b),
                               X @ W.T + b, rtol=1e-14)
    np.testing.assert_array_equal(layers.sparse_weighted_sum(X, W, b), layers.weighted_sum(X, W, b))
    dW, db, dA = layers.sparse_backward(dZ, sp.csr_matrix(X))
    np.testing.assert_allclose(dW, dZ.T @ X, rtol=1e-13)
    np.testing.assert_allclose(db, dZ.sum(axis=0), rtol=1e-14)
    assert dA is None


def test_weighted_backward_is_the_gradient_of_the_weighted_mean_cost(rng):
    net = Network([4, 6, 2], "tanh", "identity", "half_squared_error", random_state=0)
    X, Y = rng.normal(size=(7, 4)), rng.normal(size=(7, 2))
    s = np.array([0.0, 1.0, 2.5, 1.0, 0.5, 3.0, 1.0])
    net.forward(X)
    g = net.backward(Y, sample_weight=s).copy()
    # integer weights are repeated rows; 0 drops a row, and only the weights' ratios count
    rows = np.repeat(np.arange(7), [0, 2, 5, 2, 1, 6, 2])
    net.backprop(X[rows], Y[rows])
    np.testing.assert_allclose(g, net.grads, rtol=1e-12, atol=1e-15)
    unweighted = net.cost_and_gradient(X, Y)[1].copy()
    net.forward(X)
    np.testing.assert_allclose(net.backward(Y, sample_weight=np.ones(7)), unweighted,
                               rtol=1e-14)
    # and it is the gradient of Σ s_k C_k / Σ s_k, by central differences
    from chainrule import check_gradient

    def weighted_cost(theta):
        net.params[:] = theta
        return float(s @ net.cost_per_example(X, Y) / s.sum())

    def weighted_grad(theta):
        net.params[:] = theta
        net.forward(X)
        return net.backward(Y, sample_weight=s).copy()

    assert check_gradient(weighted_cost, weighted_grad, net.params.copy()).passed
