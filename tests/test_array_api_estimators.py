"""The estimators and the Model on PyTorch tensors (CPU) and array_api_strict's arrays,
through scikit-learn's ``array_api_dispatch`` and ``Model.to`` / ``load_model(device=...)``.

Every result on tensors is compared with the NumPy estimator's or model's on the same
numbers (float64, the same random_state): weights and probabilities agree to 1e-12.  The
tests marked ``@LIBRARIES`` run on array_api_strict too (on its ``device1``), whose arrays
have only what the array API standard promises (tests/namespace_support.py).
The machine running the tests has no GPU; a tensor on PyTorch's ``meta`` device stands
for one that NumPy cannot read (a CUDA tensor), and the same code runs on CUDA.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import sklearn
import torch
from sklearn.utils.estimator_checks import check_array_api_input

from chainrule import ConfigError, DataError, Model, Network, load_model
from chainrule.estimators import MLPClassifier, MLPRegressor
from namespace_support import LIBRARIES, STRICT, TORCH, Library

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TOL = 1e-12


@pytest.fixture
def dispatch(monkeypatch):
    """scikit-learn's array_api_dispatch on (it asks for SCIPY_ARRAY_API=1 first)."""
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with sklearn.config_context(array_api_dispatch=True):
        yield


def classes3(rng: np.random.Generator, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)  # three classes 0, 1, 2
    return X, y


def t(a: np.ndarray) -> torch.Tensor:
    return torch.asarray(a)


def assert_close(ours: object, ref: np.ndarray, lib: Library = TORCH) -> None:
    assert lib.holds(ours), type(ours)
    np.testing.assert_allclose(lib.host(ours), ref, rtol=0, atol=TOL)


def assert_same(ours: object, ref: np.ndarray, lib: Library) -> None:
    assert lib.holds(ours), type(ours)
    np.testing.assert_array_equal(lib.host(ours), ref)


# -- the estimators -------------------------------------------------------------------

OPTIONS = [
    {},
    {"early_stopping": True, "validation_fraction": 0.25, "n_iter_no_change": 2},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.5, "alpha": 0.01},
]


@LIBRARIES
@pytest.mark.parametrize("options", OPTIONS)
def test_an_estimator_fits_and_predicts_on_another_library_with_dispatch(rng, dispatch,
                                                                         options, lib):
    """The acceptance point: fit, predict, predict_proba and score on tensors (or
    array_api_strict's arrays), equal to the NumPy estimator's to 1e-12 in float64,
    answering in the same library, on the same device."""
    X, y = classes3(rng)
    w = rng.random(60) + 0.5
    kw = dict(hidden_layer_sizes=(8,), max_iter=12, random_state=0, **options)
    ref = MLPClassifier(**kw).fit(X, y, sample_weight=w)
    est = MLPClassifier(**kw).fit(lib(X), lib(y), sample_weight=lib(w))
    assert est.network_.namespace.name == lib.name
    for ours, theirs in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_,
                            strict=True):
        assert lib.host(ours).dtype == np.float64
        assert_close(ours, theirs, lib)
    assert_same(est.classes_, [0, 1, 2], lib)
    assert_close(est.predict_proba(lib(X)), ref.predict_proba(X), lib)
    assert_close(est.predict_log_proba(lib(X)), ref.predict_log_proba(X), lib)
    assert_same(est.predict(lib(X)), ref.predict(X), lib)
    score = est.score(lib(X), lib(y), sample_weight=lib(w))
    assert type(score) is float and score == pytest.approx(ref.score(X, y, w), abs=TOL)
    assert est.loss_curve_ == pytest.approx(ref.loss_curve_, abs=TOL)
    assert est.n_iter_ == ref.n_iter_
    if options.get("early_stopping"):
        assert est.validation_scores_ == pytest.approx(ref.validation_scores_, abs=TOL)


