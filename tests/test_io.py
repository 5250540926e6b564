"""Model files: round trips, malformed files, fuzzing, atomic and crash-safe saving."""

from __future__ import annotations

import errno
import json
import os
import pathlib
import pickle
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.numpy import load_file

import chainrule.io as cio
from chainrule import ConfigError, ModelFileError, Network
from chainrule.io import read_model_file, read_model_info, save_model, temp_prefix

# ---------------------------------------------------------------------------
# Helpers: take a file apart and put it back together
# ---------------------------------------------------------------------------


def split(blob: bytes) -> tuple[dict, bytes]:
    """(header dict, data section) of a well-formed safetensors blob."""
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def pack(header: object, data: bytes) -> bytes:
    """A safetensors blob from any JSON-able header (valid or not) and raw data."""
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def doc_of(header: dict) -> dict:
    return json.loads(header["__metadata__"]["chainrule"])


def with_header(edit: Callable[[dict, bytes], bytes | None]) -> Callable[[bytes, Path], bytes]:
    """Case maker: let ``edit`` change the parsed header (and maybe return new data)."""
    def make(blob: bytes, tmp: Path) -> bytes:
        header, data = split(blob)
        new_data = edit(header, data)
        return pack(header, data if new_data is None else new_data)
    return make


def with_doc(edit: Callable[[dict], None]) -> Callable[[bytes, Path], bytes]:
    """Case maker: let ``edit`` change the chainrule JSON document."""
    def change(header: dict, data: bytes) -> None:
        doc = doc_of(header)
        edit(doc)
        header["__metadata__"]["chainrule"] = json.dumps(doc)
    return with_header(change)


def set_value(header: dict, data: bytes, name: str, index: int, value: float) -> bytes:
    """Overwrite element ``index`` (flat) of tensor ``name`` in the data section."""
    begin, _ = header[name]["data_offsets"]
    buf = bytearray(data)
    struct.pack_into("<d", buf, begin + 8 * index, value)
    return bytes(buf)


def set_length(blob: bytes, n: int) -> bytes:
    return struct.pack("<Q", n) + blob[8:]


def pickle_payload(marker: Path) -> bytes:
    """A pickle that creates ``marker`` when (and only if) it is unpickled."""
    class Touch:
        def __reduce__(self):
            return (pathlib.Path.touch, (marker,))
    return pickle.dumps(Touch())


def base_network() -> Network:
    return Network([3, 4, 2], "tanh", random_state=0)


