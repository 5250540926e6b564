"""PyTorch tensors that are not plain dense data: what each entry point does with them.

Every entry point (the estimators' fit, predict and score, ``Model.fit``/``predict``,
``train.fit``, ``Network.predict``) takes a tensor that records gradients as data (its
``detach()``: the same numbers, no copy, results outside the caller's graph) and refuses,
naming the argument in one short sentence, what holds no real dense numbers: complex
tensors, sparse layouts, tensors on the ``meta`` device.  ``load_model(device=...)`` and
``Model.to`` accept the devices a model can compute on, and nothing else.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
import torch

from chainrule import ConfigError, DataError, Model, Network, load_model
from chainrule.estimators import MLPClassifier, MLPRegressor
from chainrule.train import fit as train_fit

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EST = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
FIT = dict(epochs=3, learning_rate=0.1, batch_size=8, random_state=0)


@pytest.fixture
def dispatch(monkeypatch):
    """scikit-learn's array_api_dispatch on (it asks for SCIPY_ARRAY_API=1 first)."""
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with sklearn.config_context(array_api_dispatch=True):
        yield


@pytest.fixture
def data(rng) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """X (40, 3), class labels (40,) and one-hot targets (40, 2), as tensors."""
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    return torch.asarray(X), torch.asarray(y), torch.asarray(np.eye(2)[y])


def graph(a: torch.Tensor) -> torch.Tensor:
    """A copy of ``a`` that records gradients (a leaf of an autograd graph)."""
    return a.clone().requires_grad_(True)


def sparse_layouts(X: torch.Tensor) -> list[torch.Tensor]:
    with warnings.catch_warnings():  # torch calls its CSR layout beta when making one
        warnings.simplefilter("ignore", UserWarning)
        return [X.to_sparse(), X.to_sparse_csr()]


def plain(out: object) -> torch.Tensor:
    """``out``, checked to be a tensor outside any autograd graph."""
    assert isinstance(out, torch.Tensor)
    assert not out.requires_grad and out.grad_fn is None
    return out


def fresh() -> Network:
    return Network([3, 4, 2], "tanh", cost="cross_entropy", random_state=0)


def one_line(exc: pytest.ExceptionInfo) -> str:
    """The message, checked to be one short sentence with none of torch's own text."""
    text = str(exc.value)
    assert "\n" not in text and len(text) < 200, text
    assert "aten::" not in text and "backend" not in text, text
    return text


# -- 1. complex tensors -------------------------------------------------------------------

def test_the_estimators_refuse_a_complex_tensor_naming_it(data, dispatch):
    X, y, _ = data
    with pytest.raises(DataError, match=r"^X: expected real numbers, got torch.complex128$"):
        MLPClassifier(**EST).fit(X.to(torch.complex128), y)
    with pytest.raises(DataError, match=r"^y: expected real numbers, got torch.complex64$"):
        MLPRegressor(**EST).fit(X, y.to(torch.complex64))
    est = MLPRegressor(**EST).fit(X, y.double())
    with pytest.raises(DataError, match=r"^X: expected real numbers, got torch.complex128$"):
        est.predict(X.to(torch.complex128))


def test_the_engine_and_the_model_refuse_a_complex_tensor_naming_it(data):
    X, y, Y = data
    Xc = X.to(torch.complex128)
    with pytest.raises(DataError, match=r"^X: expected real numbers"):
        train_fit(fresh(), Xc, Y, **FIT)
    with pytest.raises(DataError, match=r"^X: expected real numbers"):
        Model(fresh()).fit(Xc, y, **FIT)


# -- 2. tensors that record gradients --------------------------------------------------------

def test_the_estimators_take_tensors_that_record_gradients_as_data(data, dispatch):
    X, y, _ = data
    ref = MLPClassifier(**EST).fit(X, y)
    est = MLPClassifier(**EST).fit(graph(X), y, sample_weight=graph(torch.ones(40).double()))
    Xg = graph(X)
    assert torch.equal(plain(est.predict_proba(Xg)), ref.predict_proba(X))
    assert torch.equal(plain(est.predict(Xg)), ref.predict(X))
    assert est.score(Xg, y) == ref.score(X, y)
    reg_ref = MLPRegressor(**EST).fit(X, y.double())
    reg = MLPRegressor(**EST).fit(graph(X), graph(y.double()))
    assert torch.equal(plain(reg.predict(Xg)), reg_ref.predict(X))
    assert reg.score(Xg, graph(y.double())) == reg_ref.score(X, y.double())
    assert Xg.grad is None and torch.equal(Xg, X)  # the caller's tensor untouched


def test_with_dispatch_off_tensors_that_record_gradients_become_numpy(data):
    X, y, _ = data
    ref = MLPRegressor(**EST).fit(X.numpy(), y.numpy() * 1.0)
    est = MLPRegressor(**EST).fit(graph(X), graph(y.double()))
    out = est.predict(graph(X))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, ref.predict(X.numpy()))
    assert est.score(graph(X), graph(y.double())) == ref.score(X.numpy(), y.numpy() * 1.0)