@LIBRARIES
def test_binary_and_regressor_on_another_library_equal_numpy(rng, dispatch, lib):
    X = rng.normal(size=(50, 3))
    yb, yr = (X[:, 0] > 0).astype(int), np.c_[X[:, 0] - X[:, 1], X[:, 2] ** 2]
    kw = dict(hidden_layer_sizes=(6,), max_iter=10, random_state=1)
    ref, est = MLPClassifier(**kw).fit(X, yb), MLPClassifier(**kw).fit(lib(X), lib(yb))
    assert_close(est.predict_proba(lib(X)), ref.predict_proba(X), lib)
    assert_same(est.predict(lib(X)), ref.predict(X), lib)
    ref, est = MLPRegressor(**kw).fit(X, yr), MLPRegressor(**kw).fit(lib(X), lib(yr))
    assert_close(est.predict(lib(X)), ref.predict(X), lib)
    assert est.score(lib(X), lib(yr)) == pytest.approx(ref.score(X, yr), abs=TOL)
    one = MLPRegressor(**kw).fit(lib(X), lib(yr[:, 0]))
    assert one.predict(lib(X)).shape == (50,)


@pytest.mark.parametrize("case", ["multilabel", "one-vs-rest", "squared_error", "poisson"])
def test_every_output_kind_on_torch_equals_numpy(rng, dispatch, case):
    X, y = classes3(rng, 50)
    kw = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    if case == "poisson":
        ref = MLPRegressor("poisson", **kw).fit(X, np.abs(X[:, 0]))
        est = MLPRegressor("poisson", **kw).fit(t(X), t(np.abs(X[:, 0])))
        assert_close(est.predict(t(X)), ref.predict(X))
        return
    if case == "multilabel":
        y = (X[:, :3] > 0).astype(int)
    extra = {"one-vs-rest": {"output_activation": "logistic"},
             "squared_error": {"loss": "squared_error"}}.get(case, {})
    ref = MLPClassifier(**kw, **extra).fit(X, y)
    est = MLPClassifier(**kw, **extra).fit(t(X), t(y))
    assert_close(est.predict_proba(t(X)), ref.predict_proba(X))
    assert torch.equal(est.predict(t(X)), t(ref.predict(X)))
    assert est.score(t(X), t(y)) == ref.score(X, y)


@LIBRARIES
def test_predictions_in_several_chunks_are_those_of_one(rng, dispatch, monkeypatch, lib):
    from chainrule.estimators import base

    X, y = classes3(rng)
    est = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(lib(X),
                                                                                 lib(y))
    whole = est.predict_proba(lib(X))
    monkeypatch.setattr(base, "PREDICT_CHUNK", 7)  # 60 rows in 9 forward passes
    assert_close(est.predict_proba(lib(X)), lib.host(whole), lib)  # to rounding
    from chainrule.utils import validation

    model = est.to_model()
    outputs = model.outputs(lib(X))  # one block, its end past the last row
    monkeypatch.setattr(validation, "BLOCK_BYTES", 1)  # the model's blocks: one row each
    assert_close(model.outputs(lib(X)), lib.host(outputs), lib)


def test_pipelines_and_cross_validation_take_tensors(rng, dispatch):
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = classes3(rng)
    est = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    np.testing.assert_allclose(cross_val_score(est, t(X), t(y), cv=3),
                               cross_val_score(est, X, y, cv=3), rtol=0, atol=TOL)
    pipe = make_pipeline(StandardScaler(), est).fit(t(X), t(y))
    assert isinstance(pipe.predict_proba(t(X)), torch.Tensor)


@LIBRARIES
def test_float32_stays_float32_on_another_library(rng, dispatch, lib):
    X, y = classes3(rng)
    X32 = lib(X.astype(np.float32))
    est = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X32, lib(y))
    assert est.network_.dtype == np.float32
    assert all(lib.holds(c) and lib.host(c).dtype == np.float32 for c in est.coefs_)
    P = est.predict_proba(X32)
    assert lib.holds(P) and lib.host(P).dtype == np.float32
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    out = reg.fit(X32, lib(X[:, 0])).predict(X32)
    assert lib.holds(out) and lib.host(out).dtype == np.float32


def test_partial_fit_and_warm_start_continue_on_torch(rng, dispatch):
    X, y = classes3(rng)
    kw = dict(hidden_layer_sizes=(6,), random_state=0, max_iter=4)
    ref, est = MLPClassifier(**kw), MLPClassifier(**kw)
    for _ in range(3):
        ref.partial_fit(X, y, classes=[0, 1, 2])
        est.partial_fit(t(X), t(y), classes=t(np.array([0, 1, 2])))
    assert_close(est.coefs_[0], ref.coefs_[0])
    ref = MLPRegressor(warm_start=True, **kw).fit(X, y * 1.0).fit(X, y * 1.0)
    est = MLPRegressor(warm_start=True, **kw).fit(t(X), t(y * 1.0)).fit(t(X), t(y * 1.0))
    assert_close(est.coefs_[1], ref.coefs_[1])


