"""The faces next to the tensor path: Dask training, interop, landscapes, ledgers, plots,
and Model.fit's validation data (encoded and scaled as the training data are)."""

from __future__ import annotations

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
import pytest
import sklearn
import torch
from distributed import Client, LocalCluster

import chainrule
from chainrule import Model, Network, distributed, interop, viz
from chainrule.errors import ConfigError, DataError, ShapeError
from chainrule.estimators import MLPClassifier


def net(n_in: int = 4, k: int = 2) -> Network:
    return Network([n_in, 5, k], ["tanh", "softmax"], cost="cross_entropy", random_state=0)


@pytest.fixture
def data(rng):
    X = rng.normal(size=(100, 4))
    y = (X[:, 0] > 0).astype(np.int64)
    return X, y, np.eye(2)[y]


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                           dashboard_address=None)
    with cluster, Client(cluster) as c:
        yield c


# -- 1. Dask training takes NumPy chunks: tensors and device networks refused by name ----


DASK_REFUSAL = "training with Dask computes on NumPy chunks on the workers"


def test_distributed_fit_refuses_tensors_and_a_device_network_by_name(data):
    X, _, Y = data
    Xt, Yt = torch.asarray(X), torch.asarray(Y)
    Xd, Yd = da.from_array(X, chunks=50), da.from_array(Y, chunks=50)
    # the tensors went to the host and trained a NumPy network, silently
    network = net()
    with pytest.raises(DataError, match=f"^X: a torch Tensor; {DASK_REFUSAL}"):
        distributed.fit(network, Xt.float(), Yt.float(), workers=1, optimizer="lbfgs")
    assert network.namespace is None and network.dtype == np.float64  # untouched
    # a misleading "y: has 2 partitions but X has 1"
    with pytest.raises(DataError, match=f"^y: a torch Tensor; {DASK_REFUSAL}"):
        distributed.fit(net(), Xd, Yt, workers=1)
    with pytest.raises(DataError, match=r"^validation_data's X_val: a torch Tensor"):
        distributed.fit(net(), Xd, Yd, workers=1, validation_data=(Xt, Yd))
    # AttributeError: 'Tensor' object has no attribute 'copy'
    moved = net().move_to(Xt)
    with pytest.raises(ConfigError, match=r"^network: its parameters are torch arrays on "
                                          r"cpu; .*call network.move_to\(None\) first"):
        distributed.fit(moved, Xd, Yd, workers=1)
    assert moved.namespace is not None  # refused, not moved


