"""Checkpoints: exact resume, the previous file kept, damaged files refused, interrupts saved."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from chainrule import ConfigError, ModelFileError, Network
from chainrule.io import save_model
from chainrule.train.checkpoint import (
    CheckpointError,
    CheckpointWarning,
    checksum,
    load_checkpoint,
    load_latest_checkpoint,
    previous_path,
)
from chainrule.train.loop import fit

HISTORY_FIELDS = ("epoch", "cost", "val_cost", "accuracy", "val_accuracy", "learning_rate")


def blobs(rng, n=240, d=5, k=3):
    centers = rng.normal(scale=2, size=(k, d))
    labels = rng.integers(0, k, n)
    return centers[labels] + rng.normal(size=(n, d)), np.eye(k)[labels]


@pytest.fixture
def data(rng):
    return blobs(rng)


def make(dtype="float64", hidden=8, activation="tanh"):
    return Network([5, hidden, 3], activation, cost="cross_entropy", dtype=dtype, random_state=0)


def assert_same_run(net_a, h_a, net_b, h_b):
    """Bit-identical weights and history; only wall-clock seconds may differ."""
    np.testing.assert_array_equal(net_a.params, net_b.params)
    for key in HISTORY_FIELDS:
        np.testing.assert_array_equal(getattr(h_a, key), getattr(h_b, key), err_msg=key)
    assert (h_a.n_steps, h_a.best_epoch, h_a.stopped_early) == \
        (h_b.n_steps, h_b.best_epoch, h_b.stopped_early)


OPTIONS = {
    "adam+val": dict(optimizer="adam", learning_rate=0.01, validation_split=0.2),
    "sgd-nesterov+plateau": dict(optimizer="sgd", learning_rate=0.05,
                                 optimizer_options={"nesterov": True}, schedule="adaptive"),
    "gd+invscaling+l2": dict(optimizer="gd", learning_rate=0.5, schedule="invscaling", l2=0.01),
    "adam+early-stopping": dict(optimizer="adam", learning_rate=0.01, validation_split=0.25,
                                early_stopping=True, patience=100),
    "full-batch": dict(optimizer="adam", batch_size=None),
}


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_ten_epochs_equal_five_then_five_resumed(data, tmp_path, options):
    X, Y = data
    kw = {"batch_size": 32, "random_state": 7, **options}
    net_a = make()
    h_a = fit(net_a, X, Y, epochs=10, **kw)
    ck = tmp_path / "run.ckpt"
    fit(make(), X, Y, epochs=5, checkpoint=ck, **kw)
    assert load_checkpoint(ck).epoch == 5
    net_b = make(hidden=8)
    net_b.params[...] = 0.0  # whatever the network holds is replaced by the checkpoint
    h_b = fit(net_b, X, Y, epochs=10, checkpoint=ck, resume=True, **kw)
    assert_same_run(net_a, h_a, net_b, h_b)
    assert load_checkpoint(ck).epoch == 10


def test_float32_resume_is_exact(data, tmp_path):
    X, Y = data
    net_a = make("float32")
    h_a = fit(net_a, X, Y, epochs=6, batch_size=50, random_state=1)
    ck = tmp_path / "f32.ckpt"
    fit(make("float32"), X, Y, epochs=2, batch_size=50, random_state=1, checkpoint=ck)
    net_b = make("float32")
    h_b = fit(net_b, X, Y, epochs=6, batch_size=50, random_state=1, checkpoint=ck, resume=True)
    assert_same_run(net_a, h_a, net_b, h_b)
    assert load_checkpoint(ck).state["params"].dtype == np.float32


def interrupt_at(net, step):
    """A batch callback that sends SIGINT after ``step`` steps, recording the weights."""
    seen = []

    def on_batch(epoch, batch, n_batches):
        seen.append(net.params.copy())
        if len(seen) == step:
            signal.raise_signal(signal.SIGINT)

    return on_batch, seen


def test_ctrl_c_saves_the_last_completed_batch_and_resumes_exactly(data, tmp_path):
    X, Y = data
    kw = dict(batch_size=32, random_state=3, validation_split=0.2)  # 6 batches an epoch
    net_a = make()
    h_a = fit(net_a, X, Y, epochs=4, **kw)
    ck = tmp_path / "ck"
    net_b = make()
    on_batch, seen = interrupt_at(net_b, 15)  # epoch 3, batch 3
    with pytest.raises(KeyboardInterrupt):
        fit(net_b, X, Y, epochs=4, checkpoint=ck, batch_callback=on_batch, **kw)
    assert len(seen) == 15
    np.testing.assert_array_equal(net_b.params, seen[-1])  # the last completed batch
    saved = load_checkpoint(ck)
    assert (saved.epoch, saved.batch) == (2, 3)
    np.testing.assert_array_equal(saved.state["params"], seen[-1])
    assert load_checkpoint(previous_path(ck)).epoch == 2  # the epoch-end checkpoint before it
    net_c = make()
    h_c = fit(net_c, X, Y, epochs=4, checkpoint=ck, resume=True, **kw)
    assert_same_run(net_a, h_a, net_c, h_c)


def test_ctrl_c_on_the_last_batch_of_an_epoch_resumes_exactly(data, tmp_path):
    X, Y = data
    kw = dict(batch_size=60, random_state=3)  # 4 batches an epoch
    net_a = make()
    h_a = fit(net_a, X, Y, epochs=3, **kw)
    ck = tmp_path / "ck"
    net_b = make()
    on_batch, _ = interrupt_at(net_b, 8)  # after the epoch's last batch, before its end
    with pytest.raises(KeyboardInterrupt):
        fit(net_b, X, Y, epochs=3, checkpoint=ck, batch_callback=on_batch, **kw)
    assert (load_checkpoint(ck).epoch, load_checkpoint(ck).batch) == (1, 4)
    net_c = make()
    h_c = fit(net_c, X, Y, epochs=3, checkpoint=ck, resume=True, **kw)
    assert_same_run(net_a, h_a, net_c, h_c)


def test_second_ctrl_c_stops_at_once_and_leaves_the_older_checkpoint(data, tmp_path):
    X, Y = data
    net = make()
    ck = tmp_path / "ck"

    def twice(epoch, batch, n_batches):
        if (epoch, batch) == (3, 2):
            signal.raise_signal(signal.SIGINT)  # deferred
            signal.raise_signal(signal.SIGINT)  # raises here, mid-callback

    with pytest.raises(KeyboardInterrupt):
        fit(net, X, Y, epochs=5, batch_size=60, checkpoint=ck, batch_callback=twice)
    saved = load_checkpoint(ck)
    assert (saved.epoch, saved.batch) == (2, 0)  # nothing written after the second Ctrl-C
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck", "ck.prev"]


def test_checkpoint_every_batches(data, tmp_path):
    X, Y = data
    ck = tmp_path / "ck"
    positions = []

    def record(info):
        positions.append(load_checkpoint(ck).epoch)

    fit(make(), X, Y, epochs=2, batch_size=32, checkpoint=ck, checkpoint_every=5,
        checkpoint_every_batches=3, callbacks=[record])
    # 8 batches an epoch: saved after steps 3, 6, 9, 12, 15 and at the end (epoch 2)
    assert load_checkpoint(ck).epoch == 2
    assert load_checkpoint(previous_path(ck)).state["history"]["n_steps"] == 15


def test_previous_checkpoint_is_kept(data, tmp_path):
    X, Y = data
    ck = tmp_path / "ck"
    fit(make(), X, Y, epochs=3, batch_size=60, checkpoint=ck)
    assert load_checkpoint(ck).epoch == 3
    assert load_checkpoint(previous_path(ck)).epoch == 2
    net = load_checkpoint(ck).build_network()
    assert net.layer_sizes == (5, 8, 3) or list(net.layer_sizes) == [5, 8, 3]


def test_damaged_newest_checkpoint_falls_back_to_the_previous_one(data, tmp_path):
    X, Y = data
    net_a = make()
    h_a = fit(net_a, X, Y, epochs=5, batch_size=60, random_state=2)
    ck = tmp_path / "ck"
    fit(make(), X, Y, epochs=3, batch_size=60, random_state=2, checkpoint=ck)
    blob = ck.read_bytes()
    ck.write_bytes(blob[: len(blob) // 2])  # a torn write
    net_b = make()
    with pytest.warns(CheckpointWarning, match=r"previous checkpoint .*ck\.prev \(epoch 2"):
        h_b = fit(net_b, X, Y, epochs=5, batch_size=60, random_state=2, checkpoint=ck,
                  resume=True)
    assert_same_run(net_a, h_a, net_b, h_b)


def _flip_in_tensor(path, key, index=3, factor=1.5):
    """Scale one value of tensor ``key`` in the file's bytes, leaving the header alone."""
    with safe_open(str(path), "np") as f:
        meta = f.metadata()
    blob = bytearray(path.read_bytes())
    n = int.from_bytes(blob[:8], "little")
    info = json.loads(blob[8:8 + n])[key]
    start = 8 + n + info["data_offsets"][0]
    dtype = np.dtype({"F64": "<f8", "F32": "<f4"}[info["dtype"]])
    at = start + index * dtype.itemsize
    value = np.frombuffer(bytes(blob[at:at + dtype.itemsize]), dtype)[0]
    blob[at:at + dtype.itemsize] = np.array([value * factor], dtype).tobytes()
    path.write_bytes(bytes(blob))
    assert "chainrule.checksum" in meta