def test_y_and_sample_weight_follow_x(rng, dispatch):
    """As in scikit-learn: X's namespace decides; y and the weights are taken to it."""
    X, y = classes3(rng)
    w = rng.random(60) + 0.5
    kw = dict(hidden_layer_sizes=(5,), max_iter=4, random_state=0)
    both = MLPClassifier(**kw).fit(t(X), t(y), sample_weight=t(w))
    mixed = MLPClassifier(**kw).fit(t(X), y, sample_weight=w)
    assert isinstance(mixed.classes_, torch.Tensor)
    assert torch.equal(mixed.network_.params, both.network_.params)
    on_host = MLPClassifier(**kw).fit(X, t(y), sample_weight=t(w))
    assert isinstance(on_host.coefs_[0], np.ndarray) and isinstance(on_host.classes_, np.ndarray)
    np.testing.assert_allclose(on_host.network_.params, both.network_.params.numpy(), rtol=0,
                               atol=TOL)


def test_the_network_follows_the_data_between_fits(rng, dispatch):
    X, y = classes3(rng)
    kw = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0, warm_start=True)
    ref = MLPClassifier(**kw).fit(X, y).fit(X, y)
    est = MLPClassifier(**kw).fit(t(X), t(y)).fit(X, y)  # the second fit on the host
    assert isinstance(est.coefs_[0], np.ndarray) and isinstance(est.classes_, np.ndarray)
    np.testing.assert_allclose(est.network_.params, ref.network_.params, rtol=0, atol=TOL)
    model = MLPClassifier(**kw).fit(t(X), t(y)).to_model()
    assert isinstance(model.predict(t(X)), torch.Tensor)


def test_an_estimator_on_a_device_pickles_and_continues_the_same(rng, dispatch):
    X, y = classes3(rng)
    est = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(t(X), t(y))
    again = pickle.loads(pickle.dumps(est))
    assert isinstance(again.coefs_[0], torch.Tensor)
    est.partial_fit(t(X), t(y))  # Adam's moments continue in both
    again.partial_fit(t(X), t(y))
    assert torch.equal(est.network_.params, again.network_.params)


def test_coefs_can_be_assigned_on_the_device(rng, dispatch):
    X, y = classes3(rng)
    est = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(t(X), t(y))
    est.coefs_[0] = np.ones((4, 3))
    assert float(est.network_.W[0].sum()) == 12.0
    with pytest.raises(DataError, match=r"coefs_\[1\]: contains NaN"):
        est.coefs_[1] = torch.full((3, 3), float("nan"))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("est", [MLPClassifier(max_iter=10), MLPRegressor(max_iter=10)],
                         ids=["classifier", "regressor"])
@pytest.mark.parametrize(("library", "device"), [("torch", "cpu"),
                                                 ("array_api_strict", "device1")])
def test_scikit_learns_array_api_check_passes(monkeypatch, est, dtype, library, device):
    """scikit-learn's own check, with its values compared to the NumPy fit's."""
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check_array_api_input(type(est).__name__, est, library, device, dtype,
                          check_values=True, check_sample_weight=True)


def test_lbfgs_is_refused_by_name_on_tensors(rng, dispatch):
    X, y = classes3(rng)
    with pytest.raises(ConfigError, match=r"solver: 'lbfgs' runs in SciPy on the host; X is "
                                          r"torch on cpu"):
        MLPClassifier(solver="lbfgs").fit(t(X), t(y))


def test_predicting_from_another_namespace_is_refused_by_name(rng, dispatch):
    X, y = classes3(rng)
    est = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(t(X), t(y))
    with pytest.raises(DataError, match=r"MLPClassifier\.predict\(\) must use the same "
                                        r"namespace and device as fit: fitted on torch"):
        est.predict(X)
    with sklearn.config_context(array_api_dispatch=False), \
            pytest.raises(DataError, match=r"X: MLPClassifier was fitted on "
                                           r"torch arrays on cpu with array_api_dispatch on"):
        est.predict_proba(t(X))
    ref = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(DataError, match=r"fitted on NumPy arrays, X is torch arrays on cpu"):
        ref.predict(t(X))


