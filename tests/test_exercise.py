"""The exercise's numbers, reproduced with the library (they are acceptance tests)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import Network

# The 2×3 network of question 5, exactly as the exercise prints it.
W_Q5 = np.array([[-0.94529712, -0.2667356, -0.91219181],
                   [2.05529992, 1.21797092, 0.22914497]])
b_Q5 = np.array([0.61273249, 1.6422662])


def not_neuron(w: float = 1.3, b: float = -0.1) -> Network:
    return Network([1, 1], "tanh", weights=[[[w]]], biases=[[b]])


def test_q1_not_toy_output_and_cost_for_x1():
    net = not_neuron()
    a1 = float(net.predict([[1.0]])[0, 0])
    assert round(a1, 3) == 0.834
    # The exercise rounds a(1) to 0.834 before squaring: (0.834 − 0)² = 0.696.
    assert round(round(a1, 3) ** 2, 3) == 0.696
    # Unrounded, C₁ = tanh(1.2)² = 0.69498…
    C1 = net.compute_cost([[1.0]], [[0.0]])
    assert C1 == pytest.approx(np.tanh(1.2) ** 2, rel=1e-15)
    assert round(C1, 2) == 0.69


def test_q1_cost_for_x0_is_1_2():
    C0 = not_neuron().compute_cost([[0.0]], [[1.0]])
    assert C0 == pytest.approx((np.tanh(-0.1) - 1) ** 2, rel=1e-15)
    assert round(C0, 1) == 1.2


def test_q2_training_set_cost_is_mean_of_example_costs():
    net = not_neuron()
    X, Y = np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]])
    C = net.compute_cost(X, Y)
    assert C == pytest.approx(0.5 * ((np.tanh(-0.1) - 1) ** 2 + np.tanh(1.2) ** 2), rel=1e-15)
    np.testing.assert_allclose(net.cost_per_example(X, Y),
                               [(np.tanh(-0.1) - 1) ** 2, np.tanh(1.2) ** 2], rtol=1e-15)


@pytest.mark.parametrize(("x", "y"), [(0.0, 1.0), (1.0, 0.0), (0.4, 0.3), (-2.0, 0.5)])
def test_q3_q4_derivatives_match_the_exercises_formulas(x, y):
    w1, b1 = 2.3, -1.2
    net = not_neuron(w1, b1)
    dW, db = net.backprop([[x]], [[y]])
    z = w1 * x + b1
    a = np.tanh(z)
    dCda, dadz = 2 * (a - y), 1 / np.cosh(z) ** 2
    # chainrule takes σ' as 1 − a², whose relative rounding error is about ε/(1 − a²):
    # 1e-16 at z = 0, 6e-12 at z = −5.8 (the last case), hence rel=1e-10.
    assert db[0][0] == pytest.approx(dCda * dadz * 1, rel=1e-10)  # dCdb of question 4
    assert dW[0][0, 0] == pytest.approx(dCda * dadz * x, rel=1e-10, abs=1e-300)  # dCdw


def test_q5_two_by_three_network_cost_is_1_8():
    net = Network([3, 2], "tanh", weights=[W_Q5], biases=[b_Q5])
    x, y = np.array([0.7, 0.6, 0.2]), np.array([0.9, 0.6])
    d = np.tanh(W_Q5 @ x + b_Q5) - y
    Ck = net.compute_cost(x, y)
    assert Ck == pytest.approx(d @ d, rel=1e-15)
    assert round(Ck, 1) == 1.8


def test_q6_hidden_layer_derivative_is_sigma_prime_times_W_j():
    net = Network([3, 4, 2], "tanh", random_state=3)
    x, y = np.array([0.7, 0.6, 0.2]), np.array([0.9, 0.6])
    chain = net.chain_rule(x, y, "W1[2,1]")
    z2 = chain.z[1]
    expected = np.diag(1 / np.cosh(z2) ** 2) @ net.W[1]  # σ'(z(2)) W(2), shape (2, 4)
    np.testing.assert_allclose(chain.factors[1].value, expected, rtol=1e-14)
    assert chain.value == pytest.approx(chain.backprop, rel=1e-12)
