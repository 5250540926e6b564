"""The training loop: learning, determinism, validation, early stopping, divergence, memory."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from chainrule import ConfigError, DataError, DivergenceError, Network, ShapeError
from chainrule.train.loop import Trainer, evaluate, fit
from chainrule.utils import validation as _validation

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
    # the optimum runs along b = −w (the exercise's valley): w < 0 and b ≈ −w
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


@pytest.mark.parametrize("tol", [0.0, 0.1])
def test_early_stopping_restores_best_weights(rng, tol):
    # with tol > 0 too: the lowest validation cost, not the last fall by more than tol
    X, Y = blobs(rng, n=120)
    net = Network([5, 64, 3], "relu", cost="cross_entropy", random_state=0)
    seen = {}

    def remember(info):
        seen[info.epoch] = (net.params.copy(), info.val_cost)

    h = fit(net, X, Y, epochs=500, batch_size=16, learning_rate=0.05, validation_split=0.3,
            early_stopping=True, patience=5, tol=tol, random_state=0, callbacks=[remember])
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
        fit(net, X, Y, optimizer="sgd", learning_rate=1e3, epochs=50, batch_size=8,
            random_state=0)
    assert e.value.epoch >= 1 and e.value.batch is not None
    assert np.isfinite(net.params).all()


def test_overflowing_gradient_is_caught_and_finite_weights_kept():
    # tanh saturates: each cost (a − y)² ≈ 1e6 is finite while ∂C/∂w = Σ dZ·x overflows
    # (x = 1e306), so the step makes w infinite; the cost of the next batch stays finite
    # (tanh(∞) = 1), and the end-of-epoch check of the weights reports it.
    X, Y = np.full((4, 1), 1e306), np.full((4, 1), 1e3)
    net = Network([1, 1], "tanh", weights=[[[1e-306]]], biases=[[0.0]])
    start = net.params.copy()
    with pytest.raises(DivergenceError, match=r"weights became non-finite in epoch 1") as e:
        fit(net, X, Y, optimizer="gd", learning_rate=0.1, epochs=3, batch_size=2,
            shuffle=False)
    assert e.value.epoch == 1 and e.value.batch is None
    assert np.isfinite(net.params).all()
    np.testing.assert_array_equal(net.params, start)  # those before training


def test_float32_training_stays_float32(rng):
    X, Y = blobs(rng)
    net = Network([5, 8, 3], "tanh", cost="cross_entropy", dtype="float32", random_state=0)
    h = fit(net, X, Y, epochs=3, batch_size=40)
    assert net.params.dtype == np.float32 and net.grads.dtype == np.float32
    assert np.isfinite(h.cost).all()


def save_npy(path, A, dtype=None):
    """Write A to a .npy file and open it memory-mapped, read-only."""
    np.save(path, np.asarray(A, dtype=dtype))
    return np.load(path, mmap_mode="r")


class ReadSpy:
    """Counts the positional reads of chainrule.utils.validation and records the files it opens."""

    def __init__(self, monkeypatch):
        self.reads, self.fds = 0, []
        real_open, real_preadv = os.open, os.preadv

        def spy_open(*args, **kwargs):
            fd = real_open(*args, **kwargs)
            self.fds.append(fd)
            return fd

        def spy_preadv(*args):
            self.reads += 1
            return real_preadv(*args)

        monkeypatch.setattr(_validation.os, "open", spy_open)
        monkeypatch.setattr(_validation.os, "preadv", spy_preadv)

    def all_closed(self):
        for fd in self.fds:
            try:
                os.fstat(fd)
            except OSError:
                continue
            return False
        return True


@pytest.mark.parametrize(("file_dtype", "net_dtype"), [
    ("<f8", "float64"), ("<f8", "float32"), (">f4", "float64"), ("<f4", "float32")])
def test_memmap_training_is_bit_identical_to_training_in_memory(tmp_path, rng, monkeypatch,
                                                                file_dtype, net_dtype):
    X, Y = blobs(rng, n=500, d=6, k=3)
    Xm = save_npy(tmp_path / "X.npy", X, file_dtype)
    Ym = save_npy(tmp_path / "Y.npy", Y, net_dtype)  # stays mapped: already the net's dtype
    spy = ReadSpy(monkeypatch)
    runs = []
    for Xa, Ya in ((np.array(Xm), np.array(Ym)), (Xm, Ym)):
        net = Network([6, 8, 3], "relu", cost="cross_entropy", dtype=net_dtype, random_state=0)
        h = fit(net, Xa, Ya, epochs=3, batch_size=64, random_state=1, validation_split=0.2)
        runs.append((net.params.copy(), h.cost, h.val_cost, h.val_accuracy))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1:] == runs[1][1:]
    assert spy.reads > 0 and len(spy.fds) >= 2  # X and Y were read from their files
    assert spy.all_closed()


def test_memmap_views_lbfgs_and_evaluate_read_the_right_rows(tmp_path, rng, monkeypatch):
    X, Y = blobs(rng, n=400, d=5, k=3)
    Xm = save_npy(tmp_path / "X.npy", X)
    spy = ReadSpy(monkeypatch)
    Xv = np.asarray(Xm)[37:337]  # a plain ndarray on top of the memmap, at an offset
    assert not isinstance(Xv, np.memmap)
    results = []
    for Xa in (X[37:337], Xv):
        net = Network([5, 6, 3], "tanh", cost="cross_entropy", random_state=0)
        h = fit(net, Xa, Y[37:337], epochs=15, optimizer="lbfgs", validation_split=0.25,
                random_state=0)
        idx = np.array([-1, 5, 4, 3, 10, 11, 12, 0, 299, -300, 7])  # negative, runs, reversed
        results.append((net.params.copy(), h.cost, evaluate(net, Xa, Y[37:337], batch_size=4,
                                                            indices=idx)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1:] == results[1][1:]
    assert spy.reads > 0 and spy.all_closed()
    net = Network([5, 6, 3], "tanh", cost="cross_entropy", random_state=0)
    with pytest.raises(IndexError, match="out of bounds"):
        evaluate(net, Xv, Y[37:337], indices=np.array([3, 300]))
    assert spy.all_closed()


def test_file_rows_gather_equals_take(tmp_path, rng):
    X = rng.normal(size=(300, 7))
    Xm = save_npy(tmp_path / "X.npy", X)
    sel = np.concatenate([np.arange(40, 90), rng.permutation(300)[:60], [5, 5, 6, -1]])
    # strides, offsets, rows apart in the file
    for A, B in ((Xm, X), (Xm[::-3], X[::-3]), (Xm[10:], X[10:]), (Xm[:, 1:4], X[:, 1:4])):
        with _validation.FileRows.open(A, "X") as reader:
            for s in (sel[:1], sel[:3], sel, np.arange(0, 20), np.arange(20)[::-1]):
                s = s[s < A.shape[0]]
                np.testing.assert_array_equal(reader.take(s, np.dtype(np.float64)), B[s])
                out = np.empty((s.size, A.shape[1]), np.float32)
                assert reader.take(s, np.dtype(np.float32), out) is out
                np.testing.assert_array_equal(out, B[s].astype(np.float32))
    # where positional reads do not apply, no reader: rows not contiguous (strided columns,
    # Fortran order), private maps, memory
    np.save(tmp_path / "F.npy", np.asfortranarray(X))
    Xc = np.load(tmp_path / "X.npy", mmap_mode="c")
    for A in (Xm[:, ::2], np.load(tmp_path / "F.npy", mmap_mode="r"), Xc, X):
        assert _validation.FileRows.open(A, "X") is None
    # a file shortened after it was opened: an error naming the row, not a crash
    with _validation.FileRows.open(Xm, "X") as reader:
        os.truncate(tmp_path / "X.npy", 128 + 250 * 7 * 8)
        with pytest.raises(DataError, match=r"X: .*X\.npy ends before row 250"):
            reader.take(np.arange(240, 260), np.dtype(np.float64))
        with pytest.raises(DataError, match="ends before row 290"):
            reader.take(np.array([3, 290]), np.dtype(np.float64))


def test_fit_closes_the_files_when_training_fails(tmp_path, rng, monkeypatch):
    X, Y = blobs(rng, n=200, d=4, k=2)
    Xm = save_npy(tmp_path / "X.npy", X)
    spy = ReadSpy(monkeypatch)

    def interrupt(epoch, batch, n_batches):
        raise KeyboardInterrupt

    net = Network([4, 5, 2], "tanh", cost="cross_entropy", random_state=0)
    with pytest.raises(KeyboardInterrupt):
        fit(net, Xm, Y, epochs=2, batch_size=16, batch_callback=interrupt)
    assert spy.reads > 0 and spy.all_closed()
    Xm = save_npy(tmp_path / "X1000.npy", X * 1e3)
    net = Network([4, 16, 1], "relu", "identity", random_state=0)
    with pytest.raises(DivergenceError):
        fit(net, Xm, Y[:, :1] * 1e3, optimizer="sgd", learning_rate=1e3, epochs=50,
            batch_size=8)
    assert spy.all_closed()


def test_check_finite_of_a_memmap_reads_blocks_and_names_row_and_column(tmp_path, rng,
                                                                       monkeypatch):
    X = rng.normal(size=(1000, 4)).astype(np.float32)
    X[731, 2] = np.inf
    Xm = save_npy(tmp_path / "X.npy", X)
    spy = ReadSpy(monkeypatch)
    with pytest.raises(DataError, match="X: contains infinity at row 731, column 2"):
        _validation.check_finite(Xm, "X", block_bytes=16 * 100)  # blocks of 100 rows
    assert spy.reads == 8 and spy.all_closed()  # blocks 0-7: the one holding row 731 raised
    X[731, 2], X[999, 0] = 0, np.nan
    Xm = save_npy(tmp_path / "X2.npy", X)
    with pytest.raises(DataError, match="X: contains NaN at row 999, column 0"):
        _validation.check_finite(Xm[:, None], "X", block_bytes=7)  # one row per block, 3-D
    assert spy.all_closed()
    _validation.check_finite(Xm[:999], "X")
    # in memory: finite values whose sum overflows are not mistaken for infinity
    big = np.full((50, 3), np.finfo(np.float64).max)
    _validation.check_finite(big, "X", block_bytes=48)
    big[33, 1] = -np.inf
    with pytest.raises(DataError, match="row 33, column 1"):
        _validation.check_finite(big, "X", block_bytes=48)


def test_a_column_of_a_wide_memmap_is_checked_in_spans_not_row_by_row(tmp_path, rng,
                                                                    monkeypatch):
    # y = the last column of a 9-column file: each block is one read of the span that
    # covers its rows, and a block holds as many bytes of the file as a plain block would
    X = rng.normal(size=(5000, 9))
    X[4321, 8] = np.nan
    y = save_npy(tmp_path / "X.npy", X)[:, -1:]
    spy = ReadSpy(monkeypatch)
    with pytest.raises(DataError, match="y: contains NaN at row 4321, column 0"):
        _validation.check_finite(y, "y", block_bytes=9 * 8 * 1000)  # 1000 rows of the file
    assert spy.reads == 5 and spy.all_closed()  # rows 0-999, …, 4000-4999
    blocks = [(start, b.copy()) for start, b in _validation.row_blocks(y, 700, "y")]
    np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), X[:, -1:])
    assert [start for start, _ in blocks][:3] == [0, 77, 154]  # 700 · 8 / 72 rows a block


def test_float64_data_too_large_for_a_float32_network_is_named(tmp_path, rng):
    # the batches would be converted to float32 as they are read, and 1e300 to infinity
    X = rng.normal(size=(300, 3))
    X[217, 1] = -1e300
    Y = rng.normal(size=(300, 1))
    for data in (X, save_npy(tmp_path / "X.npy", X)):
        net = Network([3, 2, 1], "tanh", dtype="float32", random_state=0)
        start = net.params.copy()
        with pytest.raises(DataError, match=r"X: value -1e\+300 at row 217, column 1 does "
                                            r"not fit float32"):
            fit(net, data, Y, epochs=1, batch_size=32, random_state=0)
        np.testing.assert_array_equal(net.params, start)  # refused before any step
    X[217, 1] = -3e38  # within float32's range: trains
    fit(Network([3, 2, 1], "tanh", dtype="float32", random_state=0), X, Y, epochs=1,
        random_state=0)


# A fresh interpreter trains from a memory-mapped X.npy and Y.npy and prints how much
# its resident memory grew (VmHWM, its own peak, reset before fit where the kernel
# allows it, minus VmRSS before fit), in bytes.
RSS_CHILD = """
import sys
import numpy as np
from chainrule import Network, fit

