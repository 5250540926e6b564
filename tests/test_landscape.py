"""Tests of chainrule.nn.landscape: the batched grid equals one forward pass per point."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.nn.landscape as landscape
from chainrule import ConfigError, DivergenceError, Network
from chainrule.nn.landscape import cost_surface, descent_path, gradient_field, not_toy

# (layer sizes, activation, cost, parameter pairs): pairs in one layer, in one
# neuron (weight and bias of the same row, two weights of the same row), in
# adjacent layers, two layers apart, and with the higher layer on the x axis.
CASES = [
    ([1, 1], "tanh", "squared_error", [("W1[0,0]", "b1[0]")]),
    ([3, 2], "logistic", "binary_cross_entropy",
     [("W1[1,0]", "W1[1,2]"), ("W1[0,1]", "b1[1]"), ("b1[0]", "b1[1]")]),
    ([2, 4, 3], "tanh", "cross_entropy",
     [("W1[0,0]", "b1[0]"), ("W1[2,1]", "W2[1,2]"), ("W2[0,2]", "b1[2]"), ("W2[1,3]", "b2[1]"),
      ("W2[0,0]", "W2[2,0]")]),
    ([3, 4, 5, 2], "tanh", "squared_error",
     [("W1[0,0]", "W3[1,3]"), ("b1[2]", "W2[4,2]"), ("W2[1,1]", "b3[0]"), ("W3[0,1]", "b2[1]"),
      ("W2[3,0]", "W2[3,1]"), ("W1[1,2]", "W2[0,1]")]),
    ([2, 3, 3, 3, 1], "softplus", "squared_error",
     [("W1[0,1]", "b4[0]"), ("W2[2,2]", "W3[0,2]")]),
]
PAIRS = [(sizes, act, cost, px, py) for sizes, act, cost, pairs in CASES for px, py in pairs]


def make_problem(sizes, activation, cost, rng, n=7):
    net = Network(sizes, activation, cost=cost, random_state=int(rng.integers(1000)))
    X = rng.normal(size=(n, sizes[0]))
    if cost == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    elif cost == "binary_cross_entropy":
        Y = rng.integers(0, 2, size=(n, sizes[-1])).astype(float)
    else:
        Y = rng.normal(size=(n, sizes[-1]))
    return net, X, Y


def with_params(net, values):
    """An independent copy of the network with some flat parameters set directly."""
    other = net.copy()
    for name, v in values.items():
        other.params[other.flat_index(name)] = v
    return other


def grid_values(rng, n, center):
    # uneven, increasing, around the current value
    return np.sort(center + rng.uniform(-2.5, 2.5, size=n))


@pytest.mark.parametrize(("sizes", "act", "cost", "px", "py"), PAIRS)
def test_cost_surface_equals_the_cost_with_parameters_set_directly(rng, sizes, act, cost, px, py):
    net, X, Y = make_problem(sizes, act, cost, rng)
    before = net.params.copy()
    xs = grid_values(rng, 5, net.params[net.flat_index(px)])
    ys = grid_values(rng, 4, net.params[net.flat_index(py)])
    L = cost_surface(net, X, Y, px, py, xs, ys)
    assert L.C.shape == (4, 5)
    expected = np.array([[with_params(net, {px: x, py: y}).compute_cost(X, Y) for x in xs]
                         for y in ys])
    np.testing.assert_allclose(L.C, expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(net.params, before)
    assert (L.param_x, L.param_y) == (px, py)
    assert (L.x0, L.y0) == (before[net.flat_index(px)], before[net.flat_index(py)])


@pytest.mark.parametrize(("sizes", "act", "cost", "px", "py"), PAIRS)
def test_gradient_field_equals_backprop(rng, sizes, act, cost, px, py):
    net, X, Y = make_problem(sizes, act, cost, rng)
    before = net.params.copy()
    xs = grid_values(rng, 3, net.params[net.flat_index(px)])
    ys = grid_values(rng, 4, net.params[net.flat_index(py)])
    F = gradient_field(net, X, Y, px, py, xs, ys)
    assert F.dC_dx.shape == F.dC_dy.shape == (4, 3)
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            other = with_params(net, {px: x, py: y})
            other.backprop(X, Y)
            expected = other.grads[[other.flat_index(px), other.flat_index(py)]]
            got = np.array([F.dC_dx[j, i], F.dC_dy[j, i]])
            np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(net.params, before)


# 2000: blocks of a few points, several per grid row with a short last one;
# 30000: blocks of several whole rows (the 11 examples cost 275 and 572 numbers a
# point), the last block shorter
@pytest.mark.parametrize("chunk", [2000, 30000])
def test_small_chunks_give_the_same_surface(rng, monkeypatch, chunk):
    net, X, Y = make_problem([3, 4, 5, 2], "tanh", "squared_error", rng, n=11)
    xs, ys = np.linspace(-1, 1, 23), np.linspace(-2, 2, 7)
    whole = cost_surface(net, X, Y, "W1[0,2]", "W3[1,4]", xs, ys)
    grads = gradient_field(net, X, Y, "W1[0,2]", "W3[1,4]", xs, ys)
    monkeypatch.setattr(landscape, "CHUNK_ELEMENTS", chunk)
    chunked = cost_surface(net, X, Y, "W1[0,2]", "W3[1,4]", xs, ys)
    np.testing.assert_allclose(chunked.C, whole.C, rtol=1e-13)
    chunked_grads = gradient_field(net, X, Y, "W1[0,2]", "W3[1,4]", xs, ys)
    np.testing.assert_allclose(chunked_grads.dC_dx, grads.dC_dx, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(chunked_grads.dC_dy, grads.dC_dy, rtol=1e-12, atol=1e-15)


def test_not_toy_is_the_exercises_network():
    net, X, Y = not_toy()
    np.testing.assert_allclose(net.predict(X)[:, 0], [np.tanh(-0.1), np.tanh(1.2)])
    # the exercise: C_0 = (−0.100 − 1)² ≈ 1.2 and C_1 = 0.834² ≈ 0.696
    np.testing.assert_allclose(net.cost_per_example(X, Y), [1.2099, 0.6959], atol=1e-3)


def test_not_toy_valley_lies_along_b_equals_minus_w():
    # For the exercise's two examples (x = 0, y = 1) and (x = 1, y = 0) with tanh:
    #     C(w, b) = ½[(tanh(b) − 1)² + tanh²(w + b)].
    # The first term depends on b only and the second is ≥ 0 with equality exactly
    # when w + b = 0, so in every row of fixed b the lowest cost is at w = −b.
    # Along that line C = ½(tanh(b) − 1)², which falls towards 0 as b grows: the
    # minimum is approached asymptotically along b = −w for b > 0, as the exercise says.
    net, X, Y = not_toy()
    xs = np.linspace(-4, 4, 161)  # step 0.05
    ys = np.linspace(-4, 4, 121)  # another step: the line w = −b mostly misses grid points
    L = cost_surface(net, X, Y, "W1[0,0]", "b1[0]", xs, ys)
    positive = ys > 0
    w_best = xs[np.argmin(L.C[positive], axis=1)]
    assert np.all(np.abs(w_best + ys[positive]) <= (xs[1] - xs[0]) / 2 + 1e-12)
    # on a grid where −b is a grid value the row minimum sits exactly on the line, and
    # it falls as b grows (the valley floor ½(tanh(b) − 1)² decreases towards 0)
    aligned = cost_surface(net, X, Y, "W1[0,0]", "b1[0]", xs, xs)
    rows = np.flatnonzero(xs > 0)
    best = np.argmin(aligned.C[rows], axis=1)
    np.testing.assert_allclose(xs[best], -xs[rows], atol=1e-12)
    assert np.all(np.diff(aligned.C[rows, best]) < 0)
    w, b, c = L.argmin()
    assert (w, b) == (-4.0, 4.0)
    assert c == pytest.approx(0.5 * (np.tanh(4.0) - 1) ** 2 + 0.5 * np.tanh(0.0) ** 2)
    # the same function written out, everywhere on the grid
    W, B = np.meshgrid(xs, ys)
    np.testing.assert_allclose(L.C, 0.5 * ((np.tanh(B) - 1) ** 2 + np.tanh(W + B) ** 2),
                               rtol=1e-13)
    assert (L.label_x, L.label_y) == ("w(1)", "b(1)")


def test_default_grid_is_centred_on_the_current_values():
    net, X, Y = not_toy()
    L = cost_surface(net, X, Y)
    assert L.xs.size == L.ys.size == 201
    assert L.xs[100] == pytest.approx(1.3) and L.ys[100] == pytest.approx(-0.1)
    assert L.C[100, 100] == pytest.approx(net.compute_cost(X, Y), rel=1e-12)
    F = gradient_field(net, X, Y)
    assert F.dC_dx.shape == (21, 21)


def test_float32_network_gives_float32_surface(rng):
    net, X, Y = make_problem([2, 3, 1], "tanh", "squared_error", rng)
    net32 = Network([2, 3, 1], "tanh", dtype="float32", random_state=0)
    net32.params[...] = net.params
    L = cost_surface(net32, X, Y, "W1[0,0]", "b2[0]", [-1.0, 0.0, 1.0], [0.0, 0.5])
    assert L.C.dtype == np.float32
    expected = cost_surface(net, X, Y, "W1[0,0]", "b2[0]", [-1.0, 0.0, 1.0], [0.0, 0.5]).C
    np.testing.assert_allclose(L.C, expected, rtol=1e-5)


def test_descent_path_goes_downhill_and_restores_the_network():
    net, X, Y = not_toy()
    before = net.params.copy()
    path = descent_path(net, X, Y, "W1[0,0]", "b1[0]", start=(1.3, -0.1), learning_rate=0.1,
                        n_steps=200)
    np.testing.assert_array_equal(net.params, before)
    assert path.points.shape == (201, 2) and path.costs.shape == (201,)
    np.testing.assert_array_equal(path.points[0], [1.3, -0.1])
    assert np.all(np.diff(path.costs) <= 0)
    assert path.costs[-1] < 0.5 * path.costs[0]
    # each cost is the cost at its point, and each step is −η ∂C/∂θ from back-propagation
    for t in (0, 57, 200):
        other = with_params(net, {"W1[0,0]": path.points[t, 0], "b1[0]": path.points[t, 1]})
        assert path.costs[t] == pytest.approx(other.compute_cost(X, Y), rel=1e-14)
    other = with_params(net, {"W1[0,0]": path.points[57, 0], "b1[0]": path.points[57, 1]})
    dW, db = other.backprop(X, Y)
    np.testing.assert_allclose(path.points[58], path.points[57] - 0.1 * np.array(
        [dW[0][0, 0], db[0][0]]), rtol=1e-14)


def test_descent_path_on_a_deeper_network_with_default_start(rng):
    net, X, Y = make_problem([2, 4, 1], "tanh", "squared_error", rng)
    before = net.params.copy()
    path = descent_path(net, X, Y, "W2[0,3]", "b1[1]", learning_rate=0.05, n_steps=30)
    np.testing.assert_array_equal(net.params, before)
    np.testing.assert_array_equal(path.points[0], before[[net.flat_index("W2[0,3]"),
                                                          net.flat_index("b1[1]")]])
    assert np.all(np.diff(path.costs) <= 1e-15)
    assert path.costs[0] == pytest.approx(net.compute_cost(X, Y), rel=1e-14)


def test_descent_path_reports_divergence_and_restores():
    net = Network([1, 1], "identity", weights=[[[0.5]]], biases=[[0.0]])
    X, Y = np.array([[3.0], [-2.0]]), np.array([[1.0], [0.0]])
    with pytest.raises(DivergenceError, match="learning_rate"):
        descent_path(net, X, Y, "W1[0,0]", "b1[0]", learning_rate=10.0, n_steps=5000)
    assert net.params.tolist() == [0.5, 0.0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"param_x": "W1[0,0]", "param_y": "W(1)[0,0]"}, "param_y"),
        ({"param_x": "W3[0,0]"}, "layers are 1 to 1"),
        ({"param_x": "weight"}, "param"),
        ({"x_values": [0.0, 2.0, 1.0]}, "x_values"),
        ({"y_values": [[0.0, 1.0]]}, "y_values"),
        ({"x_values": [0.0, np.nan]}, "x_values"),
    ],
)
def test_bad_options_raise_config_error(kwargs, match):
    net, X, Y = not_toy()
    with pytest.raises(ConfigError, match=match):
        cost_surface(net, X, Y, **kwargs)


def test_descent_path_bad_options():
    net, X, Y = not_toy()
    with pytest.raises(ConfigError, match="learning_rate"):
        descent_path(net, X, Y, learning_rate=0.0)
    with pytest.raises(ConfigError, match="n_steps"):
        descent_path(net, X, Y, n_steps=-1)
    with pytest.raises(ConfigError, match="start"):
        descent_path(net, X, Y, start=(1.0,))
    with pytest.raises(ConfigError, match="param_y"):
        descent_path(net, X, Y, "b1[0]", "b1[0]")
