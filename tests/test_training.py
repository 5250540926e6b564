"""The training loop: learning, determinism, validation, early stopping, divergence, memory."""

from __future__ import annotations

import signal
import tracemalloc

import numpy as np
import pytest

from chainrule import ConfigError, DivergenceError, Network, ShapeError
from chainrule.training import Trainer, evaluate, fit

X_NOT, Y_NOT = np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]])
X_XOR = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_XOR = np.array([[0.0], [1.0], [1.0], [0.0]])


def blobs(rng, n=300, d=5, k=3):
    centers = rng.normal(scale=3, size=(k, d))
    labels = rng.integers(0, k, n)
    return centers[labels] + rng.normal(size=(n, d)), np.eye(k)[labels]


def test_not_toy_learns_by_full_batch_gradient_descent():
    net = Network([1, 1], "tanh", weights=[[[1.3]]], biases=[[-0.1]])
    h = fit(net, X_NOT, Y_NOT, optimizer="gd", learning_rate=0.5, epochs=2000, batch_size=None)
    assert h.cost[-1] < 0.01
    assert h.cost[-1] < h.cost[0]
    # the optimum runs along b = −w (the seed's valley): w < 0 and b ≈ −w
    w, b = net.W[0][0, 0], net.b[0][0]
    assert w < -1 and b == pytest.approx(-w, rel=0.05)


def test_xor_learns():
    net = Network([2, 4, 1], "tanh", random_state=0)
    h = fit(net, X_XOR, Y_XOR, optimizer="adam", learning_rate=0.05, epochs=1000,
            batch_size=None)
    assert h.cost[-1] < 0.01


def test_one_full_batch_gd_step_is_theta_minus_eta_gradient():
    net = Network([2, 3, 1], "tanh", random_state=1)
    expected = net.params - 0.3 * net.cost_and_gradient(X_XOR, Y_XOR)[1]
    h = fit(net, X_XOR, Y_XOR, optimizer="gd", learning_rate=0.3, epochs=1, batch_size=None)
    np.testing.assert_allclose(net.params, expected, rtol=1e-15)
    assert h.n_steps == 1 and len(h) == 1


def test_l2_adds_alpha_over_m_times_weights_only():
    net = Network([2, 3, 1], "tanh", random_state=1)
    start = net.params.copy()
    g = net.cost_and_gradient(X_XOR, Y_XOR)[1].copy()
    penalty = np.zeros_like(g)
    for w0, b0 in net.offsets():
        penalty[w0:b0] = 0.1 * start[w0:b0] / 4
    fit(net, X_XOR, Y_XOR, optimizer="gd", learning_rate=0.3, epochs=1, batch_size=None, l2=0.1)
    np.testing.assert_allclose(net.params, start - 0.3 * (g + penalty), rtol=1e-14)


def test_same_seed_gives_bit_identical_weights(rng):
    X, Y = blobs(rng)
    runs = []
    for _ in range(2):
        net = Network([5, 8, 3], "relu", cost="cross_entropy", random_state=3)
        h = fit(net, X, Y, epochs=5, batch_size=32, random_state=11, validation_split=0.2)
        runs.append((net.params.copy(), h.cost, h.val_cost))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1] and runs[0][2] == runs[1][2]
    net = Network([5, 8, 3], "relu", cost="cross_entropy", random_state=3)
    fit(net, X, Y, epochs=5, batch_size=32, random_state=12, validation_split=0.2)
    assert not np.array_equal(net.params, runs[0][0])


def test_global_numpy_random_state_does_not_matter(rng):
    X, Y = blobs(rng)
    out = []
    for seed in (1, 2):
        np.random.seed(seed)  # noqa: NPY002 - the point is that it is ignored
        net = Network([5, 4, 3], "tanh", cost="cross_entropy", random_state=0)
        fit(net, X, Y, epochs=2, batch_size=50, random_state=0)
        out.append(net.params.copy())
    np.testing.assert_array_equal(*out)


def test_history_validation_and_accuracy(rng):
    X, Y = blobs(rng)
    net = Network([5, 16, 3], "relu", cost="cross_entropy", random_state=0)
    h = fit(net, X, Y, epochs=30, batch_size=32, learning_rate=0.01, validation_split=0.25,
            random_state=0)
    assert len(h.cost) == len(h.val_cost) == len(h.val_accuracy) == len(h.seconds) == 30
    assert h.val_accuracy[-1] > 0.9 and h.accuracy[-1] > 0.9
    assert h.cost[-1] < h.cost[0]
    assert h.n_steps == 30 * int(np.ceil(225 / 32))
    assert all(s > 0 for s in h.seconds)
    Xv, Yv = X[:50], Y[:50]
    h2 = fit(Network([5, 4, 3], "relu", cost="cross_entropy", random_state=0), X, Y, epochs=2,
             validation_data=(Xv, Yv))
    assert np.isfinite(h2.val_cost).all()


def test_early_stopping_restores_best_weights(rng):
    X, Y = blobs(rng, n=120)
    net = Network([5, 64, 3], "relu", cost="cross_entropy", random_state=0)
    seen = {}

    def remember(info):
        seen[info.epoch] = (net.params.copy(), info.val_cost)

    h = fit(net, X, Y, epochs=500, batch_size=16, learning_rate=0.05, validation_split=0.3,
            early_stopping=True, patience=5, tol=0.0, random_state=0, callbacks=[remember])
    assert h.stopped_early and len(h) < 500
    best = min(seen, key=lambda e: seen[e][1])
    assert h.best_epoch == best
    np.testing.assert_array_equal(net.params, seen[best][0])