def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key + ":"))

X = np.load(sys.argv[1], mmap_mode="r")
Y = np.load(sys.argv[2], mmap_mode="r")
net = Network([X.shape[1], 16, 2], "relu", cost="cross_entropy", dtype="float32",
              random_state=0)
fit(net, X[:64], Y[:64], epochs=1, batch_size=32)  # warm up: buffers, plans
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
except OSError:
    pass
before = status("VmRSS")
h = fit(net, X, Y, epochs=1, batch_size=256, random_state=0, validation_split=0.1)
assert np.isfinite(h.cost[-1])
print(status("VmHWM") - before)
"""


def test_memmap_training_keeps_resident_memory_far_below_the_file(tmp_path, rng):
    n, d = 24_000, 784  # 75 MB of float32
    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float32,
                                  shape=(n, d))
    for start in range(0, n, 4000):
        X[start:start + 4000] = rng.standard_normal((4000, d), dtype=np.float32)
    labels = np.asarray(X[:, 0]) > 0
    X.flush()
    file_bytes = X.nbytes
    del X
    np.save(tmp_path / "Y.npy", np.eye(2, dtype=np.float32)[labels.astype(int)])
    proc = subprocess.run([sys.executable, "-c", RSS_CHILD, str(tmp_path / "X.npy"),
                           str(tmp_path / "Y.npy")], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    growth = int(proc.stdout.split()[-1])
    # a 16 MB block of the finiteness check, batches and buffers; reading X through its
    # mapping would add the whole file
    assert growth < 0.5 * file_bytes, f"RSS grew by {growth / 1e6:.0f} MB"


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
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ConfigError, match="batch_size: expected a positive integer"):
            evaluate(net, X, Y, batch_size=bad)


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
    (dict(random_state=-1), "random_state: expected None, an integer >= 0"),
    (dict(random_state=1.5), "random_state: expected None, an integer >= 0"),
    (dict(momentum=0.9), "momentum: not an option of fit; expected one of optimizer, "),
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


def test_accuracy_for_a_squared_error_classifier_when_asked(rng):
    X, Y = blobs(rng)  # one-hot targets
    net = Network([5, 8, 3], "tanh", "logistic", cost="squared_error", random_state=0)
    h = fit(net, X, Y, epochs=5, batch_size=32, random_state=0, validation_split=0.2,
            classification=True)
    assert all(0 <= a <= 1 for a in h.accuracy + h.val_accuracy)
    _, acc = evaluate(net, X, Y, classification=True)
    assert acc == pytest.approx(np.mean(net.predict(X).argmax(1) == Y.argmax(1)))
    assert evaluate(net, X, Y)[1] is None  # by default only cross-entropy networks count it
    h = fit(net, X, Y, epochs=1, random_state=0)
    assert np.isnan(h.accuracy).all()


def test_a_second_ctrl_c_during_the_interrupt_checkpoint_is_not_a_graceful_stop(
        rng, tmp_path, monkeypatch):
    from chainrule.train import loop

    X, Y = blobs(rng)
    net = Network([5, 8, 3], "tanh", cost="cross_entropy", random_state=0)
    t = Trainer(net, batch_size=32, random_state=0)

    def interrupt(epoch, batch, n_batches):
        if batch == 2:
            os.kill(os.getpid(), signal.SIGINT)  # the first Ctrl-C: stop after this batch

    def second_ctrl_c(self):
        raise KeyboardInterrupt  # arrives while the checkpoint is written

    monkeypatch.setattr(loop.Checkpointer, "save", second_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        fit(net, X, Y, epochs=3, trainer=t, checkpoint=tmp_path / "ck",
            batch_callback=interrupt)
    assert not t.interrupted and not t.in_step


def test_read_into_memory_reads_a_mapped_column_from_the_file(tmp_path, rng, monkeypatch):
    X = rng.normal(size=(3000, 5))
    y = save_npy(tmp_path / "X.npy", X)[:, -1]  # 1-D, strided, in the file
    spy = ReadSpy(monkeypatch)
    got = _validation.read_into_memory(y, "y", block_bytes=5 * 8 * 1000)
    assert type(got) is np.ndarray and _validation._mapped_file(got) is None
    np.testing.assert_array_equal(got, X[:, -1])
    assert spy.reads == 3 and spy.all_closed()
    plain = np.arange(4.0)
    assert _validation.read_into_memory(plain, "y") is plain  # in memory already: as it is


def test_lbfgs_records_accuracy_and_validation_and_stops_gracefully_on_ctrl_c(rng):
    X, Y = blobs(rng)
    net = Network([5, 8, 3], "tanh", cost="cross_entropy", random_state=0)
    t = Trainer(net, optimizer="lbfgs")
    seen = {}

    def on_epoch(info):
        seen[info.epoch] = net.params.copy()
        if info.epoch == 3:
            os.kill(os.getpid(), signal.SIGINT)  # held until the iteration's end

    with pytest.raises(KeyboardInterrupt):
        fit(net, X, Y, epochs=50, trainer=t, validation_split=0.2, random_state=0,
            callbacks=[on_epoch])
    h = t.history
    assert t.interrupted and not t.in_step and len(h) == 3 == h.n_steps
    np.testing.assert_array_equal(net.params, seen[3])  # the accepted iterate
    assert all(0 <= a <= 1 for a in h.accuracy + h.val_accuracy)
    assert np.isfinite(h.val_cost).all()
    # the accuracy counted during the evaluation equals a fresh count at those weights
    _, acc = evaluate(net, X, Y, indices=t.train_indices)
    assert h.accuracy[-1] == pytest.approx(acc)


def test_file_rows_read_each_row_once_whatever_the_order(tmp_path, rng, monkeypatch):
    # runs of rows that are consecutive in the file but scattered in the batch were read
    # with up to 1024 rows past their end (1.46 GB for one batch of 8000 rows of 100 floats)
    X = rng.normal(size=(2000, 10))
    Xm = save_npy(tmp_path / "X.npy", X)
    read = [0]
    real = os.preadv

    def counting(fd, buffers, pos):
        read[0] += sum(len(b) for b in buffers)
        return real(fd, buffers, pos)

    monkeypatch.setattr(_validation.os, "preadv", counting)
    reader = _validation.FileRows.open(Xm, "X")
    with reader:
        for sel in (rng.permutation(2000)[:1500], np.array([49, 48, 49, -1, 0, 1999, 1998]),
                    np.arange(2000)[::-1]):
            read[0] = 0
            got = reader.take(sel, np.dtype(np.float64))
            np.testing.assert_array_equal(got, np.take(X, sel, axis=0))
            assert read[0] == sel.size * 10 * 8  # every row once, nothing more


def test_lbfgs_early_stopping_restores_the_best_validation_weights(rng):
    # a small training set that L-BFGS overfits: the validation cost turns back up
    X = rng.normal(size=(60, 2))
    Y = (X[:, :1] * X[:, 1:] > 0).astype(float) + 0.3 * rng.normal(size=(60, 1))
    net = Network([2, 32, 1], "tanh", "identity", random_state=0)
    seen = {}
    h = fit(net, X, Y, optimizer="lbfgs", epochs=500, validation_split=0.4, random_state=0,
            early_stopping=True, patience=3, tol=0.0,
            callbacks=[lambda info: seen.update({info.epoch: net.params.copy()})])
    assert h.stopped_early and len(h) < 500
    best = int(np.nanargmin(h.val_cost)) + 1
    assert h.best_epoch == best and len(h) == best + 3
    np.testing.assert_array_equal(net.params, seen[best])


def test_lbfgs_a_ctrl_c_after_the_last_iteration_still_interrupts(rng):
    # e.g. during a line search that then fails: SciPy returns without another iteration
    from chainrule.optim import LBFGS

    class InterruptedAtTheEnd(LBFGS):
        def minimize(self, *args, **kwargs):
            result = super().minimize(*args, **{**kwargs, "max_iter": 2})
            os.kill(os.getpid(), signal.SIGINT)  # held by the deferred handler
            return result

    X, Y = blobs(rng)
    net = Network([5, 4, 3], "tanh", cost="cross_entropy", random_state=0)
    t = Trainer(net, optimizer=InterruptedAtTheEnd())
    with pytest.raises(KeyboardInterrupt):
        fit(net, X, Y, epochs=50, trainer=t)
    assert t.interrupted and len(t.history) == 2


def test_l2_history_is_the_data_cost_plus_the_penalty_of_the_same_weights():
    # The exercise's 1-1 network with the identity: a = w x + b, C = (a − y)², and the
    # penalty P = (α / 2n) w².  At w = 1, b = 0, x = 1, y = 0, α = 1, n = 1:
    #   a = 1,  C = (1 − 0)² = 1,  P = ½ · 1² = 0.5,  so C + P = 1.5 before the step.
    # The gd step, η = 0.1:  ∂C/∂w = 2 (a − y) x = 2, ∂P/∂w = (α/n) w = 1, so
    #   w ← 1 − 0.1 · 3 = 0.7;  ∂C/∂b = 2 (a − y) = 2, so b ← 0 − 0.1 · 2 = −0.2.
    # After it: a = 0.5, C = 0.25, P = ½ · 0.49 = 0.245, C + P = 0.495.  The history
    # records 1.5, the cost and the penalty of the weights the epoch evaluated (as
    # scikit-learn's loss_ counts it), not 1 + 0.245 = 1.245, the two of different weights.
    net = Network([1, 1], "identity", weights=[[[1.0]]], biases=[[0.0]])
    seen = []
    h = fit(net, [[1.0]], [[0.0]], optimizer="gd", learning_rate=0.1, epochs=1,
            batch_size=None, l2=1.0, callbacks=[seen.append])
    assert h.cost[0] == pytest.approx(1.5, rel=1e-15)
    assert seen[0].cost == h.cost[0] and seen[0].penalty == pytest.approx(0.5, rel=1e-15)
    assert net.W[0][0, 0] == pytest.approx(0.7, rel=1e-15)
    assert net.b[0][0] == pytest.approx(-0.2, rel=1e-15)
    # the next epoch starts from there: 0.25 + 0.245
    h = fit(net, [[1.0]], [[0.0]], optimizer="gd", learning_rate=0.1, epochs=1,
            batch_size=None, l2=1.0)
    assert h.cost[0] == pytest.approx(0.495, rel=1e-14)


def test_l2_penalty_of_mini_batches_is_counted_as_scikit_learn_counts_it(rng):
    # Each batch of m examples adds m times its penalty (α/2m) Σ W², at the weights before
    # its step: the epoch's cost is (1/n) Σ_batches [m C_batch + (α/2) Σ W²_batch].  A replay
    # of the three gd steps with the network's own cost and gradient:
    X, Y = blobs(rng, n=40)
    alpha, eta = 0.5, 0.1
    replay = Network([5, 4, 3], "tanh", cost="cross_entropy", random_state=0)
    total = 0.0
    for start in (0, 16, 32):
        Xb, Yb = X[start:start + 16], Y[start:start + 16]
        m = len(Xb)
        cost, g = replay.cost_and_gradient(Xb, Yb)
        total += m * cost + 0.5 * alpha * sum(float(np.vdot(W, W)) for W in replay.W)
        for w0, b0 in replay.offsets():
            g[w0:b0] += alpha / m * replay.params[w0:b0]
        replay.params -= eta * g
    net = Network([5, 4, 3], "tanh", cost="cross_entropy", random_state=0)
    penalties = []
    h = fit(net, X, Y, optimizer="gd", learning_rate=eta, epochs=1, batch_size=16,
            shuffle=False, l2=alpha, callbacks=[lambda info: penalties.append(info.penalty)])
    np.testing.assert_allclose(net.params, replay.params, rtol=1e-13)
    assert h.cost[0] == pytest.approx(total / 40, rel=1e-13)
    assert 0 < penalties[0] < h.cost[0]


# ---------------------------------------------------------------------------
# the history: compact columns that read like lists


def test_history_columns_read_like_lists_and_go_into_numpy():
    from chainrule.train import BLOCK, Column, History

    h = History()
    for e in range(1, 2 * BLOCK + 6):
        h.record(e, 1.0 / e, None, None if e < 3 else 0.5, None, 0.01, 0.125 * e)
    n = 2 * BLOCK + 5
    assert len(h) == len(h.cost) == n and h.epoch[-1] == n and h.epoch[0] == 1
    assert h.cost[-1] == 1.0 / n and h.cost[BLOCK] == 1.0 / (BLOCK + 1)
    assert h.cost[:3] == [1.0, 0.5, 1.0 / 3] and list(h.cost)[-1] == 1.0 / n
    assert math.isnan(h.val_cost[7]) and math.isnan(h.accuracy[1]) and h.accuracy[2] == 0.5
    costs = np.asarray(h.cost)
    assert costs.dtype == np.float64 and costs.shape == (n,) and costs[5] == 1 / 6
    assert np.isnan(h.val_cost).all() and np.asarray(h.epoch).dtype == np.int64
    # list habits: == with lists (NaN equal to NaN), + concatenates, slices are lists
    assert h.learning_rate == [0.01] * n and h.val_cost == [float("nan")] * n
    assert h.cost != h.cost[:-1] and h.cost != [0.0] * n
    joined = h.accuracy + [9.0]  # noqa: RUF005 - the point: + concatenates as for lists
    assert type(joined) is list and len(joined) == n + 1 and joined[-2:] == [0.5, 9.0]
    with pytest.raises(IndexError, match="out of range"):
        h.cost[n]
    # compact: full blocks that follow a rule (epochs counting up, a constant η, NaN) hold
    # no memory; the cost holds 8 bytes an epoch, the seconds 4, and the accuracy 8 in its
    # first block only (two NaN, then 0.5): the second is 0.5 throughout
    assert h.nbytes == 2 * BLOCK * (8 + 4) + BLOCK * 8
    assert h.epoch.nbytes == h.learning_rate.nbytes == h.val_cost.nbytes == 0
    assert h.seconds[3] == 0.5 and h.seconds.dtype == np.float32
    # round trips: to_dict (lists) and from_dict, arrays, dataclasses.replace
    again = History.from_dict(h.to_dict())
    assert again == h == History.from_dict(h.to_arrays())
    assert isinstance(again.cost, Column) and again.cost is not h.cost
    head = h.until(3)
    assert head.epoch == [1, 2, 3] and head.cost == h.cost[:3] and len(h) == n
    from dataclasses import replace

    cut = replace(h, cost=h.cost[:n])
    cut.cost.append(0.0)
    assert len(cut.cost) == n + 1 and len(h.cost) == n  # never shared


def test_history_of_a_long_run_costs_a_few_bytes_an_epoch():
    # 10^5 epochs of xor: what issue 15's memory test asks of the process, the history's
    # share (cost 8 bytes, seconds 4, nothing for the epochs, η and the NaN columns)
    from chainrule.train import History

    h = History()
    for e in range(1, 100_001):
        h.record(e, 0.25 / e, None, None, None, 0.5, 1e-5)
    assert h.nbytes <= 100_000 * 12
    assert h.epoch[-1] == 100_000 and h.cost[-1] == 0.25 / 100_000


def test_early_stopping_rules_by_hand():
    from chainrule.train import EarlyStopping

    theta = np.zeros(2)
    scores = [1.0, 0.95, 0.92, 0.9, 0.9, 0.89]

    def bad_epochs(stopping):
        return [(stopping.update(e, s, theta), stopping.bad_epochs)[1]
                for e, s in enumerate(scores, start=1)]

    # 'tol' (chainrule's): an improvement is a fall below bar − tol, and only that moves
    # the bar: 0.95 < 1.0 − 0.04 improves; 0.92 is not below 0.91 (bar stays 0.95); 0.9 is
    # (bar 0.9); 0.9 and 0.89 are not below 0.86: two bad epochs, a stall at epoch 6
    tol_rule = EarlyStopping(0.04, 2, rule="tol")
    assert bad_epochs(tol_rule) == [0, 0, 1, 0, 1, 2]
    # best is still the lowest score (0.89 at epoch 6), kept without counting as improvement
    assert tol_rule.bar == 0.9 and tol_rule.best == 0.89 and tol_rule.best_epoch == 6
    assert tol_rule.stalled and tol_rule.stalled_at == 6
    # 'min' (scikit-learn's): the same test against the lowest score so far, which moves with
    # every new low: 0.92 > 0.95 − 0.04 is no improvement, but best becomes 0.92; 0.9 is no
    # improvement on 0.92 either (best 0.9); 0.9 again: no; 0.89: no (best 0.89)
    min_rule = EarlyStopping(0.04, 3, rule="min")
    assert bad_epochs(min_rule) == [0, 0, 1, 2, 3, 4]
    assert min_rule.best == 0.89 and min_rule.best_epoch == 6
    # equality: 'min' counts a fall of exactly tol, 'tol' does not; NaN never improves
    a, b = EarlyStopping(0.5, 1, rule="min"), EarlyStopping(0.5, 1, rule="tol")
    for rule in (a, b):
        rule.update(1, 1.0, theta)
        rule.update(2, 0.5, theta)
    assert (a.bad_epochs, b.bad_epochs) == (0, 1)
    a.update(3, float("nan"), theta)
    assert a.bad_epochs == 1 and a.best == 0.5
    # the best weights, kept and put back
    keep = EarlyStopping(0.0, 5, restore_best=True)
    keep.update(1, 1.0, np.array([1.0, 2.0]))
    keep.update(2, 2.0, np.array([3.0, 4.0]))
    out = np.zeros(2)
    assert keep.restore(out) and out.tolist() == [1.0, 2.0]
    # a lower score by less than tol is kept as the best (the weights too), uncounted
    small = EarlyStopping(0.01, 3, restore_best=True)
    for epoch, (score, w) in enumerate([(0.05, 1.0), (0.0452, 2.0), (0.0451, 3.0),
                                        (0.0453, 4.0)], start=1):
        small.update(epoch, score, np.array([w]))
    assert small.best == 0.0451 and small.best_epoch == 3 and small.bad_epochs == 3
    assert small.restore(out[:1]) and out[0] == 3.0
    assert not EarlyStopping().restore(out)
    with pytest.raises(ConfigError, match=r"^rule: expected one of 'tol', 'min'"):
        EarlyStopping(rule="keras")
    assert EarlyStopping(patience=math.inf).patience == math.inf
