"""The gradient check catches exactly the exercise's wrong options, and passes the right ones."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from chainrule import Network, check_gradient, check_network_gradient
from chainrule.errors import ConfigError

# The NOT training set of the exercise: (x = 0, y = 1) and (x = 1, y = 0).
X_NOT = np.array([0.0, 1.0])
Y_NOT = np.array([1.0, 0.0])


def costs(X, Y):
    """The cost C = mean_k (tanh(w x_k + b) − y_k)² of examples X, Y, and a learner's ∂C/∂w
    and ∂C/∂b built from four chain-rule factors, as in question 4."""

    def cost(theta):
        w, b = theta
        return float(np.mean((np.tanh(w * X + b) - Y) ** 2))

    def gradient(dCda, dadz, dzdw, dzdb):
        def grad(theta):
            w, b = theta
            z = w * X + b
            a = np.tanh(z)
            common = dCda(a, Y) * dadz(z)
            return np.array([np.mean(common * dzdw(X, a)), np.mean(common * dzdb(X, a))])
        return grad

    return cost, gradient


cost, user_gradient = costs(X_NOT, Y_NOT)


RIGHT = dict(
    dCda=lambda a, y: 2 * (a - y),
    dadz=lambda z: 1 / np.cosh(z) ** 2,
    dzdw=lambda x, a: x,
    dzdb=lambda x, a: np.ones_like(x),
)

WRONG_OPTIONS = {
    "dC/da = 2(a - y)^2": dict(RIGHT, dCda=lambda a, y: 2 * (a - y) ** 2),
    "da/dz = sigma(z)": dict(RIGHT, dadz=np.tanh),
    "dz/db = a": dict(RIGHT, dzdb=lambda x, a: a),
    "dz/dw = 1": dict(RIGHT, dzdw=lambda x, a: np.ones_like(x)),
}


@pytest.mark.parametrize("theta", [(1.3, -0.1), (2.3, -1.2), (-0.7, 0.4)])
def test_right_derivatives_pass(theta):
    result = check_gradient(cost, user_gradient(**RIGHT), np.array(theta))
    assert result.passed, result.summary()
    assert result.max_rel_error < 1e-8


@pytest.mark.parametrize("name", list(WRONG_OPTIONS))
@pytest.mark.parametrize("theta", [(1.3, -0.1), (2.3, -1.2)])
def test_the_exercises_wrong_options_are_flagged(name, theta):
    result = check_gradient(cost, user_gradient(**WRONG_OPTIONS[name]), np.array(theta))
    assert not result.passed, name
    assert result.failures.size >= 1
    assert "FAILED" in result.summary()


def one_example(x, y):
    """The cost C_k of one example, and the learner's gradient of it."""
    return costs(np.array([x]), np.array([y]))


def test_the_wrong_dz_db_is_caught_where_the_gradient_is_tiny():
    # The point: the right and wrong ∂C/∂b differ by 9.4e-5, relative, but by only
    # 3.3e-12 in absolute terms, below the old absolute tolerance of 1e-8.
    cost_k, gradient = one_example(0.0, 1.0)
    theta = np.array([-1.298, 4.984])
    right = gradient(**RIGHT)(theta)
    wrong = gradient(**WRONG_OPTIONS["dz/db = a"])(theta)
    assert right[1] == pytest.approx(-3.515e-8, rel=1e-3)
    assert wrong[1] - right[1] == pytest.approx(3.3e-12, rel=0.05)
    assert abs(wrong[1] - right[1]) / abs(right[1]) == pytest.approx(9.4e-5, rel=0.01)
    assert check_gradient(cost_k, gradient(**RIGHT), theta).passed
    result = check_gradient(cost_k, gradient(**WRONG_OPTIONS["dz/db = a"]), theta)
    assert not result.passed and list(result.failures) == [1]
    assert check_gradient(cost_k, wrong, theta, atol=1e-8).passed  # what the old default did


def resolution(cost_k, theta, right, eps=1e-6):
    """What central differences can resolve at θ, per component: the larger of the rounding
    bound ε (|f(θ + h e_j)| + |f(θ − h e_j)|) / 2h and their actual error there."""
    out = np.empty(theta.size)
    for j in range(theta.size):
        h = eps * max(1.0, abs(theta[j]))
        plus, minus = theta.copy(), theta.copy()
        plus[j] += h
        minus[j] -= h
        f_plus, f_minus = cost_k(plus), cost_k(minus)
        rounding = np.finfo(float).eps * (abs(f_plus) + abs(f_minus)) / (2 * h)
        out[j] = max(rounding, abs((f_plus - f_minus) / (2 * h) - right[j]))
    return out


GRID = [(-1.298, 4.984), *itertools.product(np.linspace(-8, 8, 41), repeat=2)]


@pytest.mark.parametrize(("x", "y"), [(0.0, 1.0), (1.0, 0.0)])
def test_every_wrong_option_is_caught_wherever_it_differs_by_more_than_rounding(x, y):
    # Over (w, b) in [-8, 8]², where tanh saturates (|z| up to 16): the right derivatives
    # always pass, and a wrong one fails wherever it differs from the right one by more
    # than 1e-5 relative plus ten times what the differences resolve there.
    cost_k, gradient = one_example(x, y)
    required = missed_by_old = 0
    for point in GRID:
        theta = np.array(point)
        right = gradient(**RIGHT)(theta)
        assert check_gradient(cost_k, right, theta).passed, point
        floor = 10 * resolution(cost_k, theta, right)
        for name, option in WRONG_OPTIONS.items():
            wrong = gradient(**option)(theta)
            gap = np.abs(wrong - right)
            if np.any(gap > 1e-5 * np.maximum(np.abs(right), np.abs(wrong)) + floor):
                required += 1
                assert not check_gradient(cost_k, wrong, theta).passed, (name, point)
                missed_by_old += check_gradient(cost_k, wrong, theta, atol=1e-8).passed
    assert required > 2 * len(GRID)  # most points tell most options apart
    assert missed_by_old > 0  # the old absolute floor let some through


