"""Reliability: hostile files refused, numbers that stay finite, runs that repeat bit for bit.

* Fuzz: every loader (model, checkpoint, CSV, NPY, NPZ) is fed mutated, truncated and
  random bytes; each input loads or raises a ChainruleError, in bounded time.
* Hostile files: sizes declared far beyond the file (NPY headers, NPZ members, a zip
  bomb) are refused before anything is allocated; pickles never run.
* Numerical robustness: the cross-entropies at |z| up to 1e4, float32 against float64
  training on every built-in data set, weights checked after every epoch.
* Determinism: the same seed gives the same bits, whatever the global random state,
  in this process and in two fresh ones.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import io
import math
import os
import pathlib
import pickle
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
import zipfile
import zlib
from itertools import count

import numpy as np
import pytest
from fuzz.mutate import byte_mutations as mutations  # make fuzz's, in a few examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule import (
    ChainruleError,
    DataError,
    DivergenceError,
    ModelFileError,
    Network,
    get_activation,
)
from chainrule.data import DATASETS, load_array, load_csv, load_data
from chainrule.io import read_model_file, save_model
from chainrule.nn.costs import get_cost
from chainrule.optim import GradientDescent
from chainrule.train.checkpoint import CheckpointError, load_checkpoint
from chainrule.train.loop import Trainer, evaluate, fit

SECONDS_PER_LOAD = 2.0  # "bounded time": far above what any of these tiny files needs


# ---------------------------------------------------------------------------
# Seed files for the fuzzer
# ---------------------------------------------------------------------------


def _model_bytes(folder: pathlib.Path) -> bytes:
    path = folder / "seed.safetensors"
    save_model(path, Network([3, 4, 2], "tanh", random_state=0), metadata={"mean": [0, 1, 2]})
    return path.read_bytes()


def _checkpoint_bytes(folder: pathlib.Path) -> bytes:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    Y = np.eye(2)[rng.integers(0, 2, 20)]
    net = Network([3, 4, 2], "tanh", cost="cross_entropy", random_state=0)
    path = folder / "seed.ckpt"
    fit(net, X, Y, epochs=2, batch_size=8, validation_split=0.2, random_state=0,
        checkpoint=path)
    return path.read_bytes()


def _npy_bytes(A: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, A, allow_pickle=False)
    return buf.getvalue()


def _npz_bytes(compressed: bool) -> bytes:
    buf = io.BytesIO()
    save = np.savez_compressed if compressed else np.savez
    save(buf, X=np.arange(12.0).reshape(6, 2), y=np.array([[0.0], [1], [0], [1], [1], [0]]))
    return buf.getvalue()


CSV_TEXT = "x1,x2,label\n0.5,1.25,0\n-3,2e-3,1\n7,8,1\n"


@functools.cache
def seed(kind: str) -> bytes:
    """A valid file of each kind, made once (not a fixture: Hypothesis would print it)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        return {
            "model": lambda: _model_bytes(folder),
            "checkpoint": lambda: _checkpoint_bytes(folder),
            "csv": lambda: CSV_TEXT.encode(),
            "npy": lambda: _npy_bytes(np.arange(10.0).reshape(5, 2)),
            "npz": lambda: _npz_bytes(compressed=False),
            "npz-deflate": lambda: _npz_bytes(compressed=True),
        }[kind]()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A folder and a counter: each fuzz input gets a fresh file (memmaps may still be open)."""
    return tmp_path_factory.mktemp("fuzz"), count()


def loads_or_refuses(load, path: pathlib.Path) -> None:
    """The contract: a result or a ChainruleError (anything else propagates and fails)."""
    t0 = time.perf_counter()
    try:
        result = load(path)
    except ChainruleError:
        result = None
    assert time.perf_counter() - t0 < SECONDS_PER_LOAD, f"{path.name} took too long"
    del result  # drop memmaps before the next file


LOADERS = {
    "read_model_file": (read_model_file, "model", ".safetensors"),
    "load_checkpoint": (load_checkpoint, "checkpoint", ".ckpt"),
    "load_csv": (load_csv, "csv", ".csv"),
    "load_data-csv": (load_data, "csv", ".csv"),
    "load_array-npy": (load_array, "npy", ".npy"),
    "load_data-npy": (load_data, "npy", ".npy"),
    "load_array-npz": (load_array, "npz", ".npz"),
    "load_data-npz-deflate": (load_data, "npz-deflate", ".npz"),
}


@pytest.mark.parametrize("loader", LOADERS, ids=LOADERS.keys())
@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_fuzzed_files_load_or_raise_a_chainrule_error(scratch, loader, data):
    load, kind, suffix = LOADERS[loader]
    blob = data.draw(mutations(seed(kind)), label="file bytes")
    folder, counter = scratch
    path = folder / f"f{next(counter)}{suffix}"
    path.write_bytes(blob)
    loads_or_refuses(load, path)


CSV_ALPHABET = st.sampled_from([*"0123456789.,-+eE \t\"'\n\r;xyzNnaIif", "\ufeff", "\x00"])


@settings(max_examples=150, deadline=None)
@given(text=st.text(CSV_ALPHABET, max_size=200))
def test_fuzzed_csv_text_loads_or_raises(scratch, text):
    folder, counter = scratch
    path = folder / f"t{next(counter)}.csv"
    path.write_text(text, encoding="utf-8")
    loads_or_refuses(load_csv, path)


def test_the_unmutated_seeds_load(tmp_path):
    # The fuzzer starts from valid files: otherwise it would only test the first check.
    for loader, (load, kind, suffix) in LOADERS.items():
        path = tmp_path / f"{loader}{suffix}"
        path.write_bytes(seed(kind))
        assert load(path) is not None


def _patch_central(blob: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of the first central-directory entry of a zip archive."""
    out = bytearray(blob)
    struct.pack_into(fmt, out, out.index(b"PK\x01\x02") + offset, value)
    return bytes(out)


