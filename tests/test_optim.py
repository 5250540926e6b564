"""Tests of chainrule.optim: updates checked against hand-computed steps and scikit-learn."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from chainrule.errors import ConfigError, DataError, ModelFileError, ShapeError
from chainrule.optim import (
    SGD,
    Adam,
    ConstantLR,
    GradientDescent,
    InverseScalingLR,
    LRSchedule,
    Optimizer,
    ReduceLROnPlateau,
    get_optimizer,
    get_schedule,
    l2_penalty_grad,
    minimize_lbfgs,
)

# three gradients for hand-worked steps on a 3-parameter vector
THETA0 = np.array([1.0, -2.0, 0.5])
GRADS = [np.array([0.5, -1.0, 2.0]), np.array([0.25, 0.5, -1.0]), np.array([-0.5, 1.0, 0.0])]


def run(opt: Optimizer, theta0: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
    theta = theta0.copy()
    for g in grads:
        opt.step(theta, g)
    return theta


def make_all(lr: float = 0.1) -> list[Optimizer]:
    return [GradientDescent(lr), SGD(lr, momentum=0.9), SGD(lr, momentum=0.5, nesterov=True),
            Adam(lr)]


# ---------------------------------------------------------------------------
# the update rules, by hand


def test_gradient_descent_by_hand():
    opt = GradientDescent(learning_rate=0.1)
    theta = THETA0.copy()
    opt.step(theta, GRADS[0])
    np.testing.assert_allclose(theta, [0.95, -1.9, 0.3], rtol=1e-15)
    opt.step(theta, GRADS[1])
    np.testing.assert_allclose(theta, [0.925, -1.95, 0.4], rtol=1e-15)
    opt.step(theta, GRADS[2])
    np.testing.assert_allclose(theta, [0.975, -2.05, 0.4], rtol=1e-15)
    assert opt.t == 3


def test_momentum_by_hand():
    # μ = 0.5, η = 0.1:  v1 = −0.1 g1,  v2 = 0.5 v1 − 0.1 g2,  θ += v each step
    opt = SGD(learning_rate=0.1, momentum=0.5)
    theta = THETA0.copy()
    opt.step(theta, GRADS[0])
    v1 = np.array([-0.05, 0.1, -0.2])
    np.testing.assert_allclose(theta, THETA0 + v1, rtol=1e-15)
    opt.step(theta, GRADS[1])
    v2 = np.array([-0.025 - 0.025, 0.05 - 0.05, -0.1 + 0.1])
    np.testing.assert_allclose(theta, THETA0 + v1 + v2, rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(opt.state_dict()["velocity"], v2, atol=1e-16)


def test_nesterov_by_hand_and_differs_from_momentum():
    # Nesterov: v = μ v − η g, then θ += μ v − η g
    mu, eta = 0.5, 0.1
    theta, v = THETA0.copy(), np.zeros(3)
    for g in GRADS:
        v = mu * v - eta * g
        theta = theta + mu * v - eta * g
    got = run(SGD(eta, momentum=mu, nesterov=True), THETA0, GRADS)
    np.testing.assert_allclose(got, theta, rtol=1e-14)
    plain = run(SGD(eta, momentum=mu), THETA0, GRADS)
    assert np.abs(got - plain).max() > 1e-2
    # first step by hand: v = −0.1 g, θ += 0.5·(−0.1 g) − 0.1 g = −0.15 g
    one = run(SGD(eta, momentum=mu, nesterov=True), THETA0, GRADS[:1])
    np.testing.assert_allclose(one, THETA0 - 0.15 * GRADS[0], rtol=1e-15)


def test_zero_momentum_is_gradient_descent():
    a = run(SGD(0.1, momentum=0.0), THETA0, GRADS)
    b = run(GradientDescent(0.1), THETA0, GRADS)
    np.testing.assert_allclose(a, b, rtol=1e-15)


def test_adam_by_hand():
    eta, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    theta, m, v = THETA0.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        eta_t = eta * np.sqrt(1 - b2**t) / (1 - b1**t)
        theta = theta - eta_t * m / (np.sqrt(v) + eps)
    opt = Adam(eta, b1, b2, eps)
    got = run(opt, THETA0, GRADS)
    np.testing.assert_allclose(got, theta, rtol=1e-14)
    state = opt.state_dict()
    np.testing.assert_allclose(state["m"], m, rtol=1e-14)
    np.testing.assert_allclose(state["v"], v, rtol=1e-14)
    assert state["t"] == 3


def test_adam_first_step_is_about_lr_per_weight():
    # t = 1: m = 0.1 g, v = 0.001 g², η_1 = η √0.001 / 0.1, so the step is
    # η g / (|g| + ε/√(1 − β₂)): ≈ η sign(g) whatever the gradient's scale
    eta, eps = 0.01, 1e-8
    g = np.array([3.0, -1e-3, 250.0, -0.5])
    theta = np.zeros(4)
    Adam(eta, epsilon=eps).step(theta, g)
    np.testing.assert_allclose(-theta, eta * g / (np.abs(g) + eps / np.sqrt(1 - 0.999)),
                               rtol=1e-12)
    np.testing.assert_allclose(-theta, eta * np.sign(g), rtol=1e-3)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_matches_scikit_learn(rng, nesterov):
    theta = rng.standard_normal(20)
    grads = [rng.standard_normal(20) for _ in range(6)]
    ours = run(SGD(0.05, momentum=0.8, nesterov=nesterov), theta, grads)
    ref = [theta.copy()]
    sk = SGDOptimizer(ref, learning_rate_init=0.05, momentum=0.8, nesterov=nesterov)
    for g in grads:
        sk.update_params(ref, [g])
    np.testing.assert_allclose(ours, ref[0], rtol=1e-13)


def test_adam_matches_scikit_learn(rng):
    theta = rng.standard_normal(20)
    grads = [rng.standard_normal(20) for _ in range(6)]
    ours = run(Adam(0.01, 0.8, 0.99, 1e-6), theta, grads)
    ref = [theta.copy()]
    sk = AdamOptimizer(ref, learning_rate_init=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6)
    for g in grads:
        sk.update_params(ref, [g])
    np.testing.assert_allclose(ours, ref[0], rtol=1e-13)


# ---------------------------------------------------------------------------
# dtypes, shapes, state


@pytest.mark.parametrize("k", range(4))
def test_float32_stays_float32(rng, k):
    theta64 = rng.standard_normal(50)
    grads64 = [rng.standard_normal(50) for _ in range(5)]
    opt32, opt64 = make_all(0.01)[k], make_all(0.01)[k]
    theta32 = theta64.astype(np.float32)
    for g in grads64:
        opt32.step(theta32, g.astype(np.float32))
    assert theta32.dtype == np.float32
    for key, val in opt32.state_dict().items():
        if isinstance(val, np.ndarray):
            assert val.dtype == np.float32, key
    ref = run(opt64, theta64, grads64)
    np.testing.assert_allclose(theta32, ref, rtol=1e-5, atol=1e-5)


@given(n=st.integers(1, 40), dtype=st.sampled_from([np.float32, np.float64]),
       k=st.integers(0, 3), seed=st.integers(0, 2**16))
def test_step_keeps_shape_and_dtype_and_moves_downhill(n, dtype, k, seed):
    r = np.random.default_rng(seed)
    theta = r.standard_normal(n).astype(dtype)
    g = r.standard_normal(n).astype(dtype)
    before = theta.copy()
    opt = make_all(0.01)[k]
    opt.step(theta, g)
    assert theta.dtype == dtype and theta.shape == (n,)
    # the first step, taken in float64 from the same values, is against every gradient
    exact = before.astype(np.float64)
    make_all(0.01)[k].step(exact, g.astype(np.float64))
    step = before - exact
    assert np.all(np.sign(step) == np.sign(g))
    # and each weight moves that way, unless its step is below the weight's precision
    # (float32, seed 1056: g = −1.6e−10 moves θ = 1.88 by 1.6e−12, ~1e−5 of its spacing)
    moved = theta != before
    assert np.all(np.sign(before - theta)[moved] == np.sign(g)[moved])
    assert np.all(np.abs(step[~moved]) <= np.spacing(np.abs(before[~moved])))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", range(4))
def test_state_dict_round_trip_is_bit_identical(rng, k, dtype):
    theta = rng.standard_normal(30).astype(dtype)
    grads = [rng.standard_normal(30).astype(dtype) for _ in range(10)]
    opt = make_all(0.05)[k]
    opt.learning_rate = 0.03  # as a schedule would have left it
    for g in grads[:5]:
        opt.step(theta, g)
    state = opt.state_dict()
    saved = theta.copy()
    for g in grads[5:]:
        opt.step(theta, g)

    resumed = make_all(0.5)[k]  # different η: the state must win
    resumed.load_state_dict(state)
    assert resumed.t == 5 and resumed.learning_rate == 0.03
    for g in grads[5:]:
        resumed.step(saved, g)
    assert saved.dtype == theta.dtype
    assert np.array_equal(saved, theta)
    # the state was copied, not shared
    for key, val in state.items():
        if isinstance(val, np.ndarray):
            assert not np.shares_memory(val, resumed._state[key])


def test_state_dict_before_first_step_and_reset():
    opt = Adam(0.01)
    assert opt.state_dict() == {"learning_rate": 0.01, "initial_learning_rate": 0.01, "t": 0,
                                "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
    theta = THETA0.copy()
    opt.step(theta, GRADS[0])
    opt.learning_rate = 1e-4
    opt.reset()
    assert opt.t == 0 and opt.learning_rate == 0.01 and "m" not in opt.state_dict()
    # after a reset it behaves as a fresh optimiser, even on a new shape
    a = run(opt, np.ones(5), [np.ones(5)])
    b = run(Adam(0.01), np.ones(5), [np.ones(5)])
    assert np.array_equal(a, b)


def test_load_state_dict_refuses_bad_state():
    good = SGD(0.1).state_dict()
    with pytest.raises(ModelFileError, match="momentum"):
        SGD().load_state_dict({k: v for k, v in good.items() if k != "momentum"})
    with pytest.raises(ConfigError, match="momentum"):
        SGD().load_state_dict({**good, "momentum": 1.5})
    with pytest.raises(ModelFileError, match="velocity"):
        SGD().load_state_dict({**good, "velocity": "not an array"})
    bad = Adam().state_dict() | {"m": np.zeros(3), "v": np.zeros(4)}
    with pytest.raises(ModelFileError, match="different shapes"):
        Adam().load_state_dict(bad)


def test_state_from_float64_checkpoint_continues_float32():
    opt = Adam(0.01)
    opt.step(THETA0.copy(), GRADS[0])
    resumed = Adam()
    resumed.load_state_dict(opt.state_dict())
    theta = THETA0.astype(np.float32)
    resumed.step(theta, GRADS[1].astype(np.float32))
    assert theta.dtype == np.float32 and resumed._state["m"].dtype == np.float32


def test_step_checks_shapes_and_arrays():
    opt = SGD()
    with pytest.raises(ShapeError, match="grads"):
        opt.step(np.zeros(3), np.zeros(4))
    opt.step(np.zeros(3), np.ones(3))
    with pytest.raises(ShapeError, match="reset"):
        opt.step(np.zeros(4), np.ones(4))
    with pytest.raises(DataError, match="float"):
        GradientDescent().step(np.zeros(3, dtype=int), np.ones(3))
    frozen = np.zeros(3)
    frozen.flags.writeable = False
    with pytest.raises(DataError, match="writable"):
        GradientDescent().step(frozen, np.ones(3))


@pytest.mark.parametrize("k", range(4))
def test_step_allocates_nothing_large(rng, k):
    n = 1_000_000
    theta = rng.standard_normal(n)
    g = rng.standard_normal(n) * 1e-3
    opt = make_all(1e-3)[k]
    opt.step(theta, g)  # the first step creates the state and the scratch buffer
    tracemalloc.start()
    try:
        for _ in range(100):
            opt.step(theta, g)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < theta.nbytes // 100, peak  # far below one vector (8 MB)
    assert opt.t == 101


# ---------------------------------------------------------------------------
# factories and hyperparameter checks


def test_get_optimizer_names_and_aliases():
    assert type(get_optimizer("gd")) is GradientDescent
    assert type(get_optimizer("gradient_descent", learning_rate=0.5)) is GradientDescent
    opt = get_optimizer("SGD", learning_rate=0.2, momentum=0.5, nesterov=True)
    assert (opt.learning_rate, opt.momentum, opt.nesterov) == (0.2, 0.5, True)
    assert isinstance(get_optimizer("adam", beta_2=0.99), Adam)
    with pytest.raises(ConfigError, match="gd, gradient_descent, sgd, adam") as info:
        get_optimizer("rmsprop")
    assert "'rmsprop'" in str(info.value)
    with pytest.raises(ConfigError, match="optimizer: expected"):
        get_optimizer(None)
    with pytest.raises(ConfigError, match=r"^momentum: not an option"):
        get_optimizer("adam", momentum=0.9)


@pytest.mark.parametrize(("name", "kwargs", "arg"), [
    ("gd", {"learning_rate": 0.0}, "learning_rate"),
    ("gd", {"learning_rate": -1}, "learning_rate"),
    ("sgd", {"learning_rate": float("nan")}, "learning_rate"),
    ("adam", {"learning_rate": float("inf")}, "learning_rate"),
    ("adam", {"learning_rate": "0.1"}, "learning_rate"),
    ("sgd", {"momentum": 1.0}, "momentum"),
    ("sgd", {"momentum": -0.1}, "momentum"),
    ("sgd", {"momentum": float("nan")}, "momentum"),
    ("sgd", {"nesterov": "yes"}, "nesterov"),
    ("adam", {"beta_1": 1.0}, "beta_1"),
    ("adam", {"beta_2": -0.5}, "beta_2"),
    ("adam", {"epsilon": 0.0}, "epsilon"),
    ("adam", {"epsilon": True}, "epsilon"),
])
def test_bad_hyperparameters_name_the_argument(name, kwargs, arg):
    with pytest.raises(ConfigError, match=f"^{arg}: expected"):
        get_optimizer(name, **kwargs)


def test_repr_shows_hyperparameters():
    assert repr(SGD(0.5, 0.25, True)) == "SGD(learning_rate=0.5, momentum=0.25, nesterov=True)"


# ---------------------------------------------------------------------------
# L2 penalty


def test_l2_penalty_grad_skips_biases():
    params = np.array([1.0, -2.0, 3.0, 4.0])
    for mask in (np.array([True, True, False, True]), np.array([1.0, 1.0, 0.0, 1.0])):
        g = np.array([0.5, 0.5, 0.5, 0.5])
        out = l2_penalty_grad(g, params, mask, 0.1, out=np.empty(4))
        assert out is g
        np.testing.assert_allclose(g, [0.6, 0.3, 0.5, 0.9], rtol=1e-15)
    g32 = np.ones(4, np.float32)
    l2_penalty_grad(g32, params.astype(np.float32), np.ones(4, bool), 0.5)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, [1.5, 0.0, 2.5, 3.0])


# ---------------------------------------------------------------------------
# schedules


def test_base_and_constant_schedules_do_nothing():
    opt = SGD(0.3)
    for schedule in (LRSchedule(), ConstantLR(), get_schedule("constant", 0.3)):
        schedule.on_step(opt)
        schedule(1, 0.5, opt)
        assert opt.learning_rate == 0.3 and schedule.state_dict() == {}


def test_inverse_scaling_by_hand():
    opt = SGD(0.8)
    schedule = get_schedule("invscaling", 0.8, power_t=0.5)
    rates = []
    theta = np.zeros(2)
    for _ in range(4):
        rates.append(opt.learning_rate)
        opt.step(theta, np.ones(2))
        schedule.on_step(opt)
    # step k used 0.8 / √k
    np.testing.assert_allclose(rates, [0.8, 0.8 / math.sqrt(2), 0.8 / math.sqrt(3), 0.4])
    assert opt.learning_rate == pytest.approx(0.8 / math.sqrt(5))
    schedule(1, None, opt)  # the epoch-end call agrees with on_step
    assert opt.learning_rate == pytest.approx(0.8 / math.sqrt(5))
    # scikit-learn's invscaling rate after the same count
    sk = SGDOptimizer([np.zeros(1)], learning_rate_init=0.8, lr_schedule="invscaling",
                      power_t=0.5)
    sk.iteration_ends(opt.t)
    assert opt.learning_rate == pytest.approx(sk.learning_rate, rel=1e-15)


def test_plateau_reduces_after_patience():
    opt = Adam(0.1)
    schedule = get_schedule("adaptive", opt.learning_rate, patience=2, tol=0.01, factor=0.5)
    lrs = []
    # 1.0, 0.5 improve; 0.495 is within tol (bad 1); 0.6 (bad 2) -> halve;
    # 0.3 improves; 0.3, 0.3 -> halve again
    for epoch, cost in enumerate([1.0, 0.5, 0.495, 0.6, 0.3, 0.3, 0.3], start=1):
        schedule(epoch, cost, opt)
        lrs.append(opt.learning_rate)
    assert lrs == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
    assert schedule.best == 0.3 and not schedule.exhausted


def test_plateau_min_lr_and_exhausted():
    opt = SGD(1e-3)
    schedule = ReduceLROnPlateau(factor=0.1, patience=1, tol=0.0, min_lr=5e-5)
    schedule(1, 1.0, opt)
    schedule(2, float("nan"), opt)  # NaN is no improvement
    assert opt.learning_rate == pytest.approx(1e-4)
    schedule(3, 1.5, opt)
    assert opt.learning_rate == 5e-5 and not schedule.exhausted
    schedule(4, None, opt)  # no cost this epoch: nothing happens
    schedule(5, 2.0, opt)
    assert opt.learning_rate == 5e-5 and schedule.exhausted


def test_schedule_state_round_trip():
    a = ReduceLROnPlateau(patience=3)
    opt = SGD(0.1)
    for cost in (1.0, 0.9, 0.95):
        a(0, cost, opt)
    b = get_schedule("plateau", 0.1)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    assert (b.best, b.n_bad_epochs, b.patience) == (0.9, 1, 3)
    c = InverseScalingLR(0.5, power_t=0.25)
    d = InverseScalingLR(1.0)
    d.load_state_dict(c.state_dict())
    assert d.rate(15) == c.rate(15) == 0.25


@pytest.mark.parametrize(("name", "kw", "arg"), [
    ("adaptive", {"factor": 1.0}, "factor"),
    ("adaptive", {"patience": 0}, "patience"),
    ("adaptive", {"patience": 2.5}, "patience"),
    ("adaptive", {"tol": -1.0}, "tol"),
    ("adaptive", {"min_lr": float("nan")}, "min_lr"),
    ("invscaling", {"power_t": -0.5}, "power_t"),
    ("invscaling", {"gamma": 0.5}, "gamma"),
])
def test_bad_schedule_options(name, kw, arg):
    with pytest.raises(ConfigError, match=f"^{arg}: "):
        get_schedule(name, 0.1, **kw)
    with pytest.raises(ConfigError, match="constant, invscaling, adaptive, plateau"):
        get_schedule("cosine", 0.1)


# ---------------------------------------------------------------------------
# L-BFGS


def test_lbfgs_quadratic_writes_answer_into_x0(rng):
    n = 8
    M = rng.standard_normal((n, n))
    A = M @ M.T + n * np.eye(n)  # symmetric positive definite
    b = rng.standard_normal(n)
    buffer = np.empty(n)  # returned every call, as Network.grads is

    def fun_and_grad(theta):
        np.subtract(A @ theta, b, out=buffer)  # ∇(½θᵀAθ − bᵀθ) = Aθ − b
        return 0.5 * theta @ A @ theta - b @ theta, buffer

    x0 = np.zeros(n)
    result = minimize_lbfgs(fun_and_grad, x0, tol=1e-10)
    expected = np.linalg.solve(A, b)
    assert result.success, result.message
    assert "CONVERGENCE" in result.message
    # SciPy's relative-reduction test (ftol) may end the run before gtol
    np.testing.assert_allclose(x0, expected, atol=1e-5)
    assert np.abs(A @ x0 - b).max() < 1e-4
    np.testing.assert_array_equal(x0, result.x)


def test_lbfgs_rosenbrock_and_callback():
    def rosen(theta):
        x, y = theta
        f = (1 - x) ** 2 + 100 * (y - x**2) ** 2
        g = np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])
        return f, g

    seen = []
    x0 = np.array([-1.2, 1.0])
    result = minimize_lbfgs(rosen, x0, tol=1e-8,
                            callback=lambda r: seen.append((r.nit, r.fun, r.x is x0)))
    assert result.success, result.message
    np.testing.assert_allclose(x0, [1.0, 1.0], atol=1e-5)
    assert [s[0] for s in seen] == list(range(1, result.nit + 1))
    assert all(s[2] for s in seen) and seen[-1][1] < 1e-10 < seen[0][1]

    # returning True from the callback stops the run, and SciPy says why
    x0 = np.array([-1.2, 1.0])
    stopped = minimize_lbfgs(rosen, x0, callback=lambda r: r.nit >= 3)
    assert stopped.nit == 3 and not stopped.success
    np.testing.assert_array_equal(x0, stopped.x)


def test_lbfgs_keeps_float32_and_respects_max_fun():
    received = []

    def fun_and_grad(theta):
        received.append(theta.dtype)
        return float(theta @ theta), 2 * theta

    x0 = np.array([3.0, -4.0, 5.0], dtype=np.float32)
    minimize_lbfgs(fun_and_grad, x0)
    assert x0.dtype == np.float32 and set(received) == {np.dtype(np.float32)}
    np.testing.assert_allclose(x0, 0.0, atol=1e-4)

    calls = []
    result = minimize_lbfgs(lambda t: (calls.append(1), (float(t @ t), 2 * t))[1],
                            np.array([1.0, 2.0]), max_fun=1)
    assert "LIMIT" in result.message.upper() and len(calls) <= 2


def test_lbfgs_refuses_bad_arguments():
    f = lambda t: (float(t @ t), 2 * t)  # noqa: E731
    with pytest.raises(ShapeError, match="x0"):
        minimize_lbfgs(f, np.zeros((2, 2)))
    with pytest.raises(DataError, match="x0"):
        minimize_lbfgs(f, [1.0, 2.0])
    with pytest.raises(ConfigError, match=r"^max_iter"):
        minimize_lbfgs(f, np.zeros(2), max_iter=0)
    with pytest.raises(ConfigError, match=r"^tol"):
        minimize_lbfgs(f, np.zeros(2), tol=-1.0)
    with pytest.raises(ShapeError, match="gradient"):
        minimize_lbfgs(lambda t: (0.0, np.zeros(3)), np.ones(2))


# ---------------------------------------------------------------------------
# the registry of solvers


def test_the_registry_says_what_each_solver_is():
    from chainrule.optim import LBFGS, SOLVERS, make_solver, solver_class, solver_names

    assert list(SOLVERS) == ["gd", "sgd", "adam", "lbfgs"]
    assert solver_names() == ["gd", "gradient_descent", "sgd", "adam", "lbfgs"]
    steps = [solver_class(n) for n in ("gd", "sgd", "adam")]
    assert steps == [GradientDescent, SGD, Adam]
    for cls in steps:
        assert not cls.full_batch and cls.has_learning_rate and cls.checkpointable
    for spelling in ("lbfgs", "L-BFGS", "l_bfgs", "LBFGS"):
        assert solver_class(spelling) is LBFGS
    assert LBFGS.full_batch and not LBFGS.has_learning_rate and not LBFGS.checkpointable
    assert solver_class("Gradient-Descent") is GradientDescent
    with pytest.raises(ConfigError, match=r"^optimizer: expected one of gd, gradient_descent, "
                                          r"sgd, adam, lbfgs, got 'rmsprop'"):
        solver_class("rmsprop")
    with pytest.raises(ConfigError, match="optimizer: expected one of"):
        solver_class(None)
    # make_solver: the learning rate goes where there is one, options are checked
    sgd = make_solver("sgd", 0.3, momentum=0.5)
    assert (type(sgd), sgd.learning_rate, sgd.momentum) == (SGD, 0.3, 0.5)
    lbfgs = make_solver("l-bfgs", 0.3, max_fun=50)
    assert type(lbfgs) is LBFGS and lbfgs.max_fun == 50 and not hasattr(lbfgs, "learning_rate")
    with pytest.raises(ConfigError, match=r"^momentum: not an option of optimizer LBFGS"):
        make_solver("lbfgs", momentum=0.9)
    with pytest.raises(ConfigError, match=r"^max_fun: expected a positive integer"):
        make_solver("lbfgs", max_fun=0)
    adam = Adam(0.1)
    assert make_solver(adam, 0.01) is adam and adam.learning_rate == 0.01


def test_no_module_tests_a_solver_by_name():
    # the registry answers the questions; only optim/ spells the names of solvers in code
    import ast
    from pathlib import Path

    import chainrule

    root = Path(chainrule.__file__).parent
    names = {"lbfgs", "l-bfgs", "gd", "gradient_descent", "sgd", "adam"}
    found = []
    for path in root.rglob("*.py"):
        if path.parent.name == "optim":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                    isinstance(c, ast.Constant) and isinstance(c.value, str)
                    and c.value.lower() in names
                    for c in ast.walk(node) if c is not node):
                found.append(str(path.relative_to(root)))
    assert found == []


# ---------------------------------------------------------------------------
# scikit-learn's schedules, the L2 penalty and the checks


def test_epoch_inverse_scaling_is_scikit_learns_invscaling():
    opt = SGD(0.8)
    schedule = get_schedule("invscaling_by_epoch", 0.8, power_t=0.25, seen=150)
    sk = SGDOptimizer([np.zeros(1)], learning_rate_init=0.8, lr_schedule="invscaling",
                      power_t=0.25)
    t = 150
    for n in (150, 150, 40):  # epochs of 150 examples, then a partial_fit of 40
        schedule.on_step(opt)  # steps change nothing: scikit-learn acts between epochs
        assert opt.learning_rate == (0.8 if t == 150 else sk.learning_rate)
        schedule(1, None, opt, examples=n)
        t += n
        sk.iteration_ends(t)
        assert opt.learning_rate == sk.learning_rate
    assert schedule.seen == 490 and schedule.options() == {"initial": 0.8, "power_t": 0.25}
    again = get_schedule("invscaling_by_epoch", 0.1)
    again.load_state_dict(schedule.state_dict())
    assert again.state_dict() == schedule.state_dict()


def test_divide_on_plateau_is_scikit_learns_adaptive():
    opt = SGD(1e-5)
    schedule = get_schedule("divide_on_plateau", 1e-5)
    sk = SGDOptimizer([np.zeros(1)], learning_rate_init=1e-5, lr_schedule="adaptive")
    for _ in range(3):  # 1e-5 → 2e-6 → 4e-7, then it stops: η ≤ 1e-6
        assert schedule.on_plateau(opt) == (not sk.trigger_stopping("", verbose=False))
        assert opt.learning_rate == sk.learning_rate
    assert opt.learning_rate == pytest.approx(4e-7, rel=1e-15)
    schedule(1, 0.5, opt, examples=10)  # nothing between plateaus
    assert opt.learning_rate == pytest.approx(4e-7, rel=1e-15)
    assert not LRSchedule().on_plateau(opt) and not ConstantLR().on_plateau(opt)
    with pytest.raises(ConfigError, match=r"^divisor: expected a finite number > 1"):
        get_schedule("divide_on_plateau", 0.1, divisor=1.0)


def test_l2_penalty_value_and_gradient_by_hand():
    from chainrule.optim import L2Penalty

    # P = (α / 2n) Σ m θ² with α = 0.5, n = 2, θ = (1, −2, 3, 4) and the third unpenalised:
    # P = 0.125 (1 + 4 + 16) = 2.625;  ∂P/∂θ = (α/n) m θ = (0.25, −0.5, 0, 1)
    params = np.array([1.0, -2.0, 3.0, 4.0])
    mask = np.array([True, True, False, True])
    penalty = L2Penalty(0.5, mask)
    g = np.zeros(4)
    assert penalty.add_to(g, params, 2) == pytest.approx(2.625, rel=1e-15)
    np.testing.assert_allclose(g, [0.25, -0.5, 0.0, 1.0], rtol=1e-15)
    assert penalty.value(params, 2) == pytest.approx(2.625, rel=1e-15)
    g32 = np.zeros(4, np.float32)
    assert penalty.add_to(g32, params.astype(np.float32), 4) == pytest.approx(1.3125)
    assert g32.dtype == np.float32
    with pytest.raises(ConfigError, match=r"^alpha: expected a finite number > 0"):
        L2Penalty(0.0, mask)


def test_option_checks_name_the_argument_and_what_came():
    from chainrule.optim import check_bool, check_choice, check_int, check_real

    assert check_real(np.float32(0.5), "x", 0.0, 1.0) == 0.5
    assert type(check_int(np.int64(3), "n")) is int
    for value in (float("nan"), float("inf"), True, "1", None):
        with pytest.raises(ConfigError, match=r"^x: expected a finite number >= 0, got "):
            check_real(value, "x", 0.0)
    with pytest.raises(ConfigError, match=r"^x: expected a number in \(0, 1\), got 1"):
        check_real(1, "x", 0.0, 1.0, low_open=True, high_open=True)
    with pytest.raises(ConfigError, match=r"^n: expected an integer >= 0, got -1"):
        check_int(-1, "n", low=0)
    with pytest.raises(ConfigError, match=r"^n: expected a positive integer, got 2.0"):
        check_int(2.0, "n")
    with pytest.raises(ConfigError, match=r"^flag: expected True or False, got 'yes'"):
        check_bool("yes", "flag")
    with pytest.raises(ConfigError, match=r"^mode: expected one of 'a', 'b', got 'c'"):
        check_choice("c", "mode", ("a", "b"))