def hand_backprop(net, X, Y, wrong_jacobian=False):
    """A learner's back-propagation through tanh layers of equal width.

    With ``wrong_jacobian`` it uses the exercise's wrong option ∂a(j)/∂a(j−1) = σ'(z(j)) W(j−1).
    """
    A, Zs = [X], []
    for W, b in zip(net.W, net.b):
        Zs.append(A[-1] @ W.T + b)
        A.append(np.tanh(Zs[-1]))
    grads_W, grads_b = [None] * net.n_layers, [None] * net.n_layers
    dZ = 2 * (A[-1] - Y) / X.shape[0] * (1 - A[-1] ** 2)
    for l in range(net.n_layers - 1, -1, -1):
        grads_W[l], grads_b[l] = dZ.T @ A[l], dZ.sum(axis=0)
        if l > 0:
            W_used = net.W[l - 1] if wrong_jacobian else net.W[l]
            dZ = (dZ @ W_used) * (1 - A[l] ** 2)
    return np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in zip(grads_W, grads_b)])


@pytest.mark.parametrize("wrong", [False, True])
def test_hidden_layer_jacobian_with_wrong_W_is_flagged(rng, wrong):
    net = Network([3, 3, 3, 3], "tanh", random_state=2)
    X, Y = rng.normal(size=(5, 3)), rng.uniform(-0.5, 0.5, size=(5, 3))

    def f(theta):  # theta is net.params, perturbed in place by the check
        net.forward(X, check=False)
        return net.cached_cost(Y)

    result = check_gradient(f, hand_backprop(net, X, Y, wrong), net.params)
    assert result.passed is (not wrong)


def test_network_gradient_check_reports_per_parameter(rng):
    net = Network([2, 4, 1], "tanh", random_state=0)
    X, Y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    before = net.params.copy()
    result = check_network_gradient(net, X, Y)
    assert result.passed
    assert result.indices.size == net.n_params
    assert result.names is not None and result.names[0] == "W1[0,0]"
    np.testing.assert_array_equal(net.params, before)  # perturbations are undone exactly


def test_sampled_check_on_large_network(rng):
    net = Network([50, 40, 10], "relu", cost="cross_entropy", init="glorot", random_state=0)
    X = rng.normal(size=(8, 50))
    Y = np.eye(10)[rng.integers(0, 10, size=8)]
    result = check_network_gradient(net, X, Y, n_samples=30, random_state=1)
    assert result.indices.size == 30
    assert result.passed, result.summary()


def test_strided_theta_is_perturbed_in_place():
    # θ a transposed view: the perturbations must reach the memory that f reads
    M = np.arange(1.0, 13.0).reshape(3, 4)
    theta = M.T

    def f(t):
        return float(np.sum(M**3))

    result = check_gradient(f, lambda t: 3 * t**2, theta)
    assert result.passed, result.summary()
    np.testing.assert_allclose(result.numeric, 3 * theta.ravel() ** 2, rtol=1e-7)
    np.testing.assert_array_equal(M, np.arange(1.0, 13.0).reshape(3, 4))  # restored


def test_bad_arguments():
    with pytest.raises(ConfigError, match="grad"):
        check_gradient(cost, np.zeros(3), np.array([1.0, 2.0]))
    with pytest.raises(ConfigError, match="eps"):
        check_gradient(cost, np.zeros(2), np.array([1.0, 2.0]), eps=0)
    with pytest.raises(ConfigError, match="theta"):
        check_gradient(cost, np.zeros(2), np.array([1, 2]))


@pytest.mark.parametrize("seed", range(24))
def test_float32_networks_are_checked_against_a_float64_twin(seed):
    # differences taken in float32 would be rounding noise (ε₃₂/h ≈ 0.1): the reference is
    # the same network widened to float64, the tolerances float32's
    rng = np.random.default_rng(seed)
    cost = ["squared_error", "cross_entropy", "binary_cross_entropy"][seed % 3]
    sizes = [int(rng.integers(1, 12)) for _ in range(int(rng.integers(2, 5)))]
    sizes[-1] = max(2, sizes[-1]) if cost == "cross_entropy" else sizes[-1]
    hidden = ["tanh", "logistic", "softplus", "identity"][seed % 4]  # smooth: no kinks
    net = Network(sizes, hidden, cost=cost, dtype="float32", random_state=seed)
    X = rng.normal(size=(16, sizes[0]))
    Y = {"squared_error": rng.normal(size=(16, sizes[-1])),
         "cross_entropy": np.eye(sizes[-1])[rng.integers(0, sizes[-1], 16)],
         "binary_cross_entropy": rng.integers(0, 2, (16, sizes[-1])).astype(float)}[cost]
    start = net.params.copy()
    result = check_network_gradient(net, X, Y)
    assert result.passed, result.summary()
    assert result.rtol == 1e-3 and net.params.dtype == np.float32
    np.testing.assert_array_equal(net.params, start)  # the float32 weights were not touched


def test_a_float32_gradient_one_percent_off_fails(rng, monkeypatch):
    net = Network([3, 5, 2], "tanh", dtype="float32", random_state=0)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    assert check_network_gradient(net, X, Y).passed
    backward = net.backward

    def wrong(Y2):
        g = backward(Y2)
        g[4] *= 1.01
        return g

    monkeypatch.setattr(net, "backward", wrong)
    result = check_network_gradient(net, X, Y)
    assert not result.passed and list(result.failures) == [4]