def test_distributed_fit_trains_a_network_moved_back_to_the_host(client, data):
    X, _, Y = data
    moved = net().move_to(torch.asarray(X)).move_to(None)
    history = distributed.fit(moved, da.from_array(X, chunks=50), da.from_array(Y, chunks=50),
                              client=client, epochs=2, batch_size=None, learning_rate=0.1)
    reference = net()
    chainrule.fit(reference, X, Y, epochs=2, batch_size=None, learning_rate=0.1)
    assert len(history.cost) == 2
    np.testing.assert_allclose(moved.params, reference.params, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dispatch", [True, False])
def test_estimators_refuse_a_tensor_next_to_a_dask_collection(client, data, monkeypatch,
                                                              dispatch):
    X, y, _ = data
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    Xd, yd = da.from_array(X, chunks=50), da.from_array(y, chunks=50)
    with sklearn.config_context(array_api_dispatch=dispatch):
        # AttributeError: 'Tensor' object has no attribute 'map_blocks'
        with pytest.raises(DataError, match=f"^y: a torch Tensor; {DASK_REFUSAL}"):
            MLPClassifier(max_iter=3, random_state=0).fit(Xd, torch.asarray(y))
        # ShapeError: y: has 2 partitions but X has 1
        with pytest.raises(DataError, match=f"^X: a torch Tensor; {DASK_REFUSAL}"):
            MLPClassifier(max_iter=3, random_state=0).fit(torch.asarray(X), yd)


# -- 2. host-only helpers on a network moved to torch: read to the host ------------------


def test_to_sklearn_reads_a_device_network_to_the_host(data):
    X, _, _ = data
    moved = net().move_to(torch.asarray(X))
    est = interop.to_sklearn(moved)
    assert all(isinstance(W, np.ndarray) for W in est.coefs_ + est.intercepts_)
    np.testing.assert_allclose(est.predict_proba(X), net().predict(X), rtol=1e-12)
    assert isinstance(moved.W[0], torch.Tensor)  # the network stays where it was


def test_landscapes_of_a_device_network_are_computed_on_a_host_copy(data):
    X, _, Y = data
    Xt, Yt = torch.asarray(X), torch.asarray(Y)
    moved = net().move_to(Xt)
    before = moved.params.clone()
    land = chainrule.nn.cost_surface(moved, Xt, Yt, "W1[0,0]", "b1[0]", np.linspace(-1, 1, 5),
                                     np.linspace(-1, 1, 4))
    host = chainrule.nn.cost_surface(net(), X, Y, "W1[0,0]", "b1[0]", np.linspace(-1, 1, 5),
                                     np.linspace(-1, 1, 4))
    np.testing.assert_array_equal(land.C, host.C)
    field = chainrule.nn.gradient_field(moved, Xt, Yt, x_values=[0.0, 1.0], y_values=[0.0])
    np.testing.assert_array_equal(
        field.dC_dx, chainrule.nn.gradient_field(net(), X, Y, x_values=[0.0, 1.0],
                                                 y_values=[0.0]).dC_dx)
    path = chainrule.nn.descent_path(moved, Xt, Yt, n_steps=3)
    np.testing.assert_array_equal(path.points,
                                  chainrule.nn.descent_path(net(), X, Y, n_steps=3).points)
    np.testing.assert_array_equal(chainrule.nn.gradient_rms(moved, Xt, Yt),
                                  chainrule.nn.gradient_rms(net(), X, Y))
    assert isinstance(moved.params, torch.Tensor) and torch.equal(moved.params, before)


def test_explain_a_device_network_on_tensors(data):
    X, y, Y = data
    Xt = torch.asarray(X)
    moved = net().move_to(Xt)
    expected = chainrule.nn.explain(net(), X[:5], Y[:5], "b1[0]")
    # it said "X: NumPy arrays on the host, but the network's parameters are torch"
    ledger = chainrule.nn.explain(moved, Xt[:5], torch.asarray(Y[:5]), "b1[0]")
    assert ledger.value == expected.value and ledger.backprop == expected.backprop
    labels = viz.explain(moved, Xt[:5], torch.asarray(y[:5]), "b1[0]")
    assert labels.value == expected.value
    assert isinstance(moved.W[0], torch.Tensor)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_plots_of_a_device_model_read_its_predictions_to_the_host(rng, monkeypatch):
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    Xt, yt = torch.asarray(X), torch.asarray(y)
    model = Model(net(2)).fit(Xt, yt, epochs=2, random_state=0)
    assert model.network.namespace is not None
    host = Model(model.network.copy().move_to(None), scaler=model.scaler,
                 classes=model.classes)
    try:
        # it said "X: NumPy arrays, but the model is torch"
        ax = viz.plot_decision_regions(model, Xt, yt, resolution=20)
        ref = viz.plot_decision_regions(host, X, y, resolution=20)
        np.testing.assert_array_equal(ax.images[-1].get_array(), ref.images[-1].get_array())
        assert model.network.namespace is not None  # the model stays on its device
        monkeypatch.setenv("SCIPY_ARRAY_API", "1")
        with sklearn.config_context(array_api_dispatch=True):
            est = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(Xt, yt)
        assert isinstance(est.coefs_[0], torch.Tensor)
        ax = viz.plot_decision_regions(est, Xt, yt, resolution=20)
        assert ax.images[-1].get_array().shape == (20, 20, 3)
        # it said "fitted: expected a fitted chainrule estimator ..., got Tensor"
        ax = viz.plot_fit_1d(Xt[:, 0], Xt[:, 1], 0.5 * Xt[:, 1])
        np.testing.assert_array_equal(np.sort(ax.lines[-1].get_xdata()), np.sort(X[:, 0]))
        np.testing.assert_allclose(ax.lines[-1].get_ydata(), 0.5 * X[np.argsort(X[:, 0]), 1])
    finally:
        plt.close("all")


# -- 3. Model.fit's validation data: encoded and scaled as y and X are ------------------


@pytest.mark.parametrize("kind", ["int", "text"])
def test_model_fit_encodes_and_scales_validation_data(data, kind):
    X, y, _ = data
    labels = y if kind == "int" else np.array(["no", "yes"])[y]
    Xr = 10 * X + 3  # scaled by the model
    model = Model(net()).fit(Xr[:80], labels[:80], validation_data=(Xr[80:], labels[80:]),
                             epochs=3, random_state=0)
    val_cost = model.history.to_dict()["val_cost"][-1]
    after = model.evaluate(Xr[80:], labels[80:])
    assert val_cost == pytest.approx(after.cost, rel=1e-12)
    assert model.history.to_dict()["val_accuracy"][-1] == pytest.approx(after.accuracy)


@pytest.mark.parametrize("kind", ["tensor", "numpy", "text"])
def test_model_fit_validation_data_next_to_tensor_x(data, kind):
    X, y, _ = data
    Xt = torch.asarray(10 * X + 3)
    labels = {"tensor": torch.asarray(y), "numpy": y, "text": np.array(["no", "yes"])[y]}[kind]
    model = Model(net()).fit(Xt[:80], labels[:80], validation_data=(Xt[80:], labels[80:]),
                             epochs=3, random_state=0)
    after = model.evaluate(Xt[80:], labels[80:])
    assert model.history.to_dict()["val_cost"][-1] == pytest.approx(after.cost, rel=1e-12)
    host = Model(net()).fit(10 * X[:80] + 3, np.asarray(labels[:80]), epochs=3,
                            random_state=0)
    assert after.cost == pytest.approx(host.evaluate(10 * X[80:] + 3, np.asarray(labels[80:]))
                                       .cost, rel=1e-9)


def test_model_fit_copies_validation_data_to_where_x_is(data):
    """As train.fit does: X_val of another library is copied to X's, explicitly."""
    X, y, _ = data
    Xt = torch.asarray(X)
    runs = [Model(net()).fit(Xt[:80], y[:80], validation_data=(Xv, y[80:]), epochs=2,
                             random_state=0) for Xv in (Xt[80:], X[80:])]
    assert runs[0].history.to_dict()["val_cost"] == runs[1].history.to_dict()["val_cost"]
    runs = [Model(net()).fit(X[:80], y[:80], validation_data=(Xv, y[80:]), epochs=2,
                             random_state=0) for Xv in (X[80:], Xt[80:])]
    assert runs[0].history.to_dict()["val_cost"] == runs[1].history.to_dict()["val_cost"]
    assert isinstance(runs[1].network.params, np.ndarray)


@pytest.mark.parametrize("lib", ["numpy", "torch"])
def test_model_train_scales_validation_inputs_as_it_scales_x(data, lib):
    """Model.train takes X not yet scaled and network targets; X_val is scaled the same."""
    X, y, Y = data
    Xr = 10 * X + 3
    model = Model(net())
    A, T, _ = model.prepare(Xr[:80], y[:80], task="classification")
    to = torch.asarray if lib == "torch" else np.asarray
    model.train(to(A), to(T), validation_data=(to(Xr[80:]), to(Y[80:])), epochs=3,
                random_state=0)
    after = model.evaluate(to(Xr[80:]), to(y[80:]))
    assert model.history.to_dict()["val_cost"][-1] == pytest.approx(after.cost, rel=1e-12)


def test_a_refused_model_fit_on_tensors_leaves_the_network_where_it_was(data):
    X, y, _ = data
    model = Model(net())
    start = model.network.params.copy()
    with pytest.raises(ShapeError, match=r"^y: has 99 examples \(rows\) but X has 100"):
        model.fit(torch.asarray(X), y[:99], epochs=1)
    assert isinstance(model.network.params, np.ndarray)  # still NumPy, unchanged
    np.testing.assert_array_equal(model.network.params, start)
    on_torch = Model(net()).fit(torch.asarray(X), y, epochs=1)
    with pytest.raises(ShapeError):
        on_torch.fit(torch.asarray(X), y[:99], epochs=1)
    assert isinstance(on_torch.network.params, torch.Tensor)