@pytest.mark.parametrize(("key", "factor"), [("params", 1.5), ("optimizer.v", 100.0),
                                             ("optimizer.m", -1.0)])
def test_a_changed_weight_or_moment_is_caught_and_the_previous_checkpoint_used(
        data, tmp_path, key, factor):
    # well-formed bytes with one value changed: only the checksum can tell
    X, Y = data
    net_a = make()
    h_a = fit(net_a, X, Y, epochs=5, batch_size=60, random_state=2)
    ck = tmp_path / "ck"
    fit(make(), X, Y, epochs=3, batch_size=60, random_state=2, checkpoint=ck)
    _flip_in_tensor(ck, key, factor=factor)
    with pytest.raises(CheckpointError, match=r"damaged checkpoint: its content does not match "
                                              r"its checksum"):
        load_checkpoint(ck)
    net_b = make()
    with pytest.warns(CheckpointWarning, match=r"does not match its checksum.*ck\.prev"):
        h_b = fit(net_b, X, Y, epochs=5, batch_size=60, random_state=2, checkpoint=ck,
                  resume=True)
    assert_same_run(net_a, h_a, net_b, h_b)


def test_an_impossible_adam_state_is_refused(good, tmp_path):
    def negative_v(t):
        t["optimizer.v"] = -np.abs(t["optimizer.v"]) - 1.0

    bad = rewrite(good, tmp_path / "bad.ckpt", edit_tensors=negative_v)
    with pytest.raises(CheckpointError, match=r"'optimizer.v' .* is negative"):
        load_checkpoint(bad)
    with safe_open(str(good), "np") as f:
        meta = f.metadata()
    tensors = load_file(str(good))
    save_file(tensors, str(tmp_path / "no_sum.ckpt"), metadata={"chainrule": meta["chainrule"]})
    with pytest.raises(CheckpointError, match="damaged checkpoint: its content has no checksum"):
        load_checkpoint(tmp_path / "no_sum.ckpt")