@pytest.fixture(scope="module")
def valid_blob(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = save_model(tmp_path_factory.mktemp("valid") / "m.safetensors", base_network(),
                      metadata={"classes": ["a", "b"]})
    return path.read_bytes()


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------

ARCHITECTURES = [
    ([2, 1], "tanh", None, "squared_error", np.float64),
    ([1, 3, 3, 1], "softplus", "identity", "squared_error", np.float32),
    ([2, 3, 2], "logistic", "tanh", "squared_error", np.float64),
    ([3, 5, 4, 2], ["relu", "logistic"], None, "binary_cross_entropy", np.float32),
    ([4, 6, 3], "leaky_relu", None, "cross_entropy", np.float64),
    ([5, 8, 8, 8, 3], ["tanh", "relu", "identity"], "softmax", "cross_entropy", np.float32),
]


@pytest.mark.parametrize("sizes, act, out_act, cost, dtype", ARCHITECTURES)
def test_round_trip_is_bit_identical(tmp_path, rng, sizes, act, out_act, cost, dtype):
    net = Network(sizes, act, out_act, cost, dtype=dtype, random_state=3)
    X = rng.normal(size=(17, sizes[0])).astype(dtype)
    n_out = sizes[-1]
    # the model's fields (checked against the sizes) and keys of the user's own
    meta = {
        "input_scaling": {"mean": np.linspace(-1, 1, sizes[0]), "scale": [2.0] * sizes[0]},
        "standardizer": {"mean": np.linspace(-1, 1, sizes[0]), "scale": [2.0] * sizes[0]},
        "training": {"epochs": np.int64(12), "final_cost": np.float32(0.125), "optimizer": "adam"},
        "feature_names": [f"x{i}" for i in range(sizes[0])],
        "note": "ünïcödé ∂C/∂W",
    }
    if cost.endswith("cross_entropy"):
        names = ["setosa", "versicolor", "virginica", "other"]
        meta.update(task="classification", classes=names[:max(n_out, 2)], target_names=["y"])
    else:
        meta.update(task="regression", target_names=[f"y{j}" for j in range(n_out)])
    path = save_model(tmp_path / "model.safetensors", net, metadata=meta)
    assert path == tmp_path / "model.safetensors"

    loaded, meta2 = read_model_file(path)
    assert loaded.layer_sizes == net.layer_sizes
    assert [a.name for a in loaded.activations] == [a.name for a in net.activations]
    assert loaded.cost.name == net.cost.name and loaded.dtype == np.dtype(dtype)
    assert loaded.params.dtype == net.params.dtype
    assert loaded.params.tobytes() == net.params.tobytes()
    P, P2 = net.predict(X), loaded.predict(X)
    assert P2.dtype == P.dtype and P2.tobytes() == P.tobytes()
    # NumPy values come back as plain JSON types; everything else unchanged.
    expected = json.loads(json.dumps(meta, default=lambda o: o.tolist()))
    assert meta2 == expected
    assert meta2["input_scaling"]["mean"] == np.linspace(-1, 1, sizes[0]).tolist()
    assert meta2["training"] == {"epochs": 12, "final_cost": 0.125, "optimizer": "adam"}


def test_file_is_plain_safetensors_with_the_documented_layout(tmp_path):
    net = Network([3, 5, 2], "relu", cost="cross_entropy", dtype=np.float32, random_state=0)
    path = save_model(tmp_path / "m.safetensors", net, metadata={"classes": [0, 1]})
    tensors = load_file(path)  # the reference reader agrees with ours
    assert sorted(tensors) == ["W1", "W2", "b1", "b2"]
    assert tensors["W1"].shape == (5, 3) and tensors["b2"].shape == (2,)
    assert all(t.dtype == np.float32 for t in tensors.values())
    np.testing.assert_array_equal(tensors["W2"], net.W[1])
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata()
    assert list(meta) == ["chainrule"]
    assert json.loads(meta["chainrule"]) == {
        "format": "chainrule-model", "format_version": 2, "layer_sizes": [3, 5, 2],
        "activations": ["relu", "softmax"], "cost": "cross_entropy", "dtype": "float32",
        "metadata": {"classes": [0, 1]},
    }


def test_read_model_info_reads_the_header_only(tmp_path):
    net = Network([4, 6, 3], "tanh", random_state=0)
    path = save_model(tmp_path / "m.safetensors", net, metadata={"mean": [1, 2, 3, 4]})
    info = read_model_info(str(path))
    assert info.path == path and info.format_version == 2
    assert info.layer_sizes == (4, 6, 3) and info.activations == ("tanh", "tanh")
    assert info.cost == "squared_error" and info.dtype == "float64"
    assert info.n_params == net.n_params == 4 * 6 + 6 + 6 * 3 + 3
    assert info.tensors == {"W1": (6, 4), "b1": (6,), "W2": (3, 6), "b2": (3,)}
    assert info.file_size == path.stat().st_size and info.metadata == {"mean": [1, 2, 3, 4]}
    # The values are not read: a NaN weight goes unnoticed here, but not by read_model_file.
    header, data = split(path.read_bytes())
    path.write_bytes(pack(header, set_value(header, data, "W2", 0, float("nan"))))
    assert read_model_info(path).n_params == net.n_params
    with pytest.raises(ModelFileError, match="NaN"):
        read_model_file(path)


def test_missing_file_and_folder_are_model_file_errors(tmp_path):
    with pytest.raises(ModelFileError, match=r"nope\.safetensors: no such file"):
        read_model_file(tmp_path / "nope.safetensors")
    with pytest.raises(ModelFileError, match="is a folder"):
        read_model_file(tmp_path)
    with pytest.raises(ModelFileError, match="no such file"):
        read_model_info(tmp_path / "nope.safetensors")


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        read_model_file(fifo)


# ---------------------------------------------------------------------------
# Malformed files, one row each
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[bytes, Path], bytes]
    fragment: str
    header_level: bool = True  # False: only read_model_file (which reads the values) can see it


def _drop(key: str) -> Callable[[dict, bytes], None]:
    return lambda h, d: h.pop(key) and None


def _set_tensor(name: str, field: str, value: object) -> Callable[[dict, bytes], None]:
    return lambda h, d: h[name].__setitem__(field, value)


def _set_doc(key: str, value: object) -> Callable[[dict], None]:
    return lambda doc: doc.__setitem__(key, value)


