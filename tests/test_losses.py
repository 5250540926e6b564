"""Costs: the exercise's squared error (no ½), scikit-learn's half of it, fused cross-entropies."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import COSTS, ConfigError, Network, get_activation, get_cost
from chainrule.nn.costs import output_delta


def test_squared_error_has_no_half_and_is_a_mean_over_examples():
    se = get_cost("squared_error")
    A = np.array([[0.5, 1.0], [0.0, 0.0]])
    Y = np.array([[0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(se.per_example(A, A, Y), [1.25, 2.0])
    assert se(A, A, Y) == pytest.approx(1.625)
    np.testing.assert_allclose(se.dC_dA(A, Y), 2 * (A - Y))  # ∂C_k/∂a = 2(a − y)


def test_half_squared_error_is_half_the_exercises_cost_with_delta_a_minus_y():
    half, se = get_cost("half_squared_error"), get_cost("squared_error")
    A = np.array([[0.5, 1.0], [0.0, 0.0]])
    Y = np.array([[0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(half.per_example(A, A, Y), [0.625, 1.0])  # ½ Σ_i (a_i − y_i)²
    assert half(A, A, Y) == pytest.approx(0.8125) == se(A, A, Y) / 2
    np.testing.assert_array_equal(half.dC_dA(A, Y), A - Y)  # ∂C_k/∂a = a − y
    Z = np.array([[0.3, -0.4], [1.2, 0.1]])
    tanh = get_activation("tanh")
    dZ = output_delta(half, tanh, Z, tanh(Z), Y, np.empty_like(Z))
    np.testing.assert_allclose(dZ, (tanh(Z) - Y) / np.cosh(Z) ** 2 / 2, rtol=1e-14)  # N = 2
    # float32 stays float32
    A32, Y32 = A.astype(np.float32), Y.astype(np.float32)
    assert half.per_example(A32, A32, Y32).dtype == np.float32


def test_every_cost_states_its_formulas():
    for name, cost in COSTS.items():
        assert cost.name == name and get_cost(name) is cost
        assert cost.formula and cost.dC_dA_formula != "∂C_k/∂a"  # not the placeholder
    assert COSTS["half_squared_error"].formula.startswith("½|a − y|²")
    assert COSTS["half_squared_error"].dC_dA_formula == "a − y"


def test_binary_cross_entropy_from_z_is_stable():
    bce = get_cost("binary_cross_entropy")
    Z = np.array([[-1e4, 0.0, 1e4, 3.0]])
    A = get_activation("logistic")(Z)
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    expected = 0.0 + np.log(2) + 0.0 + (3 + np.log1p(np.exp(-3)))
    assert bce(Z, A, Y) == pytest.approx(expected, rel=1e-14)
    dZ = output_delta(bce, get_activation("logistic"), Z, A, Y, np.empty_like(Z))
    np.testing.assert_allclose(dZ, A - Y)  # N = 1


def test_cross_entropy_from_z_is_stable_and_delta_is_a_minus_y():
    cce = get_cost("cross_entropy")
    Z = np.array([[1000.0, 0.0, -1000.0], [0.1, 0.2, 0.3]])
    A = get_activation("softmax")(Z)
    Y = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    per = cce.per_example(Z, A, Y)
    assert per[0] == pytest.approx(1000.0, rel=1e-15)
    assert per[1] == pytest.approx(-np.sum(Y[1] * np.log(A[1])), rel=1e-14)
    dZ = output_delta(cce, get_activation("softmax"), Z, A, Y, np.empty_like(Z))
    np.testing.assert_allclose(dZ, (A - Y) / 2, rtol=1e-14, atol=1e-300)


def test_poisson_is_half_the_deviance_with_an_exp_output_and_delta_a_minus_y():
    poisson = get_cost("poisson")
    Z = np.array([[0.0, np.log(2.0)], [np.log(3.0), -1.0]])
    A = get_activation("exp")(Z)  # [[1, 2], [3, e^−1]]
    Y = np.array([[1.0, 0.0], [1.0, 2.0]])
    # C_k = Σ_i [y log(y/a) − y + a], 0 log 0 = 0
    expected = [0 + 2.0, (np.log(1 / 3) - 1 + 3) + (2 * np.log(2 / np.exp(-1)) - 2 + np.exp(-1))]
    np.testing.assert_allclose(poisson.per_example(Z, A, Y), expected, rtol=1e-14)
    assert poisson(Z, A, Y) == pytest.approx(np.mean(expected), rel=1e-14)
    np.testing.assert_allclose(poisson.dC_dA(A, Y), 1 - Y / A, rtol=1e-15)  # ∂C_k/∂a = 1 − y/a
    np.testing.assert_allclose(poisson.dC_dA_from_z(Z, A, Y), 1 - Y / A, rtol=1e-14)
    dZ = output_delta(poisson, get_activation("exp"), Z, A, Y, np.empty_like(Z))
    np.testing.assert_allclose(dZ, (A - Y) / 2, rtol=1e-15)  # ∂C_k/∂z = a − y, N = 2
    # zero where a = y, however large; the network takes exp as its output by default
    assert poisson.per_example(np.log([[5e7]]), np.array([[5e7]]), np.array([[5e7]]))[0] == 0
    assert Network([2, 3, 1], "tanh", cost="poisson").activations[-1].name == "exp"
    with pytest.raises(ConfigError, match="needs an exp output layer, got 'identity'"):
        Network([2, 1], "relu", "identity", "poisson")


def test_squared_error_delta_applies_sigma_prime():
    Z = np.array([[0.3, -0.4]])
    tanh = get_activation("tanh")
    A = tanh(Z)
    Y = np.array([[1.0, 0.0]])
    dZ = output_delta(get_cost("squared_error"), tanh, Z, A, Y, np.empty_like(Z))
    np.testing.assert_allclose(dZ, 2 * (A - Y) / np.cosh(Z) ** 2, rtol=1e-14)


def test_registry_aliases_and_pairing():
    assert get_cost("mse") is COSTS["squared_error"]
    assert get_cost("log_loss") is COSTS["cross_entropy"]
    with pytest.raises(ConfigError, match="expected one of"):
        get_cost("hinge")
    with pytest.raises(ConfigError, match="needs a logistic output"):
        Network([2, 1], "relu", "relu", "binary_cross_entropy")


def test_model_files_store_the_half_squared_error_by_name(tmp_path):
    from chainrule.io import read_model_file, save_model

    net = Network([2, 3, 1], "tanh", "identity", "half_squared_error", random_state=0)
    save_model(tmp_path / "m.safetensors", net)
    back, _ = read_model_file(tmp_path / "m.safetensors")
    assert back.cost is COSTS["half_squared_error"]
    np.testing.assert_array_equal(back.params, net.params)