def test_after_falling_back_the_good_previous_checkpoint_is_not_replaced_by_the_damaged_one(
        data, tmp_path):
    # the damaged newest file is set aside as PATH.damaged: the first save after resuming
    # must not turn it into PATH.prev (a SIGKILL then would leave nothing loadable)
    X, Y = data
    ck = tmp_path / "ck"
    fit(make(), X, Y, epochs=3, batch_size=60, random_state=2, checkpoint=ck)
    damaged = ck.read_bytes()[:-9]
    ck.write_bytes(damaged)
    good_prev = previous_path(ck).read_bytes()
    with pytest.warns(CheckpointWarning) as said:  # resumes at epoch 2, saves at epoch 3
        fit(make(), X, Y, epochs=3, batch_size=60, random_state=2, checkpoint=ck, resume=True)
    assert any(f"the damaged file was kept as {ck}.damaged" in str(w.message) for w in said)
    assert (tmp_path / "ck.damaged").read_bytes() == damaged
    assert previous_path(ck).read_bytes() == good_prev  # epoch 2, still loadable
    assert load_checkpoint(previous_path(ck)).epoch == 2
    assert load_checkpoint(ck).epoch == 3


def test_explicit_validation_data_resumes_exactly_and_must_not_change(data, tmp_path):
    X, Y = data
    Xv, Yv = X[:40] + 0.5, Y[:40]
    kw = {"batch_size": 32, "random_state": 8, "validation_data": (Xv, Yv)}
    net_a = make()
    h_a = fit(net_a, X, Y, epochs=4, **kw)
    ck = tmp_path / "ck"
    fit(make(), X, Y, epochs=2, checkpoint=ck, **kw)
    net_b = make()
    h_b = fit(net_b, X, Y, epochs=4, checkpoint=ck, resume=True, **kw)
    assert_same_run(net_a, h_a, net_b, h_b)
    with pytest.raises(ConfigError, match="validation data differs"):
        fit(make(), X, Y, epochs=6, checkpoint=ck, resume=True,
            **{**kw, "validation_data": (Xv + 1, Yv)})


