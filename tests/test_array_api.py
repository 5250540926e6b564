"""The engine on other array libraries: PyTorch's CPU tensors and array_api_strict's arrays.

Every result is compared with the NumPy engine's on the same numbers (float64): the costs,
gradients and optimiser steps agree to 1e-12.  array_api_strict has only what the array API
standard promises, on a second device (tests/namespace_support.py).  The machine running the
tests has no GPU; the same code runs on CUDA tensors (benchmarks/gpu.py measures it there).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from chainrule.errors import ConfigError, DataError
from chainrule.nn import Network, check_network_gradient
from chainrule.nn.activations import ACTIVATIONS
from chainrule.optim import get_optimizer
from chainrule.utils.namespace import array_namespace, is_numpy, to_numpy
from namespace_support import LIBRARIES, STRICT, Library

TOL = 1e-12

# (hidden σ, cost, outputs): every σ and every cost at least once
PAIRS = [("tanh", "squared_error", 2), ("relu", "cross_entropy", 3),
         ("logistic", "binary_cross_entropy", 2), ("softplus", "half_squared_error", 2),
         ("leaky_relu", "poisson", 2), ("identity", "squared_error", 1),
         ("logistic", "squared_error", 3)]


def _targets(rng: np.random.Generator, cost: str, n: int, k: int) -> np.ndarray:
    if cost == "cross_entropy":
        return np.eye(k)[rng.integers(0, k, n)]
    if cost == "binary_cross_entropy":
        return (rng.random((n, k)) > 0.5) * 1.0
    return rng.random((n, k)) * 2


def _twins(act: str, cost: str, k: int, lib: Library) -> tuple[Network, Network]:
    net = Network([4, 5, 3, k], act, cost=cost, random_state=1)
    return net, net.copy().move_to(lib.like())


@LIBRARIES
@pytest.mark.parametrize(("act", "cost", "k"), PAIRS)
def test_costs_and_gradients_equal_numpy(rng, act, cost, k, lib):
    net, twin = _twins(act, cost, k, lib)
    X, Y = rng.normal(size=(9, 4)), _targets(rng, cost, 9, k)
    w = rng.random(9)
    c, g = net.cost_and_gradient(X, Y)
    c_t, g_t = twin.cost_and_gradient(lib(X), lib(Y))
    assert lib.holds(g_t) and g_t is twin.grads
    assert abs(c - c_t) <= TOL * max(1.0, abs(c))
    np.testing.assert_allclose(lib.host(g_t), g, rtol=0, atol=TOL)
    # the views of the flat gradient are what the optimisers read
    np.testing.assert_allclose(lib.host(twin.dW[0]), net.dW[0], rtol=0, atol=TOL)
    net.forward(X)
    twin.forward(lib(X))
    np.testing.assert_allclose(lib.host(twin.backward(lib(Y), w)), net.backward(Y, w),
                               rtol=0, atol=TOL)
    out = twin.predict(lib(X))
    assert lib.holds(out)
    np.testing.assert_allclose(lib.host(out), net.predict(X), rtol=0, atol=TOL)
    np.testing.assert_allclose(lib.host(twin.cost_per_example(lib(X), lib(Y))),
                               net.cost_per_example(X, Y), rtol=0, atol=TOL)


@LIBRARIES
@pytest.mark.parametrize(("act", "cost", "k"), PAIRS)
def test_gradient_check_passes_on_another_library(rng, act, cost, k, lib):
    _, twin = _twins(act, cost, k, lib)
    X, Y = rng.normal(size=(6, 4)), _targets(rng, cost, 6, k)
    result = check_network_gradient(twin, lib(X), lib(Y))
    assert result.passed, result.summary()
    # a wrong gradient fails: the check reads the moved network's own backward pass
    twin.W[0][0, 0] += 1.0
    twin.forward(lib(X))
    good = lib.host(twin.backward(lib(Y))).copy()
    assert check_gradient_of(twin, X, Y, good)


def check_gradient_of(net: Network, X: np.ndarray, Y: np.ndarray, g: np.ndarray) -> bool:
    from chainrule.nn import check_gradient

    host = net.copy().move_to(None)

    def f(theta):
        host.forward(X)
        return host.cached_cost(Y)

    bad = g.copy()
    bad[0] += 0.5
    return bool(check_gradient(f, g, host.params).passed) and \
        not check_gradient(f, bad, host.params).passed


@LIBRARIES
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_has_a_portable_twin(name, lib):
    Network([2, 3, 2], "tanh", output_activation=name).move_to(lib.like())


@LIBRARIES
@pytest.mark.parametrize(("name", "options"), [("gd", {}), ("sgd", {}),
                                                ("sgd", {"nesterov": True}), ("adam", {})])
def test_optimiser_steps_equal_numpy(rng, name, options, lib):
    theta = rng.normal(size=40)
    theta_t = lib(theta.copy())
    a, b = get_optimizer(name, **options), get_optimizer(name, **options)
    for _ in range(25):
        g = rng.normal(size=40)
        a.step(theta, g)
        b.step(theta_t, lib(g))
    np.testing.assert_allclose(lib.host(theta_t), theta, rtol=0, atol=TOL)
    state = b.state_dict()  # host copies, as a checkpoint stores them
    assert all(isinstance(v, np.ndarray) for k, v in state.items() if k in b.state_buffers)
    # loaded back, the state goes to the device of the parameters at the next step
    c = get_optimizer(name, **options)
    c.load_state_dict(state)
    g = rng.normal(size=40)
    c.step(theta_t, lib(g))
    a.step(theta, g)
    assert lib.holds(theta_t)
    np.testing.assert_allclose(lib.host(theta_t), theta, rtol=0, atol=TOL)


@LIBRARIES
def test_float32_stays_float32(lib):
    net = Network([3, 4, 2], dtype="float32", random_state=0).move_to(lib.like())
    assert lib.holds(net.params) and lib.host(net.params).dtype == np.float32
    out = net.predict(lib(np.ones((5, 3))))  # float64, converted once, on the device
    assert lib.holds(out) and lib.host(out).dtype == np.float32 and out.shape == (5, 2)


@LIBRARIES
def test_views_share_the_flat_parameters(lib):
    net = Network([2, 3, 1], random_state=0).move_to(lib.like())
    net.params[:] = 0.5
    assert float(net.W[1][0, 2]) == 0.5 and float(net.b[0][1]) == 0.5
    net.dW[1][0, 1] = 2.0  # the backward pass writes through the views, optimisers read flat
    assert float(net.grads[net.flat_index("W2[0,1]")]) == 2.0
    back = net.copy().move_to(None)
    assert isinstance(back.params, np.ndarray) and (back.params == 0.5).all()


@LIBRARIES
def test_a_pickled_network_stays_where_it_was(lib):
    import pickle

    net = Network([2, 3, 1], random_state=0).move_to(lib.like())
    again = pickle.loads(pickle.dumps(net))
    assert lib.holds(again.params)
    np.testing.assert_array_equal(lib.host(again.params), lib.host(net.params))


def test_mixed_libraries_are_refused_by_name():
    net = Network([2, 3, 1], random_state=0)
    with pytest.raises(DataError, match=r"X: torch arrays on cpu, but the network's "
                                        r"parameters are NumPy arrays on the host"):
        net.predict(torch.ones(4, 2))
    net.move_to(torch.zeros(1))
    with pytest.raises(DataError, match=r"X: NumPy arrays on the host, but .* torch"):
        net.predict(np.ones((4, 2)))
    with pytest.raises(DataError, match="X: contains NaN at row 0, column 0"):
        net.predict(torch.full((4, 2), float("nan")))
    with pytest.raises(ConfigError, match="chain_rule: works on the host"):
        net.chain_rule([0.0, 1.0], [1.0], "W1[0,0]")


def test_namespace_helpers():
    assert is_numpy(np.ones(2), [1, 2], None, 3.0)
    assert not is_numpy(np.ones(2), torch.ones(2))
    assert not is_numpy(STRICT(np.ones(2)))
    assert array_namespace(np.ones(2)) is None
    ns = array_namespace(torch.ones(2))
    assert ns.name == "torch" and str(ns.device) == "cpu"
    assert isinstance(to_numpy(torch.ones(2)), np.ndarray)
    ns = array_namespace(STRICT(np.ones(2)))
    assert ns.name == "array_api_strict" and ns.device == STRICT.device
    back = to_numpy(STRICT(np.arange(3.0)))  # through DLPack
    assert isinstance(back, np.ndarray) and back.tolist() == [0.0, 1.0, 2.0]


def test_numpy_path_imports_no_array_api_compat():
    code = ("import numpy as np, sys; from chainrule.nn import Network; "
            "from chainrule.optim import get_optimizer; "
            "net = Network([2, 3, 1], random_state=0); o = get_optimizer('adam'); "
            "net.cost_and_gradient(np.ones((4, 2)), np.ones((4, 1))); o.step(net.params, "
            "net.grads); print('array_api_compat' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]


@LIBRARIES
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "gd"])
def test_fit_on_another_library_equals_fit_on_numpy(rng, optimizer, lib):
    from chainrule.train import fit

    X, Y = rng.normal(size=(120, 4)), np.eye(3)[rng.integers(0, 3, 120)]
    w = rng.random(120)
    net = Network([4, 8, 3], "relu", cost="cross_entropy", random_state=0)
    twin = net.copy()
    options = {"epochs": 12, "batch_size": 32, "optimizer": optimizer, "l2": 1e-3,
               "random_state": 0, "validation_split": 0.2, "early_stopping": True,
               "sample_weight": w}
    h = fit(net, X, Y, **options)
    h_t = fit(twin, lib(X), lib(Y), **options)
    assert lib.holds(twin.params)  # trained where the data live
    np.testing.assert_allclose(lib.host(twin.params), net.params, rtol=0, atol=TOL)
    np.testing.assert_allclose(h_t.cost, h.cost, rtol=TOL, atol=0)
    np.testing.assert_allclose(h_t.val_cost, h.val_cost, rtol=TOL, atol=0)
    assert h_t.accuracy == h.accuracy


def test_fit_says_what_stays_on_the_host(rng, tmp_path):
    from chainrule.train import fit

    X, Y = torch.asarray(rng.normal(size=(20, 2))), torch.asarray(rng.random((20, 1)))
    net = Network([2, 3, 1], random_state=0)
    with pytest.raises(ConfigError, match=r"optimizer: 'lbfgs' runs in SciPy on the host; "
                                          r"X is torch on cpu"):
        fit(net, X, Y, epochs=2, optimizer="lbfgs")
    with pytest.raises(ConfigError, match="checkpoint: checkpoints are written for NumPy"):
        fit(net, X, Y, epochs=2, checkpoint=tmp_path / "run.ckpt")
    with pytest.raises(DataError, match=r"y: NumPy arrays on the host, but .* torch"):
        fit(net, X, Y.numpy(), epochs=2)


def test_device_benchmark_without_cuda_says_so_and_exits_2():
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--device", "cuda"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert "no CUDA device on this machine" in out.stderr and out.stdout == ""


@LIBRARIES
def test_divergence_is_found_and_undone_as_on_numpy(rng, lib):
    from chainrule.errors import DivergenceError
    from chainrule.train import fit

    X, Y = rng.normal(size=(64, 3)) * 1e3, rng.normal(size=(64, 1)) * 1e3
    net = Network([3, 4, 1], "identity", random_state=0)
    twin = net.copy()
    options = {"epochs": 4, "batch_size": 8, "optimizer": "gd", "learning_rate": 10.0,
               "random_state": 0}
    with pytest.raises(DivergenceError) as on_numpy:
        fit(net, X, Y, **options)
    with pytest.raises(DivergenceError) as there:
        fit(twin, lib(X), lib(Y), **options)
    assert on_numpy.value.batch is not None and on_numpy.value.batch > 0  # mid-epoch
    assert str(there.value) == str(on_numpy.value)
    assert (there.value.epoch, there.value.batch) == (on_numpy.value.epoch,
                                                      on_numpy.value.batch)
    assert lib.holds(twin.params)
    np.testing.assert_allclose(lib.host(twin.params), net.params, rtol=0, atol=TOL)


def _reads_and_copies(monkeypatch, rng, batch_size: int) -> tuple[int, int]:
    """How many times a 2-epoch fit on torch reads a tensor back to the host, and copies
    an array from the host, with this batch size."""
    from chainrule.train import fit
    from chainrule.utils.namespace import Namespace

    counts = [0, 0]

    def counted(original, i):
        def wrapper(*args, **kwargs):
            counts[i] += 1
            return original(*args, **kwargs)
        return wrapper

    X = torch.asarray(rng.normal(size=(64, 3)))
    Y = torch.asarray(np.eye(2)[rng.integers(0, 2, 64)])
    net = Network([3, 4, 2], "relu", cost="cross_entropy", random_state=0).move_to(X)
    with monkeypatch.context() as m:
        for name in ("__float__", "__int__", "__bool__", "__array__", "item", "tolist"):
            m.setattr(torch.Tensor, name, counted(getattr(torch.Tensor, name), 0))
        m.setattr(Namespace, "asarray", counted(Namespace.asarray, 1))
        fit(net, X, Y, epochs=2, batch_size=batch_size, optimizer="sgd", l2=1e-3,
            validation_split=0.25, random_state=0)
    return counts[0], counts[1]


def test_fit_on_torch_reads_back_once_an_epoch_not_once_a_step(monkeypatch, rng):
    # 2 and 12 steps an epoch: the reads to the host and the copies from it are the same
    # (on a GPU each would wait for the device's queue to drain)
    few = _reads_and_copies(monkeypatch, np.random.default_rng(0), 24)
    many = _reads_and_copies(monkeypatch, np.random.default_rng(0), 4)
    assert few[0] > 0 and few[1] > 0  # the counters see what fit does
    assert many == few