def _replace_header(raw: bytes) -> Callable[[bytes, Path], bytes]:
    return lambda blob, tmp: struct.pack("<Q", len(raw)) + raw + split(blob)[1]


def _png(blob: bytes, tmp: Path) -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + b"\0" * 4


def _zip(blob: bytes, tmp: Path) -> bytes:
    path = tmp / "archive.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data.pkl", pickle_payload(tmp / "MARKER"))
    return path.read_bytes()


# Default safetensors order of the base model's data: W1 (4x3), W2 (2x4), b1 (4), b2 (2).
CASES = [
    Case("empty-file", lambda b, t: b"", "file is empty"),
    Case("truncated-in-length-prefix", lambda b, t: b[:5], "too short"),
    Case("truncated-in-header", lambda b, t: b[:40], "exceeds the file size"),
    Case("truncated-in-data", lambda b, t: b[:-20], "file truncated?"),
    Case("truncated-last-byte", lambda b, t: b[:-1], "run past the end"),
    Case("trailing-bytes", lambda b, t: b + b"\0" * 8, "8 unexpected trailing bytes"),
    Case("header-invalid-json", _replace_header(b'{"W1": {"dtype": '), "not valid JSON"),
    Case("header-invalid-utf8", lambda b, t: b[:9] + b"\xff" + b[10:], "not valid UTF-8"),
    Case("header-not-an-object", _replace_header(b"[1, 2, 3]"), "must be a JSON object"),
    Case("header-duplicate-key", _replace_header(b'{"W1": 1, "W1": 2}'), "duplicate key 'W1'"),
    Case("header-nan-constant", _replace_header(b'{"W1": NaN}'), "NaN is not valid JSON"),
    Case("header-length-zero", lambda b, t: set_length(b, 0), "header is empty"),
    Case("header-length-past-eof", lambda b, t: set_length(b, len(b) - 7), "exceeds the file"),
    Case("header-length-2**63", lambda b, t: set_length(b, 2**63), "9223372036854775808"),
    Case("wrong-shape", with_header(_set_tensor("W2", "shape", [4, 2])),
         "tensor 'W2' has shape [4, 2], expected [2, 4]"),
    Case("layer-sizes-disagree-with-tensors", with_doc(_set_doc("layer_sizes", [3, 5, 2])),
         "tensor 'W1' has shape [4, 3], expected [5, 3]"),
    Case("wrong-tensor-dtype", with_header(_set_tensor("b1", "dtype", "F32")),
         "tensor 'b1' has dtype 'F32', expected 'F64'"),
    Case("metadata-dtype-float32-tensors-f64", with_doc(_set_doc("dtype", "float32")),
         "expected 'F32' (the model's dtype is float32)"),
    Case("unknown-dtype", with_doc(_set_doc("dtype", "float16")), "dtype is 'float16'"),
    Case("nan-weight", with_header(lambda h, d: set_value(h, d, "W1", 5, float("nan"))),
         "tensor 'W1' holds NaN at [1, 2]", header_level=False),
    Case("inf-bias", with_header(lambda h, d: set_value(h, d, "b2", 1, float("-inf"))),
         "tensor 'b2' holds infinity at [1]", header_level=False),
    Case("unknown-activation", with_doc(_set_doc("activations", ["tanh", "swish"])),
         "activation: unknown name 'swish'"),
    Case("activation-count", with_doc(_set_doc("activations", ["tanh"])),
         "one name per layer (2)"),
    Case("unknown-cost", with_doc(_set_doc("cost", "hinge")), "cost: unknown name 'hinge'"),
    Case("cost-needs-other-output", with_doc(_set_doc("cost", "cross_entropy")),
         "cost 'cross_entropy' needs a softmax output layer, got 'tanh'"),
    Case("missing-tensor", with_header(_drop("b2")), "missing tensor 'b2'"),
    Case("extra-tensor", with_header(lambda h, d: h.__setitem__(
        "W3", {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]})), "unexpected tensor 'W3'"),
    Case("tensor-extra-field", with_header(_set_tensor("W1", "code", "print(1)")),
         "exactly dtype, shape and data_offsets"),
    Case("no-metadata-at-all", with_header(_drop("__metadata__")), "no chainrule metadata"),
    Case("metadata-from-another-tool", with_header(
        lambda h, d: h.__setitem__("__metadata__", {"format": "pt"})), "no chainrule metadata"),
    Case("metadata-not-strings", with_header(
        lambda h, d: h.__setitem__("__metadata__", {"chainrule": {"format": 1}})),
         "must map strings to strings"),
    Case("chainrule-metadata-invalid-json", with_header(
        lambda h, d: h["__metadata__"].__setitem__("chainrule", "{oops")),
         "chainrule metadata is not valid JSON"),
    Case("wrong-format", with_doc(_set_doc("format", "keras")), "format is 'keras'"),
    Case("format-version-3", with_doc(_set_doc("format_version", 3)),
         "format_version is 3, expected 1 or 2 (written by a newer chainrule? upgrade"),
    Case("format-version-bool", with_doc(_set_doc("format_version", True)),
         "format_version is True"),
    Case("format-version-missing", with_doc(lambda doc: doc.pop("format_version")),
         "lacks format_version"),
    Case("layer-sizes-zero", with_doc(_set_doc("layer_sizes", [3, 0, 2])), "layer_sizes"),
    Case("overlapping-offsets", with_header(_set_tensor("b1", "data_offsets", [64, 96])),
         "overlap tensor 'W1'"),
    Case("offsets-out-of-range",
         with_header(_set_tensor("b2", "data_offsets", [10**6, 10**6 + 16])), "run past the end"),
    Case("offsets-wrong-size", with_header(_set_tensor("W1", "data_offsets", [0, 8])),
         "hold 8 bytes, but shape [4, 3] of F64 needs 96"),
    Case("offsets-negative", with_header(_set_tensor("W1", "data_offsets", [-8, 88])),
         "0 <= begin <= end"),
    Case("offsets-leave-a-gap", with_header(lambda h, d: (
        _set_tensor("W1", "data_offsets", [8, 104])(h, d), b"\0" * 8 + d)[1]),
         "8 unused bytes (a gap) before tensor 'W1'"),
    Case("pickle-renamed", lambda b, t: pickle_payload(t / "MARKER"),
         "looks like a pickle file"),
    Case("png-renamed", _png, "looks like a PNG image"),
    Case("zip-renamed", _zip, "looks like a zip archive"),
    Case("text-renamed", lambda b, t: b"W1 = [[1.0, 2.0]]\nb1 = [0.5]\n", "looks like a text file"),
]