def test_the_library_prints_nothing(data, tmp_path, capsys):
    X, Y = data
    ck = tmp_path / "ck"
    fit(make(), X, Y, epochs=2, batch_size=60, checkpoint=ck)
    ck.write_bytes(b"damaged")
    with pytest.warns(CheckpointWarning):
        fit(make(), X, Y, epochs=3, batch_size=60, checkpoint=ck, resume=True)
    assert capsys.readouterr() == ("", "")


def test_both_checkpoints_damaged_is_an_error(data, tmp_path):
    X, Y = data
    ck = tmp_path / "ck"
    fit(make(), X, Y, epochs=2, batch_size=60, checkpoint=ck)
    ck.write_bytes(b"garbage")
    previous_path(ck).write_bytes(b"")
    with pytest.raises(CheckpointError, match="no usable checkpoint"):
        fit(make(), X, Y, epochs=4, batch_size=60, checkpoint=ck, resume=True)
    assert issubclass(CheckpointError, ModelFileError)


def test_only_previous_checkpoint_left_is_used(data, tmp_path):
    # A file system without hard links has a moment where only PATH.prev exists.
    X, Y = data
    ck = tmp_path / "ck"
    fit(make(), X, Y, epochs=2, batch_size=60, checkpoint=ck)
    ck.unlink()
    with pytest.warns(CheckpointWarning, match="no such checkpoint file"):
        assert load_latest_checkpoint(ck).epoch == 1


def test_resume_without_a_checkpoint_starts_afresh(data, tmp_path):
    X, Y = data
    net_a = make()
    h_a = fit(net_a, X, Y, epochs=3, batch_size=60, random_state=4)
    net_b = make()
    h_b = fit(net_b, X, Y, epochs=3, batch_size=60, random_state=4,
              checkpoint=tmp_path / "new", resume=True)
    assert_same_run(net_a, h_a, net_b, h_b)
    assert load_latest_checkpoint(tmp_path / "nothing") is None


def test_finished_early_stopped_run_stays_stopped(data, tmp_path):
    X, Y = data
    kw = dict(batch_size=16, learning_rate=0.05, validation_split=0.3, early_stopping=True,
              patience=3, tol=0.0, random_state=0)
    net_a = Network([5, 64, 3], "relu", cost="cross_entropy", random_state=0)
    ck = tmp_path / "ck"
    h_a = fit(net_a, X, Y, epochs=300, checkpoint=ck, **kw)
    assert h_a.stopped_early
    net_b = Network([5, 64, 3], "relu", cost="cross_entropy", random_state=0)
    h_b = fit(net_b, X, Y, epochs=300, checkpoint=ck, resume=True, **kw)
    assert_same_run(net_a, h_a, net_b, h_b)  # no extra epoch, the best weights restored


