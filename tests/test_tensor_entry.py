"""Where a run computes when its inputs, its network or its estimator live in different places.

The rule: the network trains where X lives (``train.fit`` moves it to X's library and
device, back to NumPy for NumPy X, once every input is checked); validation rows and
sample weights follow X; targets of another place than X are refused naming ``y``.
Estimators continue on NumPy after a tensor fit (and the other way round) as an all-NumPy
run does, optimiser state included.  bfloat16 is read as float16 is, everywhere.
"""

from __future__ import annotations

import array
import builtins
from functools import partial

import dask.array as da
import numpy as np
import pytest
import torch

import chainrule
from chainrule import ConfigError, DataError, Model, Network, ShapeError, load_model
from chainrule.data.scaling import Standardizer
from chainrule.estimators import MLPClassifier, MLPRegressor
from chainrule.train import Trainer
from chainrule.train import fit as train_fit
from chainrule.utils.namespace import host_kind

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EST = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
FIT = dict(epochs=3, learning_rate=0.1, batch_size=8, random_state=0)


@pytest.fixture
def data(rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs (40, 3), their labels (40,) and one-hot rows (40, 2), on the host."""
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    return X, y, np.eye(2)[y]


def fresh() -> Network:
    return Network([3, 4, 2], "tanh", cost="cross_entropy", random_state=0)


def t(a: np.ndarray) -> torch.Tensor:
    return torch.asarray(a)


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and len(text) < 240, text
    return text


def host(a: object) -> np.ndarray:
    return a.numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


# -- 1. evaluate on a moved network ---------------------------------------------------------

def test_evaluate_runs_where_the_network_and_the_data_are(data):
    X, _, Y = data
    w = np.linspace(0.5, 2.0, 40)
    net = fresh()
    on_host = chainrule.evaluate(net, X, Y, sample_weight=w, indices=[-1, 0, 5, 7])
    net.move_to(t(X))
    on_torch = chainrule.evaluate(net, t(X), t(Y), sample_weight=t(w), indices=[-1, 0, 5, 7])
    assert on_torch[0] == pytest.approx(on_host[0], rel=1e-13) and on_torch[1] == on_host[1]
    assert chainrule.evaluate(net, t(X), t(Y))[0] == pytest.approx(
        chainrule.evaluate(fresh(), X, Y)[0], rel=1e-13)
    with pytest.raises(DataError, match=r"^X: NumPy arrays on the host, but the network's "
                                        r"parameters are torch") as e:
        chainrule.evaluate(net, X, Y)
    one_line(e)
    with pytest.raises(DataError, match=r"^y: NumPy arrays on the host, .*: give y in the "
                                        r"library and on the device of X") as e:
        chainrule.evaluate(net, t(X), Y)
    assert "move_to(y)" not in one_line(e)


# -- 2. NumPy X after a network (or trainer) on torch: the network moves back ------------

def test_fit_on_numpy_moves_a_moved_network_back_to_numpy(data):
    X, y, Y = data
    ref = fresh()
    train_fit(ref, X, Y, **FIT)
    net = fresh().move_to(t(X))
    train_fit(net, X, Y, **FIT)
    assert net.namespace is None and isinstance(net.params, np.ndarray)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-12, atol=1e-15)

    m_ref = Model(fresh()).fit(X, y, epochs=2).fit(X, y, epochs=2)
    m = Model(fresh()).fit(t(X), t(y), epochs=2).fit(X, y, epochs=2)
    assert m.network.namespace is None
    np.testing.assert_allclose(m.network.params, m_ref.network.params, rtol=1e-10, atol=1e-13)


def test_a_trainer_of_a_tensor_run_continues_on_numpy_as_an_all_numpy_run(data):
    X, _, Y = data
    runs = []
    for first in (t(X), X):
        net = fresh()
        trainer = Trainer(net, learning_rate=0.1, batch_size=8, random_state=0)
        train_fit(net, first, t(Y) if first is not X else Y, epochs=2, trainer=trainer)
        train_fit(net, X, Y, epochs=4, trainer=trainer)
        runs.append(host(net.params))
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-10, atol=1e-13)


def test_a_memory_mapped_x_next_to_a_moved_network_is_refused_by_name(data, tmp_path):
    X, _, Y = data
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    net = fresh().move_to(t(X))
    with pytest.raises(DataError, match=r"^X: a memory-mapped file, read on the host, but "
                                        r"the network's parameters are torch") as e:
        train_fit(net, mapped, Y, **FIT)
    one_line(e)
    assert net.namespace is not None  # nothing moved


# -- 3. validation data follow X ------------------------------------------------------------

def test_validation_data_follow_x_to_its_library(data):
    X, _, Y = data
    h_t = train_fit(fresh(), t(X), t(Y), validation_data=(t(X[:8]), t(Y[:8])), **FIT)
    h_mixed = train_fit(fresh(), t(X), t(Y), validation_data=(X[:8], Y[:8]), **FIT)
    np.testing.assert_array_equal(h_mixed.val_cost, h_t.val_cost)
    h = train_fit(fresh(), X, Y, validation_data=(X[:8], Y[:8]), **FIT)
    h_back = train_fit(fresh(), X, Y, validation_data=(t(X[:8]), t(Y[:8]),
                                                        t(np.ones(8))), **FIT)
    np.testing.assert_allclose(h_back.val_cost, h.val_cost, rtol=1e-12)
    np.testing.assert_allclose(h_mixed.val_cost, h.val_cost, rtol=1e-10)


# -- 4. partial_fit across libraries ------------------------------------------------------

@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_partial_fit_crosses_libraries_as_an_all_numpy_run(data, dispatch, Est):
    X, y, _ = data
    target = y if Est is MLPClassifier else X[:, 1].copy()
    ref = Est(**EST).fit(X, target)
    ref.partial_fit(X, target)
    ref.partial_fit(X, target)
    for first, second in ((t, np.asarray), (np.asarray, t)):
        est = Est(**EST).fit(first(X), first(target))
        est.partial_fit(second(X), second(target))
        est.partial_fit(first(X), first(target))  # and back
        for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
            assert type(a) is type(first(X))
            np.testing.assert_allclose(host(a), b, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(host(est.predict(first(X))), ref.predict(X), rtol=1e-10)


def test_a_refused_partial_fit_leaves_the_estimator_where_it_was(data, dispatch):
    X, y, _ = data
    est = MLPClassifier(**EST).fit(t(X), t(y))
    before = [host(c).copy() for c in est.coefs_]
    with pytest.raises(ValueError, match=r"`y` has classes not in `self\.classes_`"):
        est.partial_fit(X, y + 5)
    assert isinstance(est.coefs_[0], torch.Tensor) and isinstance(est.classes_, torch.Tensor)
    for a, b in zip(est.coefs_, before):
        np.testing.assert_array_equal(host(a), b)
    est.partial_fit(t(X), t(y))  # still usable where it was
    assert isinstance(est.predict(t(X)), torch.Tensor)


# -- 5. bfloat16 as float16 -----------------------------------------------------------------

def test_bfloat16_inputs_weights_and_targets_are_read_as_float16_are(data, dispatch):
    X, y, Y = data
    Xb = t(X).bfloat16()
    exact = Xb.double()  # the same numbers
    clf = MLPClassifier(**EST).fit(t(X), t(y))
    P = clf.predict_proba(Xb)
    assert P.dtype == clf.predict_proba(t(X).half()).dtype == torch.float64
    torch.testing.assert_close(P, clf.predict_proba(exact), rtol=0, atol=0)
    reg = MLPRegressor(**EST).fit(t(X), t(X[:, 1].copy()))
    torch.testing.assert_close(reg.predict(Xb), reg.predict(exact), rtol=0, atol=0)

    w = t(np.linspace(0.5, 2.0, 40))
    wb = w.bfloat16()
    ref, net = fresh(), fresh()
    train_fit(ref, t(X), t(Y), sample_weight=wb.float(), **FIT)
    train_fit(net, t(X), t(Y), sample_weight=wb, **FIT)
    torch.testing.assert_close(net.params, ref.params, rtol=0, atol=0)
    a = MLPRegressor(**EST).fit(t(X), t(X[:, 1].copy()), sample_weight=wb)
    b = MLPRegressor(**EST).fit(t(X), t(X[:, 1].copy()), sample_weight=wb.float())
    torch.testing.assert_close(a.coefs_[0], b.coefs_[0], rtol=0, atol=0)

    yb = t(X[:, 1].copy()).bfloat16()
    a = MLPRegressor(**EST).fit(t(X), yb)
    b = MLPRegressor(**EST).fit(t(X), yb.double())
    torch.testing.assert_close(a.coefs_[0], b.coefs_[0], rtol=0, atol=0)
    reg_net = Network([3, 4, 1], "tanh", random_state=0)
    m = Model(reg_net.copy()).fit(t(X), yb, task="regression", epochs=2)
    m2 = Model(reg_net.copy()).fit(t(X), yb.double(), task="regression", epochs=2)
    torch.testing.assert_close(m.network.params, m2.network.params, rtol=0, atol=0)


# -- 6. the device's standardiser -----------------------------------------------------------

def test_the_device_standardiser_takes_huge_values_as_numpys_does(data):
    X, y, _ = data
    for factor in (1.0, 1e200, 1e-200, 1e307):
        big = X * factor
        m = Model(fresh()).fit(t(big), t(y), epochs=1)
        ref = Standardizer().fit(big)
        # the mean to a rounding of the column's largest value (sums run in other orders)
        np.testing.assert_allclose(m.scaler.mean_, ref.mean_, rtol=0,
                                   atol=1e-15 * np.abs(big).max(axis=0).min())
        np.testing.assert_allclose(m.scaler.scale_, ref.scale_, rtol=1e-15, atol=0)


# -- 7. targets of another place than X; nothing moves before every check -----------------

def test_targets_elsewhere_than_x_are_refused_naming_y(data, tmp_path):
    X, _, Y = data
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    net = fresh()
    with pytest.raises(DataError, match=r"^y: torch arrays on cpu, but X is NumPy, a "
                                        r"memory-mapped file read on the host: give y as a "
                                        r"NumPy array") as e:
        train_fit(net, mapped, t(Y), **FIT)
    assert "move_to" not in one_line(e)
    with pytest.raises(DataError, match=r"^y: NumPy arrays on the host, but X is torch "
                                        r"arrays on cpu: give y in X's library") as e:
        train_fit(net, t(X), Y, **FIT)
    assert "move_to" not in one_line(e)
    assert net.namespace is None


def test_a_refused_fit_moves_nothing(data):
    X, _, Y = data
    net = fresh()
    before = net.params.copy()
    with pytest.raises(ShapeError, match=r"^validation_data"):
        train_fit(net, t(X), t(Y), validation_data=(t(X[:, :2]), t(Y)), **FIT)
    with pytest.raises(DataError, match=r"^sample_weight"):
        train_fit(net, t(X), t(Y), sample_weight=-np.ones(40), **FIT)
    with pytest.raises(ConfigError, match=r"^optimizer: 'lbfgs'"):
        train_fit(net, t(X), t(Y), epochs=1, optimizer="lbfgs")
    assert net.namespace is None and isinstance(net.params, np.ndarray)
    np.testing.assert_array_equal(net.params, before)


# -- 8. move_to takes an array or None --------------------------------------------------------

@pytest.mark.parametrize("like", ["cpu", 3, [1.0], torch.device("cpu")])
def test_move_to_refuses_what_is_not_an_array_naming_like(data, like):
    X, _, _ = data
    for net in (fresh(), fresh().move_to(t(X))):
        params = net.params
        with pytest.raises(ConfigError, match=r"^like: expected an array of the library and "
                                              r"device wanted, or None for NumPy, got .*"
                                              r"chainrule\.Model\.to\(device\)") as e:
            net.move_to(like)
        one_line(e)
        assert net.params is params


# -- 9. set_weights on a moved network --------------------------------------------------------

def test_set_weights_copies_onto_the_networks_device(data, rng):
    X, _, _ = data
    Ws = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    bs = [rng.normal(size=4), rng.normal(size=2)]
    net = fresh().move_to(t(X))
    net.set_weights(Ws, bs)
    assert isinstance(net.params, torch.Tensor)
    ref = fresh().set_weights(Ws, bs)
    np.testing.assert_array_equal(host(net.params), ref.params)
    back = fresh().set_weights([t(W) for W in Ws], [t(b) for b in bs])
    np.testing.assert_array_equal(back.params, ref.params)


# -- 10. messages name the argument, and the row and column --------------------------------

def test_without_array_api_compat_a_device_is_refused_naming_device(data, tmp_path,
                                                                   monkeypatch):
    X, y, _ = data
    path = tmp_path / "m.json"
    Model(fresh()).fit(X, y, epochs=1).save(path)
    real_import = builtins.__import__

    def no_compat(name, *args, **kwargs):
        if name.startswith("array_api_compat"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_compat)
    with pytest.raises(ConfigError, match=r"^device: arrays of a library other than NumPy "
                                          r"need array-api-compat"):
        load_model(path, device="cpu")


def test_a_non_finite_tensor_is_refused_naming_row_and_column(data):
    X, _, Y = data
    for value, what in ((np.nan, "NaN"), (np.inf, "infinity")):
        bad = X.copy()
        bad[3, 1] = value
        for call in (partial(train_fit, fresh(), t(bad), t(Y), **FIT),
                     partial(fresh().move_to(t(X)).predict, t(bad))):
            with pytest.raises(DataError, match=rf"^X: contains {what} at row 3, column 1$"):
                call()


# -- 11. host_kind's words ---------------------------------------------------------------------

def test_host_kind_names_dask_arrays_and_uses_an_before_vowels(data):
    X, _, Y = data
    assert host_kind(da.from_array(Y, chunks=10)) == "a Dask array"
    assert host_kind(array.array("d", [1.0])) == "an array (an array-like NumPy reads)"
    assert host_kind([1.0]) == "a list (an array-like NumPy reads)"
    with pytest.raises(DataError, match=r"^y: a Dask array on the host, but X is torch"):
        train_fit(fresh(), t(X), da.from_array(Y, chunks=10), **FIT)