def test_a_network_fitted_on_one_device_refuses_x_on_another(rng, dispatch):
    import array_api_strict

    X, y = classes3(rng)
    est = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(STRICT(X),
                                                                                 STRICT(y))
    assert est.network_.params.device == STRICT.device  # the data's device, not the default
    on_cpu = array_api_strict.asarray(X)  # array_api_strict's CPU_DEVICE
    with pytest.raises(DataError, match=r"predict\(\) must use the same namespace and device "
                                        r"as fit: fitted on array_api_strict arrays on "
                                        r".*device1.*, X is array_api_strict arrays on "
                                        r".*CPU_DEVICE"):
        est.predict(on_cpu)
    model = est.to_model()
    with pytest.raises(DataError, match=r"X: array_api_strict arrays on .*CPU_DEVICE.*, but "
                                        r"the model is array_api_strict on .*device1"):
        model.predict(on_cpu)


def test_with_dispatch_off_cpu_tensors_become_numpy_as_in_scikit_learn(rng):
    X, y = classes3(rng)
    est = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(t(X), t(y))
    ref = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
    assert est.network_.namespace is None and isinstance(est.coefs_[0], np.ndarray)
    assert isinstance(est.predict(t(X)), np.ndarray)
    np.testing.assert_array_equal(est.predict_proba(t(X)), ref.predict_proba(X))


def test_with_dispatch_off_host_arrays_of_any_library_become_numpy(rng):
    """As scikit-learn converts them: array_api_strict's CPU device is read by NumPy; its
    other devices are not, and are refused naming X and the switch."""
    import array_api_strict as xs

    X, y = classes3(rng)
    est = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    est.fit(xs.asarray(X), xs.asarray(y))
    ref = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
    assert est.network_.namespace is None
    np.testing.assert_array_equal(est.predict_proba(xs.asarray(X)), ref.predict_proba(X))
    elsewhere = xs.asarray(X, device=xs.Device("device1"))
    with pytest.raises(DataError, match=r"^X: an array_api_strict array on .*device1.*; "
                                        r"scikit-learn converts inputs to NumPy unless "
                                        r"array_api_dispatch is on"):
        MLPClassifier().fit(elsewhere, y)


def test_with_dispatch_off_a_device_tensor_is_refused_naming_the_switch(rng):
    X, y = classes3(rng)
    on_device = torch.empty(60, 4, device="meta")  # a tensor NumPy cannot read, as CUDA's
    with pytest.raises(DataError, match=r"X: a torch array on meta; .*array_api_dispatch is "
                                        r"on: sklearn.set_config\(array_api_dispatch=True\)"):
        MLPClassifier().fit(on_device, y)
    with pytest.raises(DataError, match=r"sample_weight: a torch array on meta"):
        MLPClassifier().fit(X, y, sample_weight=torch.empty(60, device="meta"))
    est = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(DataError, match=r"X: a torch array on meta"):
        est.predict(on_device)