RESUME_MISMATCH = [
    (dict(net=lambda: make(hidden=9)), "layer_sizes"),
    (dict(net=lambda: make(activation="relu")), "activations"),
    (dict(net=lambda: make("float32")), "dtype"),
    (dict(rows=200), "240 examples .* got 200 examples"),
    (dict(noise=True), "same shape but different values"),
    (dict(batch_size=16), "batch_size was 32 .* now 16"),
    (dict(learning_rate=0.5), "learning_rate"),
    (dict(optimizer="sgd"), "optimizer was 'adam'"),
    (dict(random_state=99), "random_state was 1"),
    (dict(validation_split=0.1), "validation_split"),
]


@pytest.mark.parametrize(("change", "fragment"), RESUME_MISMATCH)
def test_resume_with_other_architecture_data_or_options_is_refused(data, tmp_path, change,
                                                                    fragment):
    X, Y = data
    ck = tmp_path / "ck"
    kw = dict(batch_size=32, random_state=1, learning_rate=0.01)
    fit(make(), X, Y, epochs=1, checkpoint=ck, **kw)
    before = ck.read_bytes()
    change = dict(change)
    net = change.pop("net", make)()
    rows = change.pop("rows", X.shape[0])
    Xr = X[:rows] + (1e-9 if change.pop("noise", False) else 0)
    with pytest.raises(ConfigError, match=f"checkpoint: cannot resume from .*{fragment}"):
        fit(net, Xr, Y[:rows], epochs=2, checkpoint=ck, resume=True, **{**kw, **change})
    assert ck.read_bytes() == before  # untouched


def test_an_existing_file_that_is_not_a_checkpoint_is_never_overwritten(data, tmp_path):
    X, Y = data
    model = tmp_path / "model.safetensors"
    save_model(model, make())
    before = model.read_bytes()
    with pytest.raises(ConfigError, match="not a chainrule checkpoint; refusing to overwrite"):
        fit(make(), X, Y, epochs=1, checkpoint=model)
    assert model.read_bytes() == before


@pytest.mark.parametrize(("kwargs", "fragment"), [
    (dict(optimizer="lbfgs"), "not supported with optimizer='lbfgs'"),
    (dict(checkpoint_every=0), "checkpoint_every: expected a positive integer"),
    (dict(checkpoint_every_batches=-1), "checkpoint_every_batches: expected a positive"),
    (dict(resume="yes"), "resume: expected True or False"),
])
def test_bad_checkpoint_options(data, tmp_path, kwargs, fragment):
    X, Y = data
    with pytest.raises(ConfigError, match=fragment):
        fit(make(), X, Y, epochs=1, checkpoint=tmp_path / "ck", **kwargs)


def test_disk_full_keeps_the_previous_checkpoint_and_leaves_no_temp_file(data, tmp_path,
                                                                          monkeypatch):
    X, Y = data
    ck = tmp_path / "ck"
    net = make()
    fit(net, X, Y, epochs=2, batch_size=60, checkpoint=ck)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(CheckpointError, match="cannot write checkpoint: no space left"):
        fit(net, X, Y, epochs=4, batch_size=60, checkpoint=ck, resume=True)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert np.isfinite(net.params).all()


def test_checkpoint_in_a_missing_folder(data, tmp_path):
    X, Y = data
    with pytest.raises(CheckpointError, match=r"folder .* does not exist"):
        fit(make(), X, Y, epochs=1, checkpoint=tmp_path / "no" / "ck")


# -- malformed files --------------------------------------------------------------