def test_callback_can_stop_training():
    net = Network([2, 3, 1], "tanh", random_state=0)
    h = fit(net, X_XOR, Y_XOR, epochs=100, batch_size=None, callbacks=[lambda i: i.epoch == 7])
    assert len(h) == 7


def test_divergence_names_epoch_and_batch_and_keeps_finite_weights(rng):
    X = rng.normal(size=(64, 3)) * 10
    Y = rng.normal(size=(64, 1)) * 10
    net = Network([3, 16, 1], "relu", "identity", random_state=0)
    with pytest.raises(DivergenceError, match=r"epoch \d+, batch \d+.*smaller learning rate") as e:
        fit(net, X, Y, optimizer="sgd", learning_rate=1e3, epochs=50, batch_size=8)
    assert e.value.epoch >= 1 and e.value.batch is not None
    assert np.isfinite(net.params).all()


def test_float32_training_stays_float32(rng):
    X, Y = blobs(rng)
    net = Network([5, 8, 3], "tanh", cost="cross_entropy", dtype="float32", random_state=0)
    h = fit(net, X, Y, epochs=3, batch_size=40)
    assert net.params.dtype == np.float32 and net.grads.dtype == np.float32
    assert np.isfinite(h.cost).all()


def test_memmap_is_never_copied_whole(tmp_path, rng):
    n, d = 40_000, 64  # 20 MB of float64 on disk
    path = tmp_path / "X.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, d))
    for start in range(0, n, 10_000):
        X[start:start + 10_000] = rng.normal(size=(10_000, d))
    X.flush()
    del X
    Xm = np.load(path, mmap_mode="r")
    labels = (np.asarray(Xm[:, 0]) > 0).astype(int)
    Y = np.eye(2)[labels]
    net = Network([d, 16, 2], "relu", cost="cross_entropy", random_state=0)
    tracemalloc.start()
    fit(net, Xm, Y, epochs=1, batch_size=256, validation_split=0.1, random_state=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # batches, validation chunks and buffers only: a copy of X alone would be 20 MB
    assert peak < 0.25 * Xm.nbytes, f"peak {peak / 1e6:.1f} MB: X was copied"
    assert isinstance(Xm, np.memmap)


def test_ctrl_c_stops_after_the_current_batch(rng):
    X, Y = blobs(rng)
    net = Network([5, 8, 3], "tanh", cost="cross_entropy", random_state=0)
    steps = []

    def on_batch(epoch, batch, n_batches):
        steps.append(net.params.copy())
        if len(steps) == 3:
            signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        fit(net, X, Y, epochs=10, batch_size=50, batch_callback=on_batch)
    assert len(steps) == 3  # the batch in flight finished, no further one started
    np.testing.assert_array_equal(net.params, steps[-1])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_trainer_state_round_trip_continues_identically(rng):
    X, Y = blobs(rng)

    def make():
        net = Network([5, 8, 3], "tanh", cost="cross_entropy", random_state=0)
        return net, Trainer(net, batch_size=32, random_state=5)

    net_a, ta = make()
    fit(net_a, X, Y, epochs=6, trainer=ta)
    net_b, tb = make()
    fit(net_b, X, Y, epochs=3, trainer=tb)
    state = tb.state_dict()
    net_c, tc = make()
    tc.load_state_dict(state)
    fit(net_c, X, Y, epochs=6, trainer=tc)
    np.testing.assert_array_equal(net_a.params, net_c.params)
    assert ta.history.cost == tc.history.cost


def test_lbfgs_solver(rng):
    net = Network([2, 4, 1], "tanh", random_state=0)
    trainer = Trainer(net, optimizer="lbfgs")
    h = fit(net, X_XOR, Y_XOR, epochs=200, trainer=trainer)
    assert h.cost[-1] < 1e-3
    assert trainer.lbfgs_result.nit == len(h) == h.n_steps
    assert net.compute_cost(X_XOR, Y_XOR) == pytest.approx(h.cost[-1], rel=1e-6, abs=1e-12)


def test_evaluate_in_chunks_equals_direct(rng):
    X, Y = blobs(rng)
    net = Network([5, 8, 3], "tanh", cost="cross_entropy", random_state=0)
    cost, acc = evaluate(net, X, Y, batch_size=7)
    assert cost == pytest.approx(net.compute_cost(X, Y), rel=1e-12)
    assert acc == pytest.approx(np.mean(net.predict(X).argmax(1) == Y.argmax(1)))


@pytest.mark.parametrize(("kwargs", "fragment"), [
    (dict(epochs=0), "epochs: expected a positive integer"),
    (dict(epochs=-3), "epochs"),
    (dict(epochs=2.5), "epochs"),
    (dict(batch_size=0), "batch_size: expected a positive integer"),
    (dict(learning_rate=float("nan")), "learning_rate"),
    (dict(learning_rate=-1.0), "learning_rate"),
    (dict(optimizer="rmsprop"), "optimizer"),
    (dict(validation_split=1.5), "validation_split"),
    (dict(validation_split=0.01), "validation_split"),
    (dict(l2=-1.0), "l2"),
    (dict(patience=0), "patience"),
])
def test_bad_options_name_the_argument(kwargs, fragment):
    net = Network([2, 3, 1], "tanh", random_state=0)
    with pytest.raises(ConfigError, match=fragment):
        fit(net, X_XOR, Y_XOR, **{"epochs": 1, **kwargs})


def test_bad_data_is_refused():
    net = Network([2, 3, 1], "tanh", random_state=0)
    with pytest.raises(ShapeError, match="y: has 3 examples"):
        fit(net, X_XOR, Y_XOR[:3], epochs=1)
    with pytest.raises(ShapeError, match="X: expected 2 features"):
        fit(net, np.ones((4, 3)), Y_XOR, epochs=1)