def test_the_numpy_path_imports_no_array_api_compat():
    code = ("import numpy as np, sys; from chainrule.estimators import MLPClassifier; "
            "X = np.random.default_rng(0).normal(size=(20, 2)); "
            "MLPClassifier((3,), max_iter=3).fit(X, X[:, 0] > 0).predict_proba(X); "
            "print('array_api_compat' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# -- the Model ----------------------------------------------------------------------


def model_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(40, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, 1e3]  # scaled by fit
    return X, (X[:, 0] > 0).astype(int)


def fresh() -> Network:
    return Network([3, 4, 2], "tanh", cost="cross_entropy", random_state=0)


FIT = dict(epochs=6, learning_rate=0.1, batch_size=8, random_state=0)


@LIBRARIES
def test_model_fits_and_predicts_on_another_library_as_on_numpy(rng, lib):
    X, y = model_data(rng)
    ref = Model(fresh()).fit(X, y, **FIT)
    model = Model(fresh()).fit(lib(X), lib(y), **FIT)
    assert model.network.namespace.name == lib.name
    np.testing.assert_allclose(model.scaler.mean_, ref.scaler.mean_, rtol=TOL)
    np.testing.assert_allclose(model.scaler.scale_, ref.scaler.scale_, rtol=TOL)
    assert_close(model.network.params, ref.network.params, lib)
    assert_close(model.predict_proba(lib(X)), ref.predict_proba(X), lib)
    assert_close(model.outputs(lib(X)), ref.outputs(X), lib)
    assert_same(model.predict(lib(X)), ref.predict(X), lib)
    got, want = model.evaluate(lib(X), lib(y)), ref.evaluate(X, y)
    assert got.cost == pytest.approx(want.cost, abs=TOL) and got.accuracy == want.accuracy
    assert model.score(lib(X), lib(y)) == ref.score(X, y)
    assert model.history.cost == pytest.approx(ref.history.cost, abs=TOL)
    text = Model(fresh()).fit(lib(X), np.where(y == 1, "yes", "no"), **FIT)
    assert isinstance(text.predict(lib(X)), np.ndarray)  # text labels stay NumPy


def test_model_train_and_unscaled_network_on_a_device(rng):
    X, y = model_data(rng)
    ref = Model(fresh()).fit(X, y, **FIT)
    model = Model(fresh()).to("cpu")
    A, Y, _ = model.prepare(t(X), y)
    assert isinstance(A, torch.Tensor) and isinstance(Y, np.ndarray)
    model.train(A, Y, **FIT)  # Y on the host goes to X's device
    assert_close(model.network.params, ref.network.params)
    raw = model.unscaled_network()
    assert isinstance(raw.params, torch.Tensor)
    assert_close(raw.predict(t(X)), ref.unscaled_network().predict(X))


@LIBRARIES
def test_a_model_on_a_device_saves_the_same_file_bit_for_bit(rng, tmp_path, lib):
    X, y = model_data(rng)
    ref = Model(fresh()).fit(X, y, **FIT)
    ref.save(tmp_path / "host.safetensors")
    moved = load_model(tmp_path / "host.safetensors").to(like=lib.like())
    assert lib.holds(moved.network.params)
    moved.save(tmp_path / "device.safetensors")
    assert (tmp_path / "device.safetensors").read_bytes() == \
        (tmp_path / "host.safetensors").read_bytes()
    assert lib.holds(moved.network.params)  # saving moved nothing
    again = load_model(tmp_path / "device.safetensors", like=lib.like())
    assert_same(again.predict(lib(X)), ref.predict(X), lib)


def test_load_model_onto_a_device(rng, tmp_path):
    X, y = model_data(rng)
    ref = Model(fresh()).fit(X, y, **FIT)
    path = ref.save(tmp_path / "m.safetensors")
    for device in ("cpu", torch.device("cpu")):
        model = load_model(path, device=device)
        assert isinstance(model.network.params, torch.Tensor)
        assert torch.equal(model.predict(t(X)), t(ref.predict(X)))
        assert_close(model.predict_proba(t(X)), ref.predict_proba(X))
    assert "<svg" in model._repr_html_()  # the notebook display draws it from the host
    like = load_model(path, like=torch.zeros(1, dtype=torch.float32))
    assert str(like.network.params.device) == "cpu"
    host = load_model(path)
    assert isinstance(host.network.params, np.ndarray)
    back = like.to(None)
    assert back is like and isinstance(back.network.params, np.ndarray)
    np.testing.assert_array_equal(back.predict(X), ref.predict(X))


def test_devices_are_checked_by_name(rng, tmp_path, monkeypatch):
    X, y = model_data(rng)
    path = Model(fresh()).fit(X, y, **FIT).save(tmp_path / "m.safetensors")
    with pytest.raises(ConfigError, match=r"device: expected 'cpu', 'cuda', 'cuda:N', a "
                                          r"torch.device or None \(NumPy\), got 'gpu'"):
        load_model(path, device="gpu")
    with pytest.raises(ConfigError, match=r"device: 'cuda:99' is not available here"):
        load_model(path, device="cuda:99")
    with pytest.raises(ConfigError, match="device: give device or like, not both"):
        load_model(path, device="cpu", like=torch.zeros(1))
    model = load_model(path)
    with pytest.raises(DataError, match=r"X: torch arrays on cpu, but the model is NumPy on "
                                        r"the host: move it there first \(model.to"):
        model.predict(t(X))
    monkeypatch.setitem(sys.modules, "torch", None)  # PyTorch missing
    with pytest.raises(ConfigError, match=r"device: 'cpu' names a PyTorch device and PyTorch "
                                          r"is not installed"):
        model.to("cpu")