@pytest.fixture
def good(data, tmp_path):
    X, Y = data
    ck = tmp_path / "good.ckpt"
    net = make()
    on_batch, _ = interrupt_at(net, 5)
    with pytest.raises(KeyboardInterrupt):  # mid-epoch: every tensor is present
        fit(net, X, Y, epochs=3, batch_size=60, validation_split=0.25, early_stopping=True,
            checkpoint=ck, batch_callback=on_batch)
    return ck


def rewrite(src, dst, edit_doc=None, edit_tensors=None):
    """Copy a checkpoint, changing its JSON document and/or its tensors."""
    with safe_open(str(src), "np") as f:
        meta = f.metadata()
    tensors = load_file(str(src))
    doc = json.loads(meta["chainrule"])
    if edit_doc:
        edit_doc(doc)
    if edit_tensors:
        edit_tensors(tensors)
    text = json.dumps(doc)
    # a well-formed file with a valid checksum, so that the checks of its content are tested
    save_file(tensors, str(dst), metadata={"chainrule": text,
                                           "chainrule.checksum": checksum(text, tensors)})
    return dst


def _set(path, value):
    def edit(doc):
        *parents, last = path.split(".")
        for p in parents:
            doc = doc[p]
        doc[last] = value
    return edit


def _del(key):
    return lambda t: t.pop(key)


def _nan(key):
    def edit(t):
        t[key] = t[key].copy()
        t[key][0] = np.nan
    return edit


def _swap_perm(t):
    t["perm"] = t["perm"].copy()
    t["perm"][0] = t["perm"][1]


BAD = {
    "empty": (lambda b: b"", "too few for a header"),
    "truncated": (lambda b: b[: len(b) - 7], "outside the .* data bytes|unexpected bytes"),
    "huge header length": (lambda b: (2**62).to_bytes(8, "little") + b[8:], "header length"),
    "not json": (lambda b: b[:8] + b"\xff" * (len(b) - 8), "not a valid chainrule checkpoint"),
}

EDITS = {
    "format": (_set("format", "chainrule-model"), None, "expected 'chainrule-checkpoint'"),
    "version": (_set("format_version", 3), None, "format_version is 3"),  # a future one
    "penalty sum": (lambda d: d["state"].pop("epoch_penalty_sum"), None,
                    "state lacks epoch_penalty_sum"),
    "layer sizes": (_set("network.layer_sizes", [5, 0, 3]), None, "layer_sizes"),
    "activation": (_set("network.activations", ["tanh", "evil"]), None, "activation"),
    "dtype": (_set("network.dtype", "float16"), None, "network.dtype"),
    "optimizer": (_set("training.optimizer", "rmsprop"), None, "training.optimizer"),
    "learning rate": (_set("training.learning_rate", -1), None, "learning_rate"),
    "epoch text": (_set("state.epoch", "3"), None, "state.epoch must be an integer"),
    "batch past end": (_set("state.batch", 99), None, "an epoch has 3 batches"),
    "rng": (_set("state.rng.bit_generator", "os.system"), None, "bit_generator"),
    "rng state": (_set("state.rng.state", {"state": -1, "inc": "x"}), None, "state.rng"),
    "n_features": (_set("data.n_features", 4), None, "features"),
    "params missing": (None, _del("params"), "tensor 'params' is missing"),
    "params NaN": (None, _nan("params"), "'params' holds NaN"),
    "moment NaN": (None, _nan("optimizer.m"), "'optimizer.m' holds NaN"),
    "perm": (None, _swap_perm, "'perm' is not an ordering"),
    "split": (None, _del("val_indices"), "present together"),
    "history": (None, _del("history.cost"), "'history.cost' is missing"),
    "extra tensor": (None, lambda t: t.update(evil=np.zeros(2)), "unexpected tensors evil"),
    "params float32": (None, lambda t: t.update(params=t["params"].astype(np.float32)),
                       "'params' has shape"),
}


@pytest.mark.parametrize("case", BAD, ids=BAD.keys())
def test_malformed_bytes_raise_checkpoint_error(good, tmp_path, case):
    corrupt, fragment = BAD[case]
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(corrupt(good.read_bytes()))
    with pytest.raises(CheckpointError, match=fragment):
        load_checkpoint(bad)