def test_cases_cover_the_required_list():
    assert len(CASES) >= 14 and len({c.id for c in CASES}) == len(CASES)


def test_the_pickle_payload_is_live(tmp_path):
    # Proof that the pickle case would really do harm if a loader unpickled it.
    marker = tmp_path / "PROOF"
    pickle.loads(pickle_payload(marker))
    assert marker.exists()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_file_raises_model_file_error(tmp_path, valid_blob, case):
    path = tmp_path / "model.safetensors"
    path.write_bytes(case.make(valid_blob, tmp_path))
    with pytest.raises(ModelFileError) as exc_info:
        read_model_file(path)
    message = str(exc_info.value)
    assert message.startswith(f"{path}: ")
    assert case.fragment in message
    if case.header_level:
        with pytest.raises(ModelFileError) as exc_info:
            read_model_info(path)
        assert case.fragment in str(exc_info.value)
    else:
        assert read_model_info(path).layer_sizes == (3, 4, 2)
    assert not (tmp_path / "MARKER").exists()  # nothing was unpickled


# ---------------------------------------------------------------------------
# Fuzzing: any bytes either load or raise ModelFileError
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fuzz.safetensors"


JSONISH = st.text(alphabet='{}[]",:0123456789-.eE WbF6432_ \\u\xff', max_size=12)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(data=st.data())
def test_any_bytes_load_or_raise_model_file_error(valid_blob, fuzz_path, data):
    blob = valid_blob
    (n,) = struct.unpack("<Q", blob[:8])
    kind = data.draw(st.sampled_from(["flip", "truncate", "random", "edit-header"]))
    if kind == "flip":
        # Bias towards the length prefix and header, where the parsing happens.
        where = st.one_of(st.integers(0, 8 + n - 1), st.integers(0, len(blob) - 1))
        flips = data.draw(st.lists(st.tuples(where, st.integers(0, 255)), min_size=1,
                                   max_size=4))
        buf = bytearray(blob)
        for i, v in flips:
            buf[i] = v
        bad = bytes(buf)
    elif kind == "truncate":
        bad = blob[:data.draw(st.integers(0, len(blob) - 1))]
    elif kind == "random":
        bad = data.draw(st.one_of(st.binary(max_size=64),
                                  st.binary(min_size=8, max_size=8).map(lambda p: p + blob[8:])))
    else:
        text = blob[8:8 + n].decode()
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 8)))
        raw = (text[:i] + data.draw(JSONISH) + text[j:]).encode("utf-8", "surrogatepass")
        bad = struct.pack("<Q", len(raw)) + raw + blob[8 + n:]
    fuzz_path.write_bytes(bad)
    for read in (read_model_file, read_model_info):
        try:
            read(fuzz_path)
        except ModelFileError as exc:
            assert str(exc).startswith(str(fuzz_path))


