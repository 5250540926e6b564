"""Hypothesis strategies that turn a valid file into a hostile one.

Two families, drawn half and half:

* bytes: bit flips (often in the header), truncations, insertions of random bytes,
  deletions, a range repeated, or random bytes alone;
* structure: the file parsed and one part replaced by a hostile value, then written
  back well formed, so the value reaches the checks behind the format's own: a field
  of a safetensors header or of its chainrule metadata (model files, checkpoints), a
  cell, a line or the delimiter of a CSV, the shape, dtype or order of a ``.npy``
  header (alone or inside an ``.npz``).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from typing import Any

from hypothesis import strategies as st

# Values that break assumptions: sizes, signs, types, huge and odd numbers, odd text.
HOSTILE_VALUES = st.one_of(
    st.none(), st.booleans(),
    st.integers(-2**70, 2**70), st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e308, -1e-320, 0.5]),
    st.text(max_size=12), st.sampled_from(["", "\x1b[2J", "x" * 300, "NaN", "1e999", "ﬁ"]),
    st.lists(st.integers(-3, 10**6), max_size=5),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)

CSV_CELLS = st.one_of(
    st.text(st.sampled_from([*'0123456789.,-+eE "\'\n\r;\t|xyzNnaIif', "\ufeff", "\x00"]),
            max_size=12),
    st.sampled_from(["", "nan", "inf", "-inf", "1e999", "1e-400", '"', '""', ",", "\n", "cat",
                     "0x1F", "1_000", " 7 ", "١٢", "∞"]),
)


def _flip(blob: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(blob)
    for pos, mask in edits:
        out[pos % len(out)] ^= mask
    return bytes(out)


def byte_mutations(blob: bytes) -> st.SearchStrategy[bytes]:
    """Truncations, bit flips (half of them in the first 256 bytes), insertions,
    deletions, a repeated range, random bytes."""
    n = max(1, len(blob))
    anywhere, header = st.integers(0, n - 1), st.integers(0, min(n, 256) - 1)
    return st.one_of(
        st.integers(0, n).map(lambda k: blob[:k]),
        st.lists(st.tuples(st.one_of(header, anywhere), st.integers(1, 255)), min_size=1,
                 max_size=8).map(lambda e: _flip(blob, e)),
        st.tuples(st.integers(0, n), st.binary(min_size=1, max_size=64)).map(
            lambda t: blob[:t[0]] + t[1] + blob[t[0]:]),
        st.tuples(st.integers(0, n), st.integers(0, n)).map(
            lambda t: blob[:min(t)] + blob[max(t):]),
        st.tuples(st.integers(0, n), st.integers(0, n)).map(
            lambda t: blob[:max(t)] + blob[min(t):]),
        st.binary(max_size=800),
    )


# -- structure: safetensors -------------------------------------------------------------


def _leaves(doc: Any, path: tuple = ()) -> list[tuple]:
    """Every position in a JSON document: the paths of its values, containers too."""
    out = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _leaves(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _leaves(v, (*path, i))
    return out


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[head] = _replace(doc[head], tuple(rest), value)
    return copy


@st.composite
def safetensors_mutations(draw: st.DrawFn, blob: bytes) -> bytes:
    """One value of the header (a tensor's dtype, shape or offsets, or any field of the
    chainrule documents inside ``__metadata__``) replaced, the file kept well framed."""
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.get("__metadata__", {})
    inner = {k: json.loads(v) for k, v in meta.items() if v.startswith("{")}
    positions = [("header", p) for p in _leaves(header) if p[:1] != ("__metadata__",)]
    positions += [("inner", (k, *p)) for k in inner for p in _leaves(inner[k])]
    where, path = draw(st.sampled_from(positions))
    value = draw(HOSTILE_VALUES)
    if where == "header":
        header = _replace(header, path, value)
    else:
        key, *rest = path
        header["__metadata__"] = {**meta, key: json.dumps(_replace(inner[key], tuple(rest),
                                                                   value))}
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + blob[8 + n:]


# -- structure: CSV ----------------------------------------------------------------------


@st.composite
def csv_mutations(draw: st.DrawFn, blob: bytes) -> bytes:
    """A cell replaced, a row dropped, doubled or cut, or the delimiter changed."""
    rows = [line.split(",") for line in blob.decode().splitlines()]
    kind = draw(st.sampled_from(["cell", "cell", "row", "delimiter", "header"]))
    i = draw(st.integers(0, len(rows) - 1))
    if kind in ("cell", "header"):
        i = 0 if kind == "header" else i
        j = draw(st.integers(0, len(rows[i]) - 1))
        rows[i][j] = draw(CSV_CELLS)
    elif kind == "row":
        action = draw(st.sampled_from(["drop", "double", "cut", "extend"]))
        row = rows[i]
        rows[i:i + 1] = {"drop": [], "double": [row, row], "cut": [row[:-1]],
                         "extend": [[*row, draw(CSV_CELLS)]]}[action]
    sep = draw(st.sampled_from([",", ";", "\t", "|"])) if kind == "delimiter" else ","
    ending = draw(st.sampled_from(["\n", "\r\n", ""]))
    return (ending or "\n").join(sep.join(r) for r in rows).encode() + ending.encode()


# -- structure: .npy and .npz ------------------------------------------------------------


@st.composite
def npy_mutations(draw: st.DrawFn, blob: bytes) -> bytes:
    """The header's shape, dtype or order replaced; the data after it kept."""
    buf = io.BytesIO(blob)
    major = buf.read(8)[6]
    (hlen,) = struct.unpack("<H" if major == 1 else "<I", buf.read(2 if major == 1 else 4))
    data = blob[buf.tell() + hlen:]
    field = draw(st.sampled_from(["shape", "descr", "fortran_order"]))
    value = draw(st.one_of(
        HOSTILE_VALUES,
        st.lists(st.integers(-1, 2**64), max_size=4).map(tuple),
        st.sampled_from(["<f4", ">f8", "<i8", "|b1", "<c16", "|O", "<U3", "<f16", "V8",
                         "<M8[s]", "garbage"])))
    header = {"descr": "<f8", "fortran_order": False, "shape": (6, 3), field: value}
    text = repr(header).encode("latin-1", "replace")
    text += b" " * ((-(len(text) + 11)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data


@st.composite
def npz_mutations(draw: st.DrawFn, blob: bytes) -> bytes:
    """One member of the archive mutated (its header or its bytes), or a member added."""
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        members = {name: z.read(name) for name in z.namelist()}
    name = draw(st.sampled_from([*members, "extra.npy", "X"]))
    base = members.get(name, members["X.npy"])
    members[name] = draw(st.one_of(npy_mutations(base), byte_mutations(base)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for member, data in members.items():
            z.writestr(member, data)
    return out.getvalue()


STRUCTURED = {"model": safetensors_mutations, "checkpoint": safetensors_mutations,
              "csv": csv_mutations, "npy": npy_mutations, "npz": npz_mutations}


def mutations(kind: str, blob: bytes) -> st.SearchStrategy[bytes]:
    """Half byte mutations, half structured ones, of a valid file of ``kind``."""
    return st.one_of(byte_mutations(blob), STRUCTURED[kind](blob))
