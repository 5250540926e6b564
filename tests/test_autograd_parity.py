"""Back-propagation against an independent automatic-differentiation library (autograd).

The reference network below is written from the definitions alone (σ, C_k, the mean
over examples), so it shares no code with chainrule.
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from chainrule import COSTS, Network, check_network_gradient

REFERENCE_ACTIVATIONS = {
    "identity": lambda z: z,
    "tanh": anp.tanh,
    "logistic": lambda z: 1 / (1 + anp.exp(-z)),
    "relu": lambda z: anp.maximum(z, 0.0),
    "leaky_relu": lambda z: anp.where(z > 0, z, 0.01 * z),
    "softplus": lambda z: anp.logaddexp(0.0, z),
    "exp": anp.exp,
    "softmax": lambda z: anp.exp(z - anp.max(z, axis=1, keepdims=True))
    / anp.sum(anp.exp(z - anp.max(z, axis=1, keepdims=True)), axis=1, keepdims=True),
}

REFERENCE_COSTS = {
    "squared_error": lambda A, Y: anp.mean(anp.sum((A - Y) ** 2, axis=1)),
    "half_squared_error": lambda A, Y: anp.mean(0.5 * anp.sum((A - Y) ** 2, axis=1)),
    "binary_cross_entropy": lambda A, Y: -anp.mean(
        anp.sum(Y * anp.log(A) + (1 - Y) * anp.log(1 - A), axis=1)),
    "cross_entropy": lambda A, Y: -anp.mean(anp.sum(Y * anp.log(A), axis=1)),
    # y log(y/a) − y + a, with y log y (0 log 0 = 0) a constant of the parameters
    "poisson": lambda A, Y: anp.mean(anp.sum(
        np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1.0)), 0.0) - Y * anp.log(A) - Y + A,
        axis=1)),
}

HIDDEN = ["identity", "tanh", "logistic", "relu", "leaky_relu", "softplus"]
COST_OUTPUTS = {
    "squared_error": HIDDEN,
    "half_squared_error": HIDDEN,
    "binary_cross_entropy": ["logistic"],
    "cross_entropy": ["softmax"],
    "poisson": ["exp"],
}
CASES = [(c, o) for c, outs in COST_OUTPUTS.items() for o in outs]
# the central-difference test takes every STEP-th seed: STEP and len(CASES) are coprime, so
# its seeds reach every case
STEP = 8


def reference_cost(params, sizes, acts, cost, X, Y):
    A, k = X, 0
    for n_prev, n, act in zip(sizes[:-1], sizes[1:], acts):
        W = anp.reshape(params[k:k + n * n_prev], (n, n_prev))
        b = params[k + n * n_prev:k + n * n_prev + n]
        k += n * n_prev + n
        A = REFERENCE_ACTIVATIONS[act](anp.dot(A, W.T) + b)
    return REFERENCE_COSTS[cost](A, Y)


def random_problem(seed):
    rng = np.random.default_rng(seed)
    cost, out = CASES[seed % len(CASES)]
    hidden = HIDDEN[(seed // len(CASES)) % len(HIDDEN)]
    n_hidden = int(rng.integers(1, 5))
    sizes = [int(rng.integers(1, 33)) for _ in range(n_hidden + 1)]
    n_out = int(rng.integers(2, 6)) if cost == "cross_entropy" else int(rng.integers(1, 6))
    sizes.append(n_out)
    # Glorot init draws non-zero biases too, so relu kinks (z exactly 0) have probability zero.
    net = Network(sizes, hidden, out, cost, init="glorot", random_state=seed)
    N = int(rng.integers(1, 65))
    X = rng.normal(size=(N, sizes[0]))
    if cost in ("squared_error", "half_squared_error"):
        Y = rng.normal(size=(N, n_out))
    elif cost == "binary_cross_entropy":
        Y = rng.uniform(size=(N, n_out))
    elif cost == "poisson":
        Y = rng.poisson(1.5, size=(N, n_out)).astype(float)  # counts, zeros among them
    else:
        Y = np.eye(n_out)[rng.integers(0, n_out, size=N)]
    return net, X, Y


@pytest.mark.parametrize("seed", range(240))
def test_backprop_matches_autograd(seed):
    net, X, Y = random_problem(seed)
    acts = [a.name for a in net.activations]
    ref_grad = grad(reference_cost)(net.params.copy(), net.layer_sizes, acts, net.cost.name, X, Y)
    ref_cost = reference_cost(net.params.copy(), net.layer_sizes, acts, net.cost.name, X, Y)
    cost, g = net.cost_and_gradient(X, Y)
    assert cost == pytest.approx(float(ref_cost), rel=1e-12)
    scale = np.max(np.abs(ref_grad))
    np.testing.assert_allclose(g, ref_grad, rtol=1e-10, atol=1e-10 * scale)


@pytest.mark.parametrize("seed", range(0, 240, STEP))
def test_backprop_matches_central_differences(seed):
    net, X, Y = random_problem(seed)
    # |analytic − numeric| ≤ 1e-8 + 1e-6 max(|analytic|, |numeric|): the atol covers the
    # rounding error of the difference quotient, about ε |C| / h ≈ 1e-9 for these costs.
    result = check_network_gradient(net, X, Y, n_samples=min(net.n_params, 60), rtol=1e-6,
                                    atol=1e-8)
    assert result.passed, result.summary()


def test_every_activation_and_cost_is_covered():
    import math

    nets = [random_problem(s)[0] for s in range(240)]
    seen = {(net.activations[0].name, net.cost.name) for net in nets}
    assert {a for a, _ in seen} == set(HIDDEN)
    assert {c for _, c in seen} == set(COST_OUTPUTS) == set(COSTS)
    # and the random_state values of the central-difference test reach every cost as well
    assert math.gcd(STEP, len(CASES)) == 1
    assert {random_problem(s)[0].cost.name for s in range(0, 240, STEP)} == set(COSTS)