def test_fuzz_base_file_is_valid(valid_blob, tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(valid_blob)
    net, meta = read_model_file(path)
    assert net.params.tobytes() == base_network().params.tobytes()
    assert meta == {"classes": ["a", "b"]}


# ---------------------------------------------------------------------------
# Saving: errors, atomicity
# ---------------------------------------------------------------------------


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def saved_old(tmp_path) -> tuple[Path, bytes]:
    """A model already on disk, which failed saves must leave alone."""
    path = save_model(tmp_path / "model.safetensors", base_network(), metadata={"v": "old"})
    return path, path.read_bytes()


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("target", ["os.replace", "os.fsync"])
def test_failed_save_keeps_the_old_file_and_no_temp_file(monkeypatch, tmp_path, saved_old,
                                                          target):
    path, old = saved_old
    monkeypatch.setattr(target, _enospc)
    new = Network([3, 4, 2], "tanh", random_state=99)
    with pytest.raises(ModelFileError, match=r"model\.safetensors: cannot write model: no space"):
        save_model(path, new, metadata={"v": "new"})
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert listing(tmp_path) == ["model.safetensors"]
    assert read_model_file(path)[1] == {"v": "old"}


def test_write_failing_midway_keeps_the_old_file(monkeypatch, tmp_path, saved_old):
    path, old = saved_old
    real_fdopen = os.fdopen
    written = []

    class HalfDisk:
        """A file that takes half of what it is given, then reports a full disk."""

        def __init__(self, f):
            self.f = f

        def write(self, blob):
            self.f.write(blob[:len(blob) // 2])
            self.f.flush()
            written.append(os.path.getsize(self.f.name))
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: HalfDisk(real_fdopen(fd, mode)))
    with pytest.raises(ModelFileError, match="no space left on device"):
        save_model(path, Network([3, 4, 2], random_state=5))
    monkeypatch.undo()
    assert written and written[0] > 0  # the temp file really was half written
    assert path.read_bytes() == old and listing(tmp_path) == ["model.safetensors"]


def test_interrupt_during_save_cleans_up_and_propagates(monkeypatch, tmp_path, saved_old):
    path, old = saved_old

    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_model(path, Network([3, 4, 2], random_state=5))
    monkeypatch.undo()
    assert path.read_bytes() == old and listing(tmp_path) == ["model.safetensors"]


def test_unwritable_folder_is_a_clear_error(monkeypatch, tmp_path):
    # Tests may run as root, which ignores permission bits: simulate the refusal.
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(ModelFileError, match="cannot write model: permission denied in folder"):
        save_model(tmp_path / "m.safetensors", base_network())
    monkeypatch.undo()
    assert listing(tmp_path) == []


def test_bad_destinations_are_clear_errors(tmp_path):
    net = base_network()
    with pytest.raises(ModelFileError, match=r"folder '.*missing' does not exist"):
        save_model(tmp_path / "missing" / "m.safetensors", net)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ModelFileError, match=r"'.*afile' is not a folder"):
        save_model(tmp_path / "afile" / "m.safetensors", net)
    (tmp_path / "adir").mkdir()
    with pytest.raises(ModelFileError, match="adir: cannot write model: the path is a folder"):
        save_model(tmp_path / "adir", net)
    assert listing(tmp_path) == ["adir", "afile"] and listing(tmp_path / "adir") == []


def test_bad_arguments_are_config_errors(tmp_path):
    net = base_network()
    with pytest.raises(ConfigError, match="network: expected a chainrule Network, got dict"):
        save_model(tmp_path / "m.safetensors", {"W1": 1})
    with pytest.raises(ConfigError, match="metadata: expected a dict or None, got list"):
        save_model(tmp_path / "m.safetensors", net, metadata=[1, 2])
    with pytest.raises(ConfigError, match="metadata: cannot be stored as JSON"):
        save_model(tmp_path / "m.safetensors", net, metadata={"f": object()})
    with pytest.raises(ConfigError, match="metadata: cannot be stored as JSON"):
        save_model(tmp_path / "m.safetensors", net, metadata={"loss": float("nan")})
    assert listing(tmp_path) == []


def test_non_finite_parameters_are_not_saved(tmp_path):
    net = base_network()
    net.W[1][0, 0] = np.inf
    with pytest.raises(ModelFileError, match="NaN or infinity"):
        save_model(tmp_path / "m.safetensors", net)
    assert listing(tmp_path) == []


def test_overwrite_keeps_permissions_and_new_files_follow_the_umask(tmp_path, saved_old):
    path, _ = saved_old
    os.chmod(path, 0o640)
    save_model(path, Network([3, 4, 2], random_state=7), metadata={"v": "new"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert read_model_file(path)[1] == {"v": "new"}
    old_umask = os.umask(0o027)
    try:
        fresh = save_model(tmp_path / "fresh.safetensors", base_network())
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640  # 0o666 minus umask 0o027


CHILD = """
import sys
from chainrule import Network
from chainrule.io import save_model

path, trial = sys.argv[1], int(sys.argv[2])
net = Network([784, 1024, 10], "relu", cost="cross_entropy", random_state=0)
print("ready", flush=True)
i = 0
while True:
    i += 1
    # The header length changes from save to save.
    save_model(path, net, metadata={"trial": trial, "save": i, "pad": "x" * (i % 9)})
"""


def test_sigkill_mid_save_never_leaves_a_broken_file(tmp_path):
    dest = tmp_path / "big.safetensors"
    reference = Network([784, 1024, 10], "relu", cost="cross_entropy", random_state=0)
    rng = np.random.default_rng(0)
    finished = []  # trials whose own child had completed a save when killed
    ever_saved = False
    for trial in range(10):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(dest), str(trial)],
                                 stdout=subprocess.PIPE)
        try:
            assert child.stdout.readline() == b"ready\n"
            time.sleep(rng.uniform(0.05, 0.3))
        finally:
            child.kill()  # SIGKILL: no cleanup handler runs
            child.wait()
            child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        if dest.exists():
            ever_saved = True
            net, meta = read_model_file(dest)
            assert net.params.tobytes() == reference.params.tobytes()
            if meta["trial"] == trial:
                finished.append(trial)
        else:
            assert not ever_saved  # absent only until the very first save completes
        # the killed child's temporary file may remain; the next save removes it
        leftovers = [p for p in tmp_path.iterdir() if p != dest]
        assert len(leftovers) <= 1, leftovers
        for leftover in leftovers:
            assert leftover.name.startswith(f"{temp_prefix(dest)}{child.pid}@"), leftover.name
    # The kills landed while the children were busy overwriting, not before they began.
    assert len(finished) >= 3
    save_model(dest, reference)  # a save in a live process clears what the last kill left
    assert [p.name for p in tmp_path.iterdir()] == [dest.name]
    assert cio.temp_prefix(dest) == ".big.safetensors.tmp-"


def test_only_the_temporaries_of_dead_writers_are_removed(tmp_path):
    from chainrule.utils.files import _writer_tag, remove_stale_temporaries

    dest = tmp_path / "m.safetensors"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)  # that process has exited
    host = _writer_tag().split("@")[1]  # 8 hex digits and a dot
    prefix = temp_prefix(dest)
    names = {"dead": f"{prefix}{dead_pid}@{host}abc", "alive": f"{prefix}{os.getppid()}@{host}d",
             "mine": f"{prefix}{os.getpid()}@{host}ghi",
             "dead, other host": f"{prefix}{dead_pid}@0badc0de.abc",
             "no pid": f"{prefix}xyz", "unicode digit": f"{prefix}²@{host}abc",
             "other file": f".other.safetensors.tmp-{dead_pid}@{host}abc",
             "the model": dest.name}
    for name in names.values():
        (tmp_path / name).write_bytes(b"x")
    assert remove_stale_temporaries(dest) == [tmp_path / names["dead"]]
    left = {p.name for p in tmp_path.iterdir()}
    assert left == set(names.values()) - {names["dead"]}
    save_model(dest, Network([1, 1], random_state=0))  # writes through the odd names
    assert {p.name for p in tmp_path.iterdir()} == left