@pytest.mark.parametrize("case", EDITS, ids=EDITS.keys())
def test_malformed_contents_raise_checkpoint_error(good, tmp_path, case):
    edit_doc, edit_tensors, fragment = EDITS[case]
    load_checkpoint(good)  # the original is fine
    bad = rewrite(good, tmp_path / "bad.ckpt", edit_doc, edit_tensors)
    with pytest.raises(CheckpointError, match=fragment):
        load_checkpoint(bad)


def test_a_version_1_checkpoint_is_read_and_resumed(data, good, tmp_path):
    # version 1 had no running penalty sum: it reads as 0 and the run goes on
    def as_version_1(doc):
        doc["format_version"] = 1
        del doc["state"]["epoch_penalty_sum"]

    old = rewrite(good, tmp_path / "old.ckpt", as_version_1, None)
    ck = load_checkpoint(old)
    assert ck.state["epoch_penalty_sum"] == 0.0 and ck.batch == load_checkpoint(good).batch
    X, Y = data
    h = fit(make(), X, Y, epochs=3, batch_size=60, validation_split=0.25, early_stopping=True,
            checkpoint=old, resume=True)
    assert len(h) == 3 and load_checkpoint(old).epoch == 3


def test_model_file_and_folder_are_not_checkpoints(tmp_path):
    save_model(tmp_path / "m.safetensors", make())
    with pytest.raises(CheckpointError, match="format is 'chainrule-model'"):
        load_checkpoint(tmp_path / "m.safetensors")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "missing")


# -- a killed process --------------------------------------------------------------

KILLED_RUN = textwrap.dedent("""
    import sys
    import numpy as np
    from chainrule import Network
    from chainrule.train.loop import fit
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 8))
    Y = np.eye(2)[(X[:, 0] * X[:, 1] > 0).astype(int)]
    net = Network([8, 32, 2], "tanh", cost="cross_entropy", random_state=0)
    fit(net, X, Y, epochs=int(sys.argv[2]), batch_size=20, random_state=0, validation_split=0.1,
        checkpoint=sys.argv[1], checkpoint_every_batches=7, resume=True)
    np.save(sys.argv[1] + ".params.npy", net.params)
""")


def _mtime(path):
    return path.stat().st_mtime_ns if path.exists() else None


def kill_while_training(cmd, ck, rng, timeout=60.0):
    """Start ``cmd``; once it has written a new checkpoint, SIGKILL it after a random delay.

    Returns True if it was killed, False if it finished first.
    """
    before = _mtime(ck)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and _mtime(ck) == before and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(float(rng.uniform(0.0, 0.15)))  # a random point: mid-batch, mid-save, ...
    killed = proc.poll() is None
    proc.kill()  # SIGKILL: no handler, no clean-up runs
    proc.wait()
    return killed


def test_sigkill_at_random_points_then_resume_is_bit_identical(tmp_path):
    """Library-level: a training process killed at random points resumes exactly."""
    script = tmp_path / "run.py"
    script.write_text(KILLED_RUN)
    epochs = "60"
    straight = tmp_path / "straight"
    subprocess.run([sys.executable, str(script), str(straight), epochs], check=True,
                   timeout=120)
    ck = tmp_path / "killed"
    rng = np.random.default_rng(1)
    kills = sum(kill_while_training([sys.executable, str(script), str(ck), epochs], ck, rng)
                for _ in range(4))
    assert kills == 4
    killed_at = load_latest_checkpoint(ck).state["history"]["n_steps"]
    assert 0 < killed_at < 60 * 90
    subprocess.run([sys.executable, str(script), str(ck), epochs], check=True, timeout=120)
    np.testing.assert_array_equal(np.load(f"{ck}.params.npy"), np.load(f"{straight}.params.npy"))
    a, b = load_checkpoint(straight), load_checkpoint(ck)
    for key in HISTORY_FIELDS:
        np.testing.assert_array_equal(a.state["history"][key], b.state["history"][key])