def test_the_model_takes_tensors_that_record_gradients_as_data(data):
    X, y, _ = data
    ref = Model(fresh()).fit(X, y, task="classification", **FIT)
    model = Model(fresh()).fit(graph(X), y, task="classification", **FIT)
    assert torch.equal(model.network.params, ref.network.params)
    Xg = graph(X)
    assert torch.equal(plain(model.outputs(Xg)), ref.outputs(X))
    assert torch.equal(plain(model.predict_proba(Xg)), ref.predict_proba(X))
    assert torch.equal(model.predict(Xg), ref.predict(X))
    assert model.evaluate(Xg, y) == ref.evaluate(X, y)
    net = Network([3, 4, 1], "tanh", random_state=0)
    reg_ref = Model(net.copy()).fit(X, X[:, :1] * 2, **FIT)
    reg = Model(net.copy()).fit(graph(X), graph(X[:, :1] * 2), **FIT)
    assert torch.equal(plain(reg.predict(Xg)), reg_ref.predict(X))


def test_train_fit_takes_tensors_that_record_gradients_as_data(data):
    X, _, Y = data
    ref, net = fresh().move_to(X), fresh()
    train_fit(ref, X, Y, sample_weight=torch.ones(40), **FIT)
    Xg, Yg = graph(X), graph(Y)
    history = train_fit(net, Xg, Yg, sample_weight=graph(torch.ones(40)),
                        validation_data=(graph(X[:8]), graph(Y[:8])), **FIT)
    assert torch.equal(net.params, ref.params) and len(history.cost) == FIT["epochs"]
    assert not net.params.requires_grad
    assert torch.equal(plain(net.predict(Xg)), ref.predict(X))
    assert Xg.grad is None and torch.equal(Xg, X) and torch.equal(Yg, Y)


# -- 3. sparse tensors ----------------------------------------------------------------------

def test_every_entry_point_refuses_a_sparse_tensor_naming_x(data, dispatch):
    X, y, Y = data
    model = Model(fresh()).fit(X, y, task="classification", **FIT)
    est = MLPClassifier(**EST).fit(X, y)
    for Xs in sparse_layouts(X):
        calls = [(MLPClassifier(**EST).fit, Xs, y), (est.predict, Xs),
                 (Model(fresh()).fit, Xs, y), (model.predict, Xs),
                 (train_fit, fresh(), Xs, Y), (model.network.predict, Xs)]
        for call, *args in calls:
            with pytest.raises(DataError, match=r"^X: a tensor of layout torch.sparse_c\w\w; "
                                                r".*give X.to_dense\(\)$") as exc:
                call(*args)
            one_line(exc)
    with sklearn.config_context(array_api_dispatch=False), \
            pytest.raises(DataError, match=r"^X: a tensor of layout torch.sparse_coo"):
        MLPClassifier(**EST).fit(X.to_sparse(), y)


def test_scipy_sparse_rows_still_train_the_estimators(data):
    X, y, _ = data
    dense = MLPClassifier(**EST).fit(X.numpy(), y.numpy())
    rows = MLPClassifier(**EST).fit(sp.csr_matrix(X.numpy()), y.numpy())
    np.testing.assert_allclose(rows.predict_proba(sp.csr_matrix(X.numpy())),
                               dense.predict_proba(X.numpy()), rtol=0, atol=1e-12)


# -- 4. devices ------------------------------------------------------------------------

@pytest.fixture
def model_file(data, tmp_path):
    X, y, _ = data
    return Model(fresh()).fit(X.numpy(), y.numpy(), task="classification", **FIT).save(
        tmp_path / "m.safetensors")


@pytest.mark.parametrize("device", ["meta", "cpu:7", "xla", torch.device("meta"), 0])
def test_load_model_refuses_devices_a_model_cannot_compute_on(model_file, device):
    with pytest.raises(ConfigError, match=r"^device: expected 'cpu', 'cuda', 'cuda:N', a "
                                          r"torch.device or None \(NumPy\), got ") as exc:
        load_model(model_file, device=device)
    one_line(exc)


def test_an_unavailable_mps_device_is_refused_in_one_sentence(model_file, monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ConfigError, match=r"^device: 'mps' is not available here \(PyTorch "
                                          r"sees no MPS device\)$") as exc:
        load_model(model_file, device="mps")
    one_line(exc)


def test_model_to_checks_like(model_file):
    model = load_model(model_file)
    with pytest.raises(ConfigError, match=r"^like: a tensor on 'meta'; expected a tensor on "
                                          r"'cpu'"):
        model.to(like=torch.empty(0, device="meta"))
    with pytest.raises(ConfigError, match=r"^like: expected an array of the library and "
                                          r"device wanted .*got list$"):
        model.to(like=[1.0])
    assert isinstance(model.network.params, np.ndarray)  # nothing moved
    assert model.to(like=np.zeros(1)).network.namespace is None
    assert model.to(like=torch.zeros(1)).network.namespace.name == "torch"


