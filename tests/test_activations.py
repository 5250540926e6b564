"""Activations: values, derivatives, stability for large |z|, and the registry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from chainrule import ACTIVATIONS, ConfigError, get_activation

ELEMENTWISE = [name for name, a in ACTIVATIONS.items() if a.elementwise]

REFERENCE = {
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
    "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2),
    "logistic": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1, 0.01)),
    "softplus": (lambda z: np.log1p(np.exp(z)), lambda z: 1 / (1 + np.exp(-z))),
    "exp": (np.exp, np.exp),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_values_and_derivatives_match_textbook_formulas(name):
    z = np.linspace(-6, 6, 121)[None, :] + 1e-3  # avoid the kink at 0 exactly
    act = get_activation(name)
    sigma, sigma_prime = REFERENCE[name]
    a = act(z)
    np.testing.assert_allclose(a, sigma(z), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(act.derivative(z, a), sigma_prime(z), rtol=1e-10, atol=1e-15)
    dA = np.ones_like(z) * 3.0
    act.backward(dA, z, a)
    np.testing.assert_allclose(dA, 3.0 * sigma_prime(z), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_and_warning_free_for_huge_z(name, dtype):
    z = np.array([[-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4]], dtype=dtype)
    act = get_activation(name)
    a = act(z)  # warnings are errors in this suite: an overflow would fail here
    dA = np.ones_like(z)
    act.backward(dA, z, a)
    assert a.dtype == dtype and dA.dtype == dtype
    if name == "exp":  # e^z itself is beyond the largest float there: ∞, without a warning
        big = z > np.log(np.finfo(dtype).max)
        assert np.all(np.isinf(a[big])) and np.all(np.isinf(dA[big]))
        assert np.all(np.isfinite(a[~big])) and a[0, 0] == 0 and a[0, 3] == 1
        return
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(dA))
    if name == "logistic":
        assert a[0, 0] == 0 and a[0, -1] == 1 and a[0, 3] == 0.5
    if name == "tanh":
        assert dA[0, 0] == 0 and dA[0, 3] == 1  # σ'(±1e4) = 1/cosh² = 0, σ'(0) = 1


def test_softmax_rows_sum_to_one_and_jacobian_is_diag_minus_outer():
    sm = get_activation("softmax")
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]])
    a = sm(z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(a[1], [0.5, 0.5, 0.0])
    J = sm.jacobian(z[0])
    np.testing.assert_allclose(J, np.diag(a[0]) - np.outer(a[0], a[0]), rtol=1e-15)
    # backward is the Jacobian-vector product, row by row
    dA = np.array([[0.3, -0.2, 0.5]])
    expected = dA[0] @ J
    sm.backward(dA, z[:1], a[:1])
    np.testing.assert_allclose(dA[0], expected, rtol=1e-14)
    with pytest.raises(ConfigError, match="softmax"):
        sm.derivative(z, a)


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 5)),
              elements=st.floats(-30, 30)),
       st.sampled_from(ELEMENTWISE))
def test_backward_equals_derivative_times_upstream(Z, name):
    act = get_activation(name)
    A = act(Z)
    dA = np.full_like(Z, 0.7)
    act.backward(dA, Z, A)
    np.testing.assert_allclose(dA, 0.7 * act.derivative(Z, A), rtol=1e-12, atol=1e-300)


def test_jacobian_is_diagonal_for_elementwise():
    J = get_activation("tanh").jacobian(np.array([0.1, -0.2]))
    np.testing.assert_allclose(J, np.diag(1 / np.cosh([0.1, -0.2]) ** 2), rtol=1e-14)


def test_registry_names_and_aliases():
    assert {"identity", "tanh", "logistic", "relu", "leaky_relu", "softplus", "softmax"} <= set(
        ACTIVATIONS)
    assert get_activation("sigmoid") is ACTIVATIONS["logistic"]
    assert get_activation(ACTIVATIONS["tanh"]) is ACTIVATIONS["tanh"]
    with pytest.raises(ConfigError, match="expected one of"):
        get_activation("gelu")
    with pytest.raises(ConfigError):
        get_activation(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logistic_is_exact_to_rounding_in_both_tails(dtype):
    # relative to σ(z) itself, wherever σ(z) is a normal number: far into the left tail
    # σ(z) ≈ e^z is tiny, and a form such as ½(1 + tanh(z/2)) would round it to 0
    import math

    info = np.finfo(dtype)
    lo = math.log(float(info.tiny)) + 1  # σ(lo) is just above the smallest normal number
    z = np.concatenate([np.linspace(lo, 40, 2001), [-36.5, -20, -1e-6, 0, 1e-6]])
    z = z.astype(dtype)
    exact = np.array([math.exp(v) / (1 + math.exp(v)) if v < 0 else 1 / (1 + math.exp(-v))
                      for v in z.astype(float)])
    a = get_activation("logistic")(z[None, :])[0].astype(float)
    assert np.max(np.abs(a - exact) / exact) <= 4 * float(info.eps)
    # beyond: subnormal or 0, no warning (pytest turns warnings into errors)
    far = get_activation("logistic")(np.array([[-1e4, 2 * lo, -1e30]], dtype))
    assert far.dtype == dtype and np.all(far >= 0) and np.all(far < 2 * float(info.tiny))


def test_exp_is_its_own_derivative_from_z_and_from_a():
    act = get_activation("exp")
    z = np.linspace(-30, 30, 61)
    a = act(z[None, :])[0]
    np.testing.assert_array_equal(act.derivative(z, a), a)
    np.testing.assert_allclose(act.derivative_from_z(z), a, rtol=1e-15)
    np.testing.assert_allclose(np.diag(act.jacobian(z)), a, rtol=1e-15)
    assert act.formula == "e^z"


@pytest.mark.parametrize("name", ["tanh", "logistic"])
def test_derivative_from_z_agrees_and_survives_saturation(name):
    act = get_activation(name)
    z = np.linspace(-6, 6, 101)
    a = act(z[None, :])[0]
    np.testing.assert_allclose(act.derivative_from_z(z), act.derivative(z, a), rtol=1e-13,
                               atol=1e-15)
    np.testing.assert_allclose(np.diag(act.jacobian(z)), act.derivative_from_z(z), rtol=0)
    # deep in saturation the output-based form gives 0; the z-based one the true value
    far = np.array([40.0, -40.0])
    exact = 4 * np.exp(-80.0) if name == "tanh" else np.exp(-40.0)
    assert np.all(act.derivative(far, act(far[None, :])[0]) <= 2.3e-16)
    np.testing.assert_allclose(act.derivative_from_z(far), exact, rtol=1e-12)