def test_checkpoint_files_get_the_usual_permissions(data, tmp_path):
    X, Y = data
    old = os.umask(0o022)
    try:
        fit(make(), X, Y, epochs=1, batch_size=60, checkpoint=tmp_path / "ck")
    finally:
        os.umask(old)
    assert (tmp_path / "ck").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0o600


# -- the command line ---------------------------------------------------------------

CLI = [sys.executable, "-m", "chainrule"]
SPIRAL = ["train", "--dataset", "spiral", "--hidden", "16,16", "--batch-size", "20",
          "--seed", "3", "--quiet"]


def cli(*args, check=True):
    out = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def model_params(path):
    from chainrule.io import read_model_file

    return read_model_file(path)[0].params


@pytest.mark.slow
def test_cli_sigkill_at_random_points_then_resume_is_bit_identical(tmp_path):
    epochs = 300
    straight = tmp_path / "straight.safetensors"
    cli(*SPIRAL, "--epochs", epochs, "--out", straight)
    ck, out = tmp_path / "ck", tmp_path / "resumed.safetensors"
    cmd = [*CLI, *SPIRAL, "--epochs", str(epochs), "--out", str(out), "--checkpoint", str(ck),
           "--checkpoint-every", "1", "--resume"]
    rng = np.random.default_rng(2)
    kills = sum(kill_while_training(cmd, ck, rng) for _ in range(4))
    assert kills == 4
    assert 0 < load_latest_checkpoint(ck).epoch < epochs
    assert not out.exists()  # killed: no model written, and no half-written one either
    subprocess.run(cmd, check=True, timeout=300, capture_output=True)
    np.testing.assert_array_equal(model_params(out), model_params(straight))


def start_training(tmp_path, *extra):
    ck, out = tmp_path / "ck", tmp_path / "model.safetensors"
    proc = subprocess.Popen([*CLI, *SPIRAL, "--epochs", "100000", "--out", str(out),
                             "--checkpoint", str(ck), "--checkpoint-every", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not ck.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)  # until training is under way
    assert proc.poll() is None, proc.communicate()
    return proc, ck, out


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                   (signal.SIGTERM, 143, "terminated")])
def test_cli_signal_saves_model_and_checkpoint_then_resumes_exactly(tmp_path, sig, code, word):
    proc, ck, out = start_training(tmp_path)
    time.sleep(0.2)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and stdout == ""
    assert f"{word} after" in stderr
    assert str(out) in stderr and f"--checkpoint {ck} --resume" in stderr  # says where
    saved = load_checkpoint(ck)
    np.testing.assert_array_equal(model_params(out), saved.state["params"])  # the same batch
    # Resuming from that point for a few more epochs equals a run never interrupted.
    epochs = saved.epoch + 3
    cli(*SPIRAL, "--epochs", epochs, "--out", tmp_path / "resumed.safetensors",
        "--checkpoint", ck, "--resume")
    cli(*SPIRAL, "--epochs", epochs, "--out", tmp_path / "straight.safetensors")
    np.testing.assert_array_equal(model_params(tmp_path / "resumed.safetensors"),
                                  model_params(tmp_path / "straight.safetensors"))


@pytest.mark.slow
def test_cli_second_ctrl_c_exits_at_once_without_damaging_files(tmp_path):
    proc, ck, out = start_training(tmp_path)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    load_checkpoint(ck)  # complete, whichever one it is
    if out.exists():
        assert np.isfinite(model_params(out)).all()
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert not leftovers


def test_without_hard_links_the_previous_checkpoint_is_still_kept(data, tmp_path, monkeypatch):
    X, Y = data

    def no_links(src, dst, *args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)  # e.g. FAT or some network file systems
    ck = tmp_path / "ck"
    fit(make(), X, Y, epochs=3, batch_size=60, checkpoint=ck)
    assert load_checkpoint(ck).epoch == 3
    assert load_checkpoint(previous_path(ck)).epoch == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck", "ck.prev"]