def _bad_deflate(blob: bytes) -> bytes:
    out = bytearray(blob)
    out[out.index(b"X.npy") + 5 + 20 + 10] ^= 0x10  # a bit inside the deflate stream of X
    return bytes(out)


def _bad_central_signature(blob: bytes) -> bytes:
    out = bytearray(blob)
    out[out.index(b"PK\x01\x02") + 3] = 3
    return bytes(out)


# Inputs the fuzzer found, pinned down: each must give DataError and leave no file open.
DAMAGED_ARRAYS = {
    "npy header: unclosed bracket": (".npy", lambda: b"\x93NUMPY\x01\x00\x02\x00\x00{"),
    "npy header: unclosed string": (".npy", lambda: b"\x93NUMPY\x01\x00\x03\x00'''"),
    "npz: member flagged encrypted": (".npz", lambda: _patch_central(_npz_bytes(False), 8, "<H",
                                                                     1)),
    "npz: compression method 99": (".npz", lambda: _patch_central(_npz_bytes(False), 10, "<H",
                                                                  99)),
    "npz: zip version 25.5": (".npz", lambda: _patch_central(_npz_bytes(False), 6, "<H", 255)),
    "npz: corrupt deflate data": (".npz", lambda: _bad_deflate(_npz_bytes(True))),
    "npz: damaged central directory": (".npz", lambda: _bad_central_signature(
        _npz_bytes(False))),
}


@pytest.mark.parametrize("case", DAMAGED_ARRAYS, ids=DAMAGED_ARRAYS.keys())
def test_damaged_array_files_raise_data_error_and_close_the_file(tmp_path, case):
    suffix, make = DAMAGED_ARRAYS[case]
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(make())
    leaks = []
    previous_hook = sys.unraisablehook
    sys.unraisablehook = leaks.append  # an unclosed file reports here when collected
    try:
        with pytest.raises(DataError, match=re.escape(path.name)):
            load_data(path)
        gc.collect()
    finally:
        sys.unraisablehook = previous_hook
    assert not leaks, f"left open: {leaks[0].exc_value}"


# ---------------------------------------------------------------------------
# Sizes declared beyond the file: refused before allocation
# ---------------------------------------------------------------------------


def npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def write_zip(path: pathlib.Path, members: list[tuple[str, int, int, bytes, int]]) -> None:
    """A zip archive from raw members ``(name, declared size, crc, stored bytes, method)``.

    Written by hand so that declared sizes can be anything; zip64 extra fields carry
    sizes above 4 GiB.
    """
    out, central = bytearray(), bytearray()
    for name, size, crc, data, method in members:
        offset = len(out)
        nb = name.encode()
        big = size >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, size, len(data)) if big else b""
        size32, csize32 = (0xFFFFFFFF, 0xFFFFFFFF) if big else (size, len(data))
        version = 45 if big else 20
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, version, 0, method, 0, 0x21, crc,
                           csize32, size32, len(nb), len(extra)) + nb + extra + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, 0, method,
                               0, 0x21, crc, csize32, size32, len(nb), len(extra), 0, 0, 0, 0,
                               offset) + nb + extra
    n = len(members)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(central),
                                 len(out), 0)
    path.write_bytes(bytes(out))


def deflated_zeros(prefix: bytes, n_mib: int) -> tuple[bytes, int]:
    """Raw deflate of ``prefix`` + ``n_mib`` MiB of zeros, and its CRC-32, built cheaply.

    A full flush makes each compressed MiB independent, so one can be repeated.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    mib = bytes(2**20)
    chunk = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(prefix)
    for _ in range(n_mib):
        crc = zlib.crc32(mib, crc)
    return head + chunk * n_mib + c.flush(), crc


def stored(name: str, blob: bytes) -> tuple[str, int, int, bytes, int]:
    return name, len(blob), zlib.crc32(blob), blob, 0


def refused_lightly(load, path: pathlib.Path, fragment: str | None = None) -> str:
    """``load(path)`` raises DataError quickly, without allocating much; returns the message."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(DataError) as err:
            load(path)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seconds < SECONDS_PER_LOAD
    assert peak < 32 * 2**20, f"{peak / 2**20:.0f} MiB allocated before refusing"
    if fragment is not None:
        assert fragment in str(err.value)
    return str(err.value)