def test_a_meta_tensor_is_refused_as_x_holding_no_data(data, dispatch):
    X, y, Y = data
    on_meta = X.to("meta")
    model = Model(fresh()).fit(X, y, task="classification", **FIT)
    est = MLPClassifier(**EST).fit(X, y)
    for call in [lambda: MLPClassifier(**EST).fit(on_meta, y), lambda: est.predict(on_meta),
                 lambda: Model(fresh()).fit(on_meta, y, **FIT), lambda: model.predict(on_meta),
                 lambda: train_fit(fresh(), on_meta, Y, **FIT),
                 lambda: train_fit(fresh().move_to(X), X, Y, validation_data=(on_meta, Y))]:
        with pytest.raises(DataError, match=r"^(X|validation_data): a tensor on device 'meta', "
                                            r"which holds no data") as exc:
            call()
        one_line(exc)


# -- 5. dtypes and words -------------------------------------------------------------------

def test_model_outputs_are_in_the_networks_dtype_for_numpy_and_tensors_alike(data):
    X, y, _ = data
    for dtype in (np.float64, np.float32):
        net = Network([3, 4, 2], "tanh", cost="cross_entropy", random_state=0, dtype=dtype)
        host = Model(net).fit(X.numpy(), y.numpy(), task="classification", **FIT)
        device = Model(host.network.copy(), scaler=host.scaler,
                       classes=host.classes).to("cpu")
        for given in (torch.float32, torch.float64):
            want = host.outputs(X.to(given).numpy())
            got = device.outputs(X.to(given))
            assert want.dtype == np.dtype(dtype) and got.dtype == getattr(torch, want.dtype.name)
            # the host keeps float32 rows float32 when it scales them, the device scales in
            # float64: the same outputs to float32's rounding
            coarse = given == torch.float32 or dtype == np.float32
            np.testing.assert_allclose(got.numpy(), want, rtol=0,
                                       atol=1e-6 if coarse else 1e-12)


def test_an_array_like_on_the_host_is_named_as_what_it_is(data, dispatch):
    X, y, _ = data
    rows = X.numpy().tolist()
    model = Model(fresh()).fit(X, y, task="classification", **FIT)
    with pytest.raises(DataError, match=r"^X: a list \(an array-like NumPy reads\), but the "
                                        r"model is torch on cpu"):
        model.predict(rows)
    with pytest.raises(DataError, match=r"^X: a list \(an array-like NumPy reads\) on the "
                                        r"host, but the network's parameters are torch"):
        model.network.predict(rows)
    est = MLPClassifier(**EST).fit(X, y)
    with pytest.raises(DataError, match=r"fitted on torch arrays on cpu, X is a list"):
        est.predict(rows)
    with pytest.raises(DataError, match=r"^X: NumPy arrays, but the model is torch"):
        model.predict(X.numpy())  # a NumPy array is still called one


# -- targets and weights are checked as X is ------------------------------------------------

def unreadable(a: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """``a`` on meta, sparse and complex, with the start of each refusal's reason."""
    return [(a.to("meta"), "a tensor on device 'meta', which holds no data"),
            (a.to_sparse(), r"a tensor of layout torch.sparse_coo; .*to_dense\(\)"),
            (a.to(torch.complex128), "expected real numbers, got torch.complex128")]


def test_targets_and_weights_that_hold_no_real_dense_numbers_are_refused_by_name(data,
                                                                                dispatch):
    X, y, Y = data
    model = Model(fresh()).fit(X, y, task="classification", **FIT)
    ones = torch.ones(40, dtype=torch.float64)
    for bad, why in unreadable(y.double()):
        for call in [partial(Model(fresh()).fit, X, bad, **FIT),
                     partial(Model(fresh()).fit, X.numpy(), bad, **FIT),
                     partial(model.evaluate, X, bad), partial(MLPRegressor(**EST).fit, X, bad)]:
            with pytest.raises(DataError, match=rf"^y: {why}"):
                call()
    for bad, why in unreadable(Y):
        with pytest.raises(DataError, match=rf"^y: {why}"):
            train_fit(fresh(), X, bad, **FIT)
    for bad, why in unreadable(ones):
        for call in [partial(train_fit, fresh(), X, Y, sample_weight=bad, **FIT),
                     partial(MLPRegressor(**EST).fit, X, y.double(), sample_weight=bad)]:
            with pytest.raises(DataError, match=rf"^sample_weight: {why}"):
                call()


def test_weights_that_record_gradients_weigh_numpy_rows_as_plain_ones(data):
    X, _, Y = data
    ref, net = fresh(), fresh()
    w = torch.linspace(0.5, 2.0, 40, dtype=torch.float64)
    train_fit(ref, X.numpy(), Y.numpy(), sample_weight=w.numpy(), **FIT)
    train_fit(net, X.numpy(), Y.numpy(), sample_weight=graph(w),
              validation_data=(X.numpy()[:8], Y.numpy()[:8], graph(w[:8])), **FIT)
    np.testing.assert_array_equal(net.params, ref.params)