def test_npy_header_declaring_a_terabyte_is_refused(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(npy_header((2**37,)) + bytes(64))
    refused_lightly(load_array, path, "huge.npy")


def test_npz_member_whose_npy_header_declares_a_terabyte_is_refused(tmp_path):
    # Honest zip sizes, a lying array header: the member holds 64 bytes, not 1 TiB.
    path = tmp_path / "liar.npz"
    write_zip(path, [stored("X.npy", npy_header((2**37,)) + bytes(64)),
                     stored("y.npy", _npy_bytes(np.zeros((8, 1))))])
    refused_lightly(load_array, path, "liar.npz")


def test_npz_member_declaring_a_terabyte_is_refused_before_decompression(tmp_path):
    # Zip64 sizes of 1 TiB in front of 1 MiB of deflated zeros.
    header = npy_header((2**37,))
    data, crc = deflated_zeros(header, 1)
    path = tmp_path / "declared.npz"
    write_zip(path, [("X.npy", len(header) + 2**40, crc, data, 8),
                     stored("y.npy", _npy_bytes(np.zeros((8, 1))))])
    refused_lightly(load_array, path, "declared.npz")


def test_zip_bomb_is_refused_before_decompression(tmp_path):
    # 1 MB on disk, 1 GiB of zeros once inflated: a real bomb, with a correct CRC.
    header = npy_header((2**27,))
    data, crc = deflated_zeros(header, 1024)
    path = tmp_path / "bomb.npz"
    write_zip(path, [("X.npy", len(header) + 2**30, crc, data, 8),
                     stored("y.npy", _npy_bytes(np.zeros((2**27, 1))[:0]))])
    assert path.stat().st_size < 2**21
    refused_lightly(load_array, path, "bomb.npz")


def test_model_and_checkpoint_headers_declaring_huge_sizes_are_refused(tmp_path):
    for load, error in ((read_model_file, ModelFileError), (load_checkpoint, CheckpointError)):
        path = tmp_path / "huge"
        path.write_bytes(struct.pack("<Q", 2**60) + b"{}")
        tracemalloc.start()
        try:
            with pytest.raises(error, match="header length"):
                load(path)
            assert tracemalloc.get_traced_memory()[1] < 2**20
        finally:
            tracemalloc.stop()


# ---------------------------------------------------------------------------
# Pickles never run; object arrays are refused
# ---------------------------------------------------------------------------


class _Touch:
    """Unpickling this creates ``marker``: the proof that a loader ran code."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_the_payload_really_runs_when_unpickled(tmp_path):
    marker = tmp_path / "RAN"
    pickle.loads(pickle.dumps(_Touch(marker)))
    assert marker.exists()


def _object_npy(marker: pathlib.Path) -> bytes:
    buf = io.BytesIO()
    A = np.empty(2, dtype=object)
    A[0] = _Touch(marker)
    np.save(buf, A, allow_pickle=True)
    return buf.getvalue()


def _object_npz(marker: pathlib.Path) -> bytes:
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("X.npy", _object_npy(marker))
        z.writestr("y.npy", _npy_bytes(np.zeros((2, 1))))
    return zbuf.getvalue()


def _torch_like_zip(marker: pathlib.Path) -> bytes:
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Touch(marker)))
    return zbuf.getvalue()


HOSTILE = {
    "object .npy": ("evil.npy", _object_npy, load_data, DataError),
    "object .npz member": ("evil.npz", _object_npz, load_data, DataError),
    "pickle renamed .npy": ("evil.npy", lambda m: pickle.dumps(_Touch(m)), load_data, DataError),
    "pickle renamed .npz": ("evil.npz", lambda m: pickle.dumps(_Touch(m)), load_data, DataError),
    "text pickle renamed .csv": ("evil.csv", lambda m: pickle.dumps(_Touch(m), protocol=0),
                                 load_data, DataError),
    "pickle renamed model": ("evil.safetensors", lambda m: pickle.dumps(_Touch(m)), read_model_file,
                             ModelFileError),
    "torch.save-like model": ("evil.pt", _torch_like_zip, read_model_file, ModelFileError),
    "pickle renamed checkpoint": ("evil.ckpt", lambda m: pickle.dumps(_Touch(m)),
                                  load_checkpoint, CheckpointError),
    "object .npy as checkpoint": ("evil.ckpt", _object_npy, load_checkpoint, CheckpointError),
}


@pytest.mark.parametrize("case", HOSTILE, ids=HOSTILE.keys())
def test_pickle_payloads_never_run(tmp_path, case):
    name, make, load, error = HOSTILE[case]
    marker = tmp_path / "RAN"
    path = tmp_path / name
    path.write_bytes(make(marker))
    with pytest.raises(error):
        load(path)
    assert not marker.exists(), "the loader ran code from the file"


# ---------------------------------------------------------------------------
# Numerical robustness
# ---------------------------------------------------------------------------

Z_EXTREMES = [-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_finite_and_exact_for_huge_z(dtype):
    cost = get_cost("binary_cross_entropy")
    z = np.array(Z_EXTREMES, dtype=dtype)[:, None]
    Z = np.vstack([z, z])  # each z with y = 0, then with y = 1
    Y = np.vstack([np.zeros_like(z), np.ones_like(z)])
    with np.errstate(all="raise", under="ignore"):
        A = get_activation("logistic")(Z)
        per = cost.per_example(Z, A, Y)
        dZ = cost.delta(Z, A, Y, np.empty_like(Z))
    assert per.dtype == dtype and dZ.dtype == dtype
    assert np.isfinite(per).all() and np.isfinite(dZ).all()
    # C = softplus(z) − y z: z for (z=1e4, y=0), |z| for (z=−1e4, y=1), 0 when right
    np.testing.assert_allclose(per[[6, 7]], [1e4, 1e4], rtol=1e-6)
    np.testing.assert_allclose(per[[0, 13]], [0, 0], atol=1e-30)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_categorical_cross_entropy_finite_and_exact_for_huge_z(dtype):
    cost = get_cost("cross_entropy")
    Z = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [800, 800, -800]],
                 dtype=dtype)
    Y = np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]], dtype=dtype)
    with np.errstate(all="raise", under="ignore"):
        A = get_activation("softmax")(Z)
        per = cost.per_example(Z, A, Y)
        dZ = cost.delta(Z, A, Y, np.empty_like(Z))
    assert np.isfinite(per).all() and np.isfinite(dZ).all() and per.dtype == dtype
    # float32 keeps about 7 digits of z, so log 2 next to z = 800 is good to ~1e-4
    atol = 1e4 * np.finfo(dtype).eps
    np.testing.assert_allclose(per, [0.0, 2e4, np.log(3), np.log(2)], rtol=1e-6, atol=atol)


CE_NETWORKS = [
    ("logistic", "binary_cross_entropy", 1),
    ("softmax", "cross_entropy", 3),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("out", "cost", "n_out"), CE_NETWORKS)
@pytest.mark.parametrize("hidden", ["softplus", "logistic", "tanh"])
def test_network_cost_and_gradient_finite_at_saturation(dtype, out, cost, n_out, hidden):
    # Output biases of ±1e4 put the output layer's z there; big first-layer weights
    # saturate the hidden layer too.
    net = Network([2, 4, n_out], hidden, out, cost=cost, dtype=dtype, random_state=0)
    net.b[1][...] = 1e4 * (-1.0) ** np.arange(n_out)
    net.W[0][...] *= 1e3
    X = np.array([[1.0, -1.0], [-1.0, 1.0], [3.0, 2.0]])
    Y = np.eye(n_out)[[0, 0, 0]] if n_out > 1 else np.array([[0.0], [1.0], [0.0]])
    with np.errstate(all="raise", under="ignore"):
        C, g = net.cost_and_gradient(X, Y)
        Z_out = net.forward(X).Z[-1]
    assert np.abs(Z_out).min() > 9e3  # really saturated
    assert np.isfinite(C) and np.isfinite(g).all() and g.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_network_with_squared_error_finite_at_huge_z(dtype):
    net = Network([1, 3, 1], "softplus", "identity", dtype=dtype, random_state=0)
    net.W[0][...] = np.array([[1e4], [-1e4], [5e3]])
    with np.errstate(all="raise", under="ignore"):
        C, g = net.cost_and_gradient([[1.0], [-1.0]], [[0.0], [1.0]])
    assert np.isfinite(C) and np.isfinite(g).all()


def _network_for(ds, dtype):
    if ds.task == "classification":
        hidden = [32, 32] if ds.name == "spiral" else [16]
        return Network([ds.n_features, *hidden, ds.n_outputs], "tanh", cost="cross_entropy",
                       dtype=dtype, random_state=0)
    return Network([ds.n_features, 8, ds.n_outputs], "tanh", "logistic", dtype=dtype,
                   random_state=0)


TRAINING = {  # small: each data set trains in a fraction of a second
    "not_gate": dict(epochs=300, batch_size=None, learning_rate=0.05),
    "xor": dict(epochs=600, batch_size=None, learning_rate=0.05),
    "heart": dict(epochs=300, batch_size=20, learning_rate=0.01),
    "circle": dict(epochs=30, batch_size=20, learning_rate=0.02),
    "xor_blobs": dict(epochs=30, batch_size=20, learning_rate=0.02),
    "gaussians": dict(epochs=20, batch_size=20, learning_rate=0.02),
    "spiral": dict(epochs=150, batch_size=20, learning_rate=0.01),
    "wave": dict(epochs=30, batch_size=20, learning_rate=0.02),
    "saddle": dict(epochs=30, batch_size=20, learning_rate=0.02),
    "digits": dict(epochs=8, batch_size=64, learning_rate=0.005),
}


def test_every_built_in_dataset_is_covered():
    assert set(TRAINING) == set(DATASETS)


@pytest.mark.parametrize("name", TRAINING)
def test_float32_training_matches_float64_within_one_percent(name):
    ds = DATASETS[name]()
    results = {}
    for dtype in (np.float64, np.float32):
        net = _network_for(ds, dtype)
        fit(net, ds.X, ds.y, optimizer="adam", random_state=0, **TRAINING[name])
        assert net.params.dtype == dtype
        results[dtype] = evaluate(net, ds.X, ds.y)
    (c64, acc64), (c32, acc32) = results[np.float64], results[np.float32]
    assert abs(c32 - c64) <= 0.01 * c64 + 1e-5, (c32, c64)
    if ds.task == "classification":
        assert acc64 > 0.7  # it learned something, so the comparison means something
        assert abs(acc32 - acc64) <= 0.01, (acc32, acc64)


class _Overflowing(GradientDescent):
    """Gradient descent that puts an infinity into θ[index] on step ``at`` (an overflow)."""

    def __init__(self, at: int, index: int):
        super().__init__(learning_rate=0.1)
        self.at, self.index = at, index

    def _update(self, params, grads, scratch):
        super()._update(params, grads, scratch)
        if self.t == self.at:
            params[self.index] = np.inf


def test_weights_are_checked_after_every_epoch_and_the_last_finite_ones_kept(rng):
    X = rng.normal(size=(40, 2))
    Y = (X[:, :1] > 0).astype(float)
    net = Network([2, 3, 1], "tanh", random_state=0)
    ends = {}
    # 4 batches an epoch; step 12 is the last of epoch 3: only the end-of-epoch check sees it
    with pytest.raises(DivergenceError, match=r"weights became non-finite in epoch 3.*end of "
                                              r"epoch 2, the last with a finite cost") as err:
        fit(net, X, Y, optimizer=_Overflowing(at=12, index=3), epochs=10, batch_size=10,
            shuffle=False,
            callbacks=[lambda info: ends.update({info.epoch: net.params.copy()})])
    assert err.value.epoch == 3 and err.value.batch is None
    assert sorted(ends) == [1, 2]
    np.testing.assert_array_equal(net.params, ends[2])  # the last finite weights


def test_an_overflowing_update_mid_epoch_keeps_finite_weights(rng):
    X = rng.normal(size=(40, 2))
    Y = (X[:, :1] > 0).astype(float)
    net = Network([2, 3, 1], "tanh", "identity", random_state=0)
    ends = {}
    # b2 = ∞ after step 6 (epoch 2, batch 1) makes the cost of the next batch infinite
    with pytest.raises(DivergenceError, match=r"epoch 2, batch 2.*end of epoch 1, the last "
                                              r"with a finite cost, are kept"):
        fit(net, X, Y, optimizer=_Overflowing(at=6, index=-1), epochs=10, batch_size=10,
            callbacks=[lambda info: ends.update({info.epoch: net.params.copy()})])
    np.testing.assert_array_equal(net.params, ends[1])


def test_a_huge_learning_rate_stops_with_finite_weights():
    X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    Y = np.array([[0.0], [1], [1], [0]]) * 1e3
    for batch_size in (None, 2):  # the first update overflows: the start is put back
        net = Network([2, 3, 1], "tanh", "identity", random_state=0)
        start = net.params.copy()
        with pytest.raises(DivergenceError, match=r"smaller learning rate.*before training"):
            fit(net, X, Y, optimizer="gd", learning_rate=1e306, epochs=5, batch_size=batch_size,
                shuffle=False)
        np.testing.assert_array_equal(net.params, start)


def test_a_huge_but_finite_update_is_undone_when_the_next_cost_is_infinite():
    # The first batch holds the two y = 0 rows: its gradient is small, so the update lands
    # near 1e306, finite, but the next batch's cost (a ≈ 1e306) is infinite: weights whose
    # cost overflows are of no use, so the start (the last with a finite cost) comes back.
    X = np.array([[0.0, 0], [1, 1], [0, 1], [1, 0]])
    Y = np.array([[0.0], [0], [1], [1]]) * 1e3
    net = Network([2, 3, 1], "tanh", "identity", random_state=0)
    start = net.params.copy()
    seen = []
    with pytest.raises(DivergenceError, match=r"epoch 1, batch 1.*from before training"):
        fit(net, X, Y, optimizer="gd", learning_rate=1e306, epochs=5, batch_size=2,
            shuffle=False, batch_callback=lambda *a: seen.append(net.params.copy()))
    assert np.isfinite(seen[0]).all() and np.abs(seen[0] - start).max() > 1e300
    np.testing.assert_array_equal(net.params, start)


def test_weights_whose_cost_overflows_at_the_very_end_are_not_returned():
    # epoch 2 ends with weights of 1e302, finite, whose cost overflows: they are caught as
    # run away (beyond √max, where squares overflow) before their cost is even computed
    X, Y = np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [5.0], [2.0]])
    net = Network([1, 1], "identity", weights=[[[0.5]]], biases=[[0.0]])
    ends = {}
    with pytest.raises(DivergenceError, match=r"the weights grew to .*e\+30\d, beyond 1.34e\+154 "
                                              r"\(their squares overflow\) in epoch 2.*end of "
                                              r"epoch 1") as e:
        fit(net, X, Y, epochs=2, optimizer="gd", learning_rate=1e150, batch_size=None,
            callbacks=[lambda info: ends.update({info.epoch: net.params.copy()})])
    assert e.value.epoch == 2 and e.value.batch is None
    np.testing.assert_array_equal(net.params, ends[1])
    assert math.isfinite(net.compute_cost(X, Y))



@pytest.mark.parametrize("case", ["runaway", "overflow"])
def test_the_weights_kept_after_divergence_have_a_finite_cost(case):
    if case == "runaway":
        # relu with an identity output and η = 1e3: the weights grow a millionfold in two
        # epochs while the cost rises; caught at that epoch's end, the one before is kept
        X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
        Y = np.array([[0.0], [1], [1], [0]])
        net = Network([2, 4, 1], "relu", "identity", random_state=0)
        rate, back = 1e3, 1
    else:
        # an input of 1e150: each epoch multiplies the weight by −9; at 2.7e4 (grown
        # 18,000-fold, no runaway) the cost overflows, so the next batch's is infinite
        X, Y = np.array([[1e150]]), np.array([[0.0]])
        net = Network([1, 1], "identity", weights=[[[0.5]]], biases=[[0.0]])
        rate, back = 5e-300, 2  # epoch e−1's end gave the infinite cost of epoch e
    ends = {}
    with pytest.raises(DivergenceError, match=r"end of epoch (\d+), the last with a finite") as e:
        fit(net, X, Y, optimizer="gd", learning_rate=rate, epochs=500, batch_size=None,
            callbacks=[lambda info: ends.update({info.epoch: net.params.copy()})])
    assert ("ran away" in str(e.value)) is (case == "runaway")
    kept = int(re.search(r"end of epoch (\d+)", str(e.value)).group(1))
    assert kept == e.value.epoch - back
    np.testing.assert_array_equal(net.params, ends[kept])
    with np.errstate(over="raise", invalid="raise"):
        assert math.isfinite(net.compute_cost(X, Y))


# ---------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------


def _train(X, Y, dtype=np.float64, **kw):
    net = Network([X.shape[1], 8, Y.shape[1]], "relu", cost="cross_entropy", dtype=dtype,
                  random_state=3)
    h = fit(net, X, Y, epochs=4, batch_size=16, random_state=11, **kw)
    return net.params.copy(), np.array(h.cost), np.array(h.val_cost)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [
    dict(optimizer="adam", validation_split=0.2),
    dict(optimizer="sgd", optimizer_options={"nesterov": True}, schedule="invscaling"),
    dict(optimizer="gd", learning_rate=0.3, early_stopping=True, patience=2),
], ids=["adam", "sgd", "gd"])
def test_same_seed_same_bits_whatever_the_global_random_state(rng, dtype, options):
    X = rng.normal(size=(120, 4))
    Y = np.eye(3)[rng.integers(0, 3, 120)]
    runs = []
    for seed in (1, 2):
        np.random.seed(seed)  # noqa: NPY002 - the point is that it is ignored
        random.seed(seed)
        runs.append(_train(X, Y, dtype, **options))
        np.random.standard_normal(1000)  # noqa: NPY002 - disturb it between runs
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    other = Network([4, 8, 3], "relu", cost="cross_entropy", dtype=dtype, random_state=4)
    assert not np.array_equal(other.params, runs[0][0])


FRESH_PROCESS_RUN = textwrap.dedent("""
    import hashlib, numpy as np
    from chainrule import Network
    from chainrule.data import load_dataset
    from chainrule.train.loop import fit
    ds = load_dataset("spiral")
    net = Network([2, 16, 16, ds.n_outputs], "tanh", cost="cross_entropy", random_state=7)
    fit(net, ds.X, ds.y, epochs=5, batch_size=32, random_state=7, validation_split=0.1)
    print(hashlib.sha256(net.params.tobytes()).hexdigest())
""")


def test_two_fresh_processes_give_the_same_bits():
    digests = set()
    for hash_seed in ("0", "12345"):  # string hashing differs; the weights must not
        out = subprocess.run([sys.executable, "-c", FRESH_PROCESS_RUN], capture_output=True,
                             text=True, check=True, timeout=120,
                             env={**os.environ, "PYTHONHASHSEED": hash_seed})
        digests.add(out.stdout.strip())
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_sha_of_weights_changes_with_the_seed():
    # Guards the test above: a digest that ignored the weights would always agree.
    a = Network([2, 3, 1], "tanh", random_state=0).params
    b = Network([2, 3, 1], "tanh", random_state=1).params
    assert hashlib.sha256(a.tobytes()).digest() != hashlib.sha256(b.tobytes()).digest()


def test_sigint_handler_is_restored_after_training(rng):
    X = rng.normal(size=(20, 2))
    Y = (X[:, :1] > 0).astype(float)
    before = signal.getsignal(signal.SIGINT)
    fit(Network([2, 2, 1], "tanh", random_state=0), X, Y, epochs=2, batch_size=5)
    assert signal.getsignal(signal.SIGINT) is before


def test_an_ignored_sigint_stays_ignored_during_training(rng):
    # a program started with Ctrl-C ignored (`cmd &` in a script) must not start obeying it
    X = rng.normal(size=(20, 2))
    Y = (X[:, :1] > 0).astype(float)
    seen = []
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        def interrupt(epoch, batch, n_batches):
            seen.append(signal.getsignal(signal.SIGINT))
            os.kill(os.getpid(), signal.SIGINT)

        h = fit(Network([2, 2, 1], "tanh", random_state=0), X, Y, epochs=2, batch_size=5,
                random_state=0, batch_callback=interrupt)
        assert len(h) == 2 and h.n_steps == 8  # every step ran
        assert set(seen) == {signal.SIG_IGN}
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_two_command_line_runs_with_one_seed_write_the_same_weights(tmp_path):
    weights = []
    for seed, name in ((5, "a"), (5, "b"), (6, "c")):
        out = tmp_path / f"{name}.safetensors"
        subprocess.run([sys.executable, "-m", "chainrule", "train", "--dataset", "spiral",
                        "--epochs", "20", "--validation", "0.2", "--seed", str(seed), "--quiet",
                        "--out", str(out)], check=True, capture_output=True, timeout=120)
        weights.append(read_model_file(out)[0].params)
    np.testing.assert_array_equal(weights[0], weights[1])
    assert not np.array_equal(weights[0], weights[2])


def test_a_ctrl_c_during_the_final_cost_check_still_interrupts():
    # the one-batch forward pass after the last epoch runs under the deferred handler too:
    # the Ctrl-C it receives must not be swallowed
    X, Y = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]]), np.array([[0.0], [1], [1], [0]])
    net = Network([2, 3, 1], "tanh", random_state=0)
    t = Trainer(net, optimizer="gd", learning_rate=0.1, batch_size=None)
    forward, calls = net.forward, []

    def counting_forward(Xb, *, check=True):
        calls.append(1)
        if len(calls) == 4:  # epochs 1-3 took a step each; this is the final check
            os.kill(os.getpid(), signal.SIGINT)
        return forward(Xb, check=check)

    net.forward = counting_forward
    with pytest.raises(KeyboardInterrupt):
        fit(net, X, Y, epochs=3, trainer=t)
    assert t.interrupted and len(t.history) == 3 and len(calls) == 4
