"""Built-in data sets and loaders for the user's own data.

Built-in sets are generated offline from a seed, so the same call always gives
the same arrays.  Each is a :class:`Dataset` holding ``X`` of shape
``(N, n_features)`` and ``y`` of shape ``(N, n_outputs)``; a classification set
stores one-hot rows in ``y`` and the integer class of each row in ``labels``.

=============  ==============  ==================================================
name           task            what it is
=============  ==============  ==================================================
``not_gate``   regression      the seed's NOT function, 2 examples
``xor``        regression      the four rows of XOR
``heart``      regression      t ↦ (x(t), y(t)) on the heart curve, scaled to [0, 1]
``circle``     classification  a disc inside a ring (2-D)
``xor_blobs``  classification  opposite quadrants share a class (2-D)
``gaussians``  classification  two Gaussian blobs (2-D)
``spiral``     classification  interleaved spiral arms (2-D)
``digits``     classification  scikit-learn's bundled 8×8 digits, 10 classes
=============  ==============  ==================================================

User data comes from ``.csv`` (header row required), ``.npy`` (memory-mapped)
or ``.npz`` files through :func:`load_data`.  Every problem with a file raises
:class:`~chainrule.errors.DataError` naming the file and, for a CSV cell, its
row and column.  Arrays are always loaded with ``allow_pickle=False``: a file
can never run code.

:class:`Standardizer` and :func:`split` work block by block and by index, so a
memory-mapped array is never read into memory whole.
"""

from __future__ import annotations

import csv
import inspect
import math
import numbers
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..errors import ChainruleError, ConfigError, DataError, ModelFileError, ShapeError
from ..utils import validation
from ..utils.validation import (
    as_float_dtype,
    check_finite,
    check_finite_block,
    check_numeric,
    first_non_finite,
    row_blocks,
)

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetInfo",
    "Standardizer",
    "circle",
    "csv_header",
    "csv_row_numbers",
    "describe_datasets",
    "digits",
    "gaussians",
    "heart",
    "load_array",
    "load_csv",
    "load_data",
    "load_dataset",
    "not_gate",
    "one_hot",
    "spiral",
    "split",
    "xor",
    "xor_blobs",
]

Array = np.ndarray
PathLike = str | os.PathLike
Loaded = tuple[Array, Array | None, tuple[str, ...], tuple[str, ...]]

# Rows per block when a (possibly memory-mapped) array is scanned.
CHUNK_ROWS = 65536


# ---------------------------------------------------------------------------
# The Dataset record
# ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Dataset:
    """One data set: inputs ``X``, targets ``y`` and what they mean.

    Attributes
    ----------
    name : str
        Registry name (see :data:`DATASETS`).
    X : ndarray of shape (N, n_features), float64
    y : ndarray of shape (N, n_outputs), float64
        Regression targets, or one-hot rows ``y[k, labels[k]] = 1`` for classification.
    task : {'regression', 'classification'}
    description : str
        One line.
    feature_names, target_names : tuple of str
        Column names of ``X``; names of the outputs (the classes, for classification).
    labels : ndarray of shape (N,), int64, or None
        The class of each example (classification only).
    """

    name: str
    X: Array
    y: Array
    task: str
    description: str
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    labels: Array | None = None

    def __post_init__(self) -> None:
        # Guards against a malformed built-in, not against user input.
        if self.task not in ("regression", "classification"):
            raise ConfigError(f"task: expected 'regression' or 'classification', got {self.task!r}")
        if self.X.ndim != 2 or self.y.ndim != 2 or self.X.shape[0] != self.y.shape[0]:
            raise ShapeError(f"dataset {self.name!r}: X {self.X.shape} and y {self.y.shape} "
                             "must be 2-D with the same number of rows")
        if self.task == "classification" and (
                self.labels is None or self.labels.shape != (self.X.shape[0],)):
            raise ShapeError(f"dataset {self.name!r}: classification needs one label per row")

    @property
    def n_examples(self) -> int:
        """``N``, the number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Width of ``X`` (the network's input layer)."""
        return int(self.X.shape[1])

    @property
    def n_outputs(self) -> int:
        """Width of ``y`` (the network's output layer)."""
        return int(self.y.shape[1])

    def __repr__(self) -> str:
        # The default repr would print every array.
        return (f"Dataset(name={self.name!r}, task={self.task!r}, n_examples={self.n_examples}, "
                f"n_features={self.n_features}, n_outputs={self.n_outputs})")


# ---------------------------------------------------------------------------
# Option checks for the generators
# ---------------------------------------------------------------------------

def _check_int(value: object, name: str, minimum: int) -> int:
    """``value`` as an int ``>= minimum``, or :class:`ConfigError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def _check_nonnegative(value: object, name: str) -> float:
    """``value`` as a finite float ``>= 0``, or :class:`ConfigError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name}: expected a number >= 0, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name}: expected a finite number >= 0, got {value}")
    return float(value)


def _rng(random_state: object) -> np.random.Generator:
    """``np.random.default_rng(random_state)`` with a ConfigError instead of TypeError."""
    if isinstance(random_state, bool):
        raise ConfigError(
            f"random_state: expected None, an int or a Generator, got {random_state!r}")
    try:
        return np.random.default_rng(random_state)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"random_state: expected None, an int or a Generator, got {random_state!r} ({exc})"
        ) from None


def _class_sizes(n_samples: int, n_classes: int) -> list[int]:
    """Split ``n_samples`` into ``n_classes`` counts that differ by at most one."""
    base, extra = divmod(n_samples, n_classes)
    return [base + (k < extra) for k in range(n_classes)]


def _classification(name: str, description: str, X: Array, labels: Array,
                    target_names: Sequence[str], rng: np.random.Generator,
                    feature_names: Sequence[str] = ("x1", "x2")) -> Dataset:
    """Shuffle the rows (generation groups them by class) and build the one-hot set."""
    order = rng.permutation(X.shape[0])
    X, labels = X[order], labels[order].astype(np.int64)
    Y, _ = one_hot(labels, classes=np.arange(len(target_names)))
    return Dataset(name, X, Y, "classification", description, tuple(feature_names),
                   tuple(target_names), labels)


# ---------------------------------------------------------------------------
# Tiny regression sets from the seed
# ---------------------------------------------------------------------------

def not_gate() -> Dataset:
    """The seed's NOT function: ``x = 0 ↦ y = 1`` and ``x = 1 ↦ y = 0``.

    Returns
    -------
    Dataset
        ``X = [[0], [1]]``, ``y = [[1], [0]]`` (regression, 2 examples).
    """
    X = np.array([[0.0], [1.0]])
    y = 1.0 - X  # NOT x = 1 - x on {0, 1}
    return Dataset("not_gate", X, y, "regression", "the seed's NOT function: 0 -> 1, 1 -> 0",
                   ("x",), ("not_x",))


def xor() -> Dataset:
    """The four rows of XOR: ``y = x1 ⊕ x2`` as a regression target in {0, 1}.

    Returns
    -------
    Dataset
        ``X`` of shape (4, 2), ``y`` of shape (4, 1).
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = (X[:, :1] != X[:, 1:]).astype(np.float64)  # (4, 1)
    return Dataset("xor", X, y, "regression", "the four rows of XOR, targets in {0, 1}",
                   ("x1", "x2"), ("x1_xor_x2",))


# ---------------------------------------------------------------------------
# The heart curve
# ---------------------------------------------------------------------------

def _heart_raw(t: Array) -> Array:
    """The unscaled heart curve, ``(N,) -> (N, 2)``.

    ``x = 16 sin³(2πt)``,
    ``y = 13 cos 2πt − 5 cos 4πt − 2 cos 6πt − cos 8πt``.
    """
    theta = 2.0 * np.pi * t
    x = 16.0 * np.sin(theta) ** 3
    y = (13.0 * np.cos(theta) - 5.0 * np.cos(2.0 * theta)
         - 2.0 * np.cos(3.0 * theta) - np.cos(4.0 * theta))
    return np.stack([x, y], axis=1)


def _heart_y_range() -> tuple[float, float]:
    """Exact minimum and maximum of the heart's ``y(t)``.

    With ``c = cos 2πt`` the multiple-angle formulas turn ``y`` into the quartic
    ``y = −8c⁴ − 8c³ − 2c² + 19c + 4`` on ``c ∈ [−1, 1]``, whose extremes are at
    the ends or where ``dy/dc = −32c³ − 24c² − 4c + 19 = 0``.
    """
    quartic = np.polynomial.Polynomial([4.0, 19.0, -2.0, -8.0, -8.0])
    roots = quartic.deriv().roots()
    real = roots[np.abs(roots.imag) < 1e-12].real
    candidates = np.concatenate([[-1.0, 1.0], real[(real >= -1.0) & (real <= 1.0)]])
    values = quartic(candidates)
    return float(values.min()), float(values.max())


# x = 16 sin³ reaches ±16 exactly (at t = 1/4 and 3/4); y spans [−17, 11.923…].
_Y_MIN, _Y_MAX = _heart_y_range()
_HEART_LOW = np.array([-16.0, _Y_MIN])
_HEART_HIGH = np.array([16.0, _Y_MAX])


def heart(n: int = 100) -> Dataset:
    """The course's heart curve: one input ``t``, two outputs scaled to [0, 1].

    ``t`` takes ``n`` evenly spaced values in [0, 1] (both ends included) and

        x(t) = 16 sin³(2πt)
        y(t) = 13 cos 2πt − 5 cos 4πt − 2 cos 6πt − cos 8πt

    Each output is min–max scaled over the whole curve (not over the sample):
    ``(v − min) / (max − min)`` with ``x ∈ [−16, 16]`` and ``y ∈ [−17, 11.92…]``,
    so the targets suit a logistic output layer.

    Parameters
    ----------
    n : int, default 100
        Number of examples, at least 2.

    Returns
    -------
    Dataset
        ``X`` of shape (n, 1), ``y`` of shape (n, 2).
    """
    n = _check_int(n, "n", 2)
    t = np.linspace(0.0, 1.0, n)
    Y = (_heart_raw(t) - _HEART_LOW) / (_HEART_HIGH - _HEART_LOW)  # (n, 2)
    # Rounding can put a point a hair outside [0, 1]; a logistic output cannot reach it.
    np.clip(Y, 0.0, 1.0, out=Y)
    return Dataset("heart", t[:, None], Y, "regression",
                   "heart curve t -> (x, y), outputs scaled to [0, 1]", ("t",), ("x", "y"))


# ---------------------------------------------------------------------------
# TensorFlow-Playground-style 2-D classification sets
# ---------------------------------------------------------------------------
# Every set lives in about [-1, 1]²; ``noise`` is the standard deviation of a
# Gaussian jitter added to both coordinates after the class is chosen, so a
# large noise makes the classes overlap.

def _jitter(X: Array, noise: float, rng: np.random.Generator) -> Array:
    """``X + noise · N(0, 1)`` (always draws, so the stream does not depend on noise = 0)."""
    return X + noise * rng.standard_normal(X.shape)


def _polar(r: Array, angle: Array) -> Array:
    """Points ``(r cos φ, r sin φ)``, shape (N, 2)."""
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)


def circle(n_samples: int = 200, noise: float = 0.05, random_state: object = 0) -> Dataset:
    """A disc (class 0, radius ≤ 0.5) inside a ring (class 1, radius 0.7 to 1).

    Points are uniform over each region's area (``r = √u`` for uniform ``u``).

    Parameters
    ----------
    n_samples : int, default 200
        Total number of points, split evenly between the two classes.
    noise : float, default 0.05
        Standard deviation of the Gaussian jitter added to each coordinate.
    random_state : None, int or numpy Generator, default 0
        Seed for ``numpy.random.default_rng``.
    """
    n_samples = _check_int(n_samples, "n_samples", 2)
    noise = _check_nonnegative(noise, "noise")
    rng = _rng(random_state)
    n_in, n_out = _class_sizes(n_samples, 2)
    r_in = 0.5 * np.sqrt(rng.uniform(0.0, 1.0, n_in))
    r_out = np.sqrt(rng.uniform(0.7 ** 2, 1.0, n_out))
    angle = rng.uniform(0.0, 2.0 * np.pi, n_samples)
    X = _jitter(_polar(np.concatenate([r_in, r_out]), angle), noise, rng)
    labels = np.repeat([0, 1], [n_in, n_out])
    return _classification("circle", "a disc inside a ring, 2 classes (2-D)", X, labels,
                           ("inner", "outer"), rng)


def xor_blobs(n_samples: int = 200, noise: float = 0.05, random_state: object = 0) -> Dataset:
    """Four quadrants; the class is ``(x1 > 0) XOR (x2 > 0)``.

    Points are uniform in ``0.05 ≤ |x1|, |x2| ≤ 1`` (the margin keeps the axes
    clear when ``noise = 0``); class 0 fills quadrants I and III, class 1
    quadrants II and IV, each quadrant of a class chosen by a coin flip.

    Parameters
    ----------
    n_samples, noise, random_state
        As in :func:`circle`.
    """
    n_samples = _check_int(n_samples, "n_samples", 2)
    noise = _check_nonnegative(noise, "noise")
    rng = _rng(random_state)
    labels = np.repeat([0, 1], _class_sizes(n_samples, 2))
    magnitude = rng.uniform(0.05, 1.0, (n_samples, 2))
    sign1 = rng.choice([-1.0, 1.0], n_samples)
    # Class 0: same signs; class 1: opposite signs.
    sign2 = np.where(labels == 0, sign1, -sign1)
    X = _jitter(magnitude * np.stack([sign1, sign2], axis=1), noise, rng)
    return _classification("xor_blobs", "XOR of quadrants, 2 classes (2-D)", X, labels,
                           ("same_sign", "opposite_sign"), rng)


def gaussians(n_samples: int = 200, noise: float = 0.05, random_state: object = 0) -> Dataset:
    """Two round Gaussian blobs of standard deviation 0.2 at (−0.5, −0.5) and (0.5, 0.5).

    Parameters
    ----------
    n_samples, noise, random_state
        As in :func:`circle`; ``noise`` widens the blobs to a standard deviation
        of ``√(0.2² + noise²)``.
    """
    n_samples = _check_int(n_samples, "n_samples", 2)
    noise = _check_nonnegative(noise, "noise")
    rng = _rng(random_state)
    labels = np.repeat([0, 1], _class_sizes(n_samples, 2))
    centres = np.array([[-0.5, -0.5], [0.5, 0.5]])
    X = _jitter(centres[labels] + 0.2 * rng.standard_normal((n_samples, 2)), noise, rng)
    return _classification("gaussians", "two Gaussian blobs, 2 classes (2-D)", X, labels,
                           ("blob_0", "blob_1"), rng)


def spiral(n_samples: int = 200, noise: float = 0.05, random_state: object = 0, *,
           n_classes: int = 2, turns: float = 1.75) -> Dataset:
    """Interleaved spiral arms, one class per arm.

    Arm ``k`` of ``K`` is the curve ``r ↦ r (cos φ, sin φ)`` with
    ``φ = 2π (turns · r + k / K)`` for ``r`` drawn uniformly in [0, 1], so the
    arms wind around each other and no straight line separates them.

    Parameters
    ----------
    n_samples, noise, random_state
        As in :func:`circle`; the points are split evenly between the arms.
    n_classes : int, default 2
        Number of arms (classes), at least 2.
    turns : float, default 1.75
        How many times each arm winds around the centre.
    """
    n_classes = _check_int(n_classes, "n_classes", 2)
    n_samples = _check_int(n_samples, "n_samples", n_classes)
    noise = _check_nonnegative(noise, "noise")
    turns = _check_nonnegative(turns, "turns")
    rng = _rng(random_state)
    labels = np.repeat(np.arange(n_classes), _class_sizes(n_samples, n_classes))
    r = rng.uniform(0.0, 1.0, n_samples)
    angle = 2.0 * np.pi * (turns * r + labels / n_classes)
    X = _jitter(_polar(r, angle), noise, rng)
    return _classification("spiral", f"{n_classes} interleaved spiral arms, one class each (2-D)",
                           X, labels, tuple(f"arm_{k}" for k in range(n_classes)), rng)


# ---------------------------------------------------------------------------
# Bundled digits
# ---------------------------------------------------------------------------

def digits() -> Dataset:
    """scikit-learn's bundled 8×8 handwritten digits (1797 images, no download).

    ``X`` holds the 64 pixel intensities divided by 16, so ``X ∈ [0, 1]``; the
    ten classes are the digits 0–9.
    """
    from sklearn.datasets import load_digits  # lazily: the rest of the module needs only NumPy

    bunch = load_digits()
    X = np.asarray(bunch.data, dtype=np.float64) / 16.0  # (1797, 64), pixel values 0..16
    labels = np.asarray(bunch.target, dtype=np.int64)
    Y, _ = one_hot(labels, classes=np.arange(10))
    return Dataset("digits", X, Y, "classification",
                   "8x8 handwritten digits from scikit-learn, pixels scaled to [0, 1], 10 classes",
                   tuple(f"pixel_{i}_{j}" for i in range(8) for j in range(8)),
                   tuple(str(d) for d in range(10)), labels)


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

DATASETS: dict[str, Callable[..., Dataset]] = {
    "not_gate": not_gate,
    "xor": xor,
    "heart": heart,
    "circle": circle,
    "xor_blobs": xor_blobs,
    "gaussians": gaussians,
    "spiral": spiral,
    "digits": digits,
}

_ALIASES = {"not": "not_gate"}


class DatasetInfo(NamedTuple):
    """One row of :func:`describe_datasets`."""

    name: str
    n_examples: int
    n_features: int
    n_outputs: int
    task: str
    description: str


def load_dataset(name: str, **kwargs: Any) -> Dataset:
    """Build the built-in data set ``name`` with the options ``kwargs``.

    Names are case-insensitive and ``-`` may stand for ``_`` (``xor-blobs``).

    Raises
    ------
    ConfigError
        For an unknown name (listing the known ones) or an option the set does not take.
    """
    key = str(name).strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        known = ", ".join(sorted(DATASETS))
        raise ConfigError(f"dataset: unknown name {name!r}; known datasets: {known}")
    make = DATASETS[key]
    accepted = list(inspect.signature(make).parameters)
    for option in kwargs:
        if option not in accepted:
            takes = ", ".join(accepted) if accepted else "no options"
            raise ConfigError(f"dataset {key!r}: unknown option {option!r}; it takes {takes}")
    return make(**kwargs)


def describe_datasets() -> list[DatasetInfo]:
    """One row per built-in set, with its default options, for ``chainrule datasets``."""
    rows = []
    for name, make in DATASETS.items():
        ds = make()
        rows.append(DatasetInfo(name, ds.n_examples, ds.n_features, ds.n_outputs, ds.task,
                                ds.description))
    return rows


# ---------------------------------------------------------------------------
# User files: common checks
# ---------------------------------------------------------------------------

def _existing_file(path: PathLike) -> tuple[Path, str]:
    """The path and its text for messages; DataError if it is missing or not a file."""
    try:
        p = Path(path)
    except TypeError:
        raise ConfigError(f"path: expected a file path, got {path!r}") from None
    src = os.fspath(path)
    if not p.exists():
        raise DataError(f"{src}: no such file")
    if p.is_dir():
        raise DataError(f"{src}: is a directory, not a data file")
    if not p.is_file():
        raise DataError(f"{src}: is not a regular file")
    return p, src


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

def _target_columns(target: str | Sequence[str] | None, header: list[str],
                    src: str) -> list[str]:
    """The target column names, checked against the header; ``[]`` for no target."""
    if target is None:
        names = [header[-1]]
    elif isinstance(target, str):
        names = [target]
    else:
        names = list(target)
        if not all(isinstance(t, str) for t in names):
            raise ConfigError(f"target: expected column names (strings), got {target!r}")
        if len(set(names)) != len(names):
            raise ConfigError(f"target: names a column more than once: {target!r}")
    known = ", ".join(repr(h) for h in header)
    for t in names:
        if t not in header:
            raise DataError(f"{src}: no column named {t!r} for the target; columns are {known}")
    if len(names) == len(header):
        raise DataError(f"{src}: every column is a target ({known}); "
                        "need at least one feature column")
    return names


def _check_header(header: list[str], src: str) -> list[str]:
    """Stripped column names; refuse empty, repeated, or all-numeric (missing) headers."""
    names = [h.strip() for h in header]
    for j, h in enumerate(names):
        if not h:
            raise DataError(f"{src}: row 1, column {j + 1}: empty column name in the header")
    first: dict[str, int] = {}
    for j, h in enumerate(names):
        if h in first:
            raise DataError(f"{src}: row 1: column name {h!r} appears more than once "
                            f"(columns {first[h] + 1} and {j + 1})")
        first[h] = j
    if all(_is_number(h) for h in names):
        raise DataError(f"{src}: row 1 holds only numbers ({', '.join(names[:4])}...); "
                        "the first row must be a header of column names")
    return names


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_row(cells: list[str], header: list[str], src: str, line: int) -> list[float]:
    """The numbers of one data row; DataError naming row and column of a bad cell."""
    try:
        return [float(c) for c in cells]
    except ValueError:
        pass
    # Only on failure: find which cell it was.
    for cell, column in zip(cells, header):
        if _is_number(cell):
            continue
        where = f"{src}: row {line}, column {column!r}"
        if not cell.strip():
            raise DataError(f"{where}: empty cell; expected a number")
        raise DataError(f"{where}: cannot read {cell!r} as a number")
    raise AssertionError("unreachable: float() failed on a cell that _is_number accepts")


def _read_csv_rows(p: Path, src: str, delimiter: str) -> tuple[list[str], list[list[str]],
                                                                 list[int]]:
    """Header, the cells of each data row as text, and the 1-based file row of each.

    The header is row 1, as an editor or spreadsheet counts.  Cells stay text
    here because a class-label column is not parsed as numbers.
    """
    rows: list[list[str]] = []
    row_numbers: list[int] = []
    header: list[str] | None = None
    reader = None
    try:
        # utf-8-sig drops the byte-order mark spreadsheets put before the header.
        with open(p, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter)
            for cells in reader:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank line
                if header is None:
                    header = _check_header(cells, src)
                    continue
                line = reader.line_num
                if len(cells) != len(header):
                    raise DataError(f"{src}: row {line} has {len(cells)} cells but the header "
                                    f"has {len(header)}")
                rows.append(cells)
                row_numbers.append(line)
    except UnicodeDecodeError:
        raise DataError(f"{src}: is not UTF-8 text (is it a binary file?)") from None
    except csv.Error as exc:
        line = reader.line_num if reader is not None else 0
        raise DataError(f"{src}: row {line}: not valid CSV ({exc})") from None
    except OSError as exc:
        raise DataError(f"{src}: cannot be read ({exc.strerror or exc})") from None
    if header is None:
        raise DataError(f"{src}: is empty; expected a header row of column names and data rows")
    if not rows:
        raise DataError(f"{src}: has a header (row 1) but no data rows")
    return header, rows, row_numbers


def _numeric_table(rows: list[list[str]], row_numbers: list[int], header: list[str],
                   columns: list[int], src: str) -> Array:
    """The chosen columns of every row as finite float64, shape (N, len(columns))."""
    names = [header[j] for j in columns]
    table = np.array([_parse_row([cells[j] for j in columns], names, src, line)
                      for cells, line in zip(rows, row_numbers)], dtype=np.float64)
    bad = ~np.isfinite(table)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        what = "NaN" if np.isnan(table[i, j]) else "infinity"
        raise DataError(f"{src}: row {row_numbers[i]}, column {names[j]!r}: {what} is not "
                        "allowed; every cell must be a finite number")
    return table


def _label_column(rows: list[list[str]], row_numbers: list[int], column: int, name: str,
                  src: str) -> Array:
    """One column of class labels as stripped text, shape (N,); no cell may be blank."""
    labels = [cells[column].strip() for cells in rows]
    for text, line in zip(labels, row_numbers):
        if not text:
            raise DataError(f"{src}: row {line}, column {name!r}: empty cell; "
                            "expected a class label")
    return np.array(labels, dtype=str)


def load_csv(path: PathLike, target: str | Sequence[str] | None = None, *,
             delimiter: str = ",", dtype: object = np.float64, labels: bool = False) -> Loaded:
    """Read a CSV file with a header row: numeric features and numeric or text targets.

    Parameters
    ----------
    path : str or path-like
    target : None, str, list of str, or () / [], default None
        The target column(s) by name; None means the last column; an empty
        list or tuple means no target at all (every column is a feature, as
        for a file to predict on).  Every other column is a feature, in file
        order.
    delimiter : str, default ","
    dtype : float64 or float32, default float64
        The dtype of ``X`` and of numeric ``y``.
    labels : bool, default False
        If True the single target column holds class labels, which may be
        text (``cat``, ``dog``): ``y`` is then a 1-D array of ``str`` (cells
        stripped of surrounding spaces; ``1`` stays the text ``'1'``), ready
        for :func:`one_hot`.  Feature cells must still be numbers.

    Returns
    -------
    X : ndarray of shape (N, n_features)
    y : ndarray of shape (N, n_targets), of shape (N,) and dtype str with
        ``labels=True``, or None when ``target`` is empty
    feature_names, target_names : tuple of str

    Raises
    ------
    DataError
        Naming the file and, for a bad cell, its row (1-based, counting the
        header as row 1, as an editor or spreadsheet shows it) and column:
        a missing file, a directory, an empty file, a header without rows,
        a row of the wrong length, a repeated column name, an unknown target
        column, a feature cell that is empty, not a number, NaN or infinite,
        or an empty label cell.
    ConfigError
        For ``labels=True`` without exactly one target column.
    """
    dt = as_float_dtype(dtype)
    if not isinstance(labels, bool):
        raise ConfigError(f"labels: expected True or False, got {labels!r}")
    p, src = _existing_file(path)
    header, rows, row_numbers = _read_csv_rows(p, src, delimiter)
    targets = _target_columns(target, header, src)
    if labels and len(targets) != 1:
        raise ConfigError(f"labels: True needs exactly one target column of class labels, "
                          f"got target={target!r}")
    y_cols = [header.index(t) for t in targets]
    x_cols = [j for j in range(len(header)) if j not in y_cols]
    if labels:
        y: Array | None = _label_column(rows, row_numbers, y_cols[0], targets[0], src)
        X = np.ascontiguousarray(_numeric_table(rows, row_numbers, header, x_cols, src), dtype=dt)
        return X, y, tuple(header[j] for j in x_cols), tuple(targets)
    # Parsed in file order so that the first bad cell reported is the first in the file.
    table = _numeric_table(rows, row_numbers, header, list(range(len(header))), src)
    X = np.ascontiguousarray(table[:, x_cols], dtype=dt)  # (N, n_features)
    y = np.ascontiguousarray(table[:, y_cols], dtype=dt) if y_cols else None
    return X, y, tuple(header[j] for j in x_cols), tuple(targets)


def csv_header(path: PathLike, *, delimiter: str = ",") -> list[str]:
    """The column names of a CSV file (its first non-blank row), reading nothing more.

    Raises
    ------
    DataError
        As :func:`load_csv` does for a missing, unreadable or empty file or a bad header.
    """
    p, src = _existing_file(path)
    try:
        with open(p, newline="", encoding="utf-8-sig") as f:
            for cells in csv.reader(f, delimiter=delimiter):
                if cells and (len(cells) > 1 or cells[0].strip()):
                    return _check_header(cells, src)
    except UnicodeDecodeError:
        raise DataError(f"{src}: is not UTF-8 text (is it a binary file?)") from None
    except csv.Error as exc:
        raise DataError(f"{src}: row 1: not valid CSV ({exc})") from None
    except OSError as exc:
        raise DataError(f"{src}: cannot be read ({exc.strerror or exc})") from None
    raise DataError(f"{src}: is empty; expected a header row of column names and data rows")


def csv_row_numbers(path: PathLike, *, delimiter: str = ",") -> list[int]:
    """The file row (1-based, the header is row 1) of each data row of a CSV file.

    Blank lines are skipped by :func:`load_csv`, so data row ``k`` of its ``X``
    sits in file row ``csv_row_numbers(path)[k]``: for messages that name the
    row as an editor shows it.
    """
    p, src = _existing_file(path)
    return _read_csv_rows(p, src, delimiter)[2]


# ---------------------------------------------------------------------------
# .npy / .npz
# ---------------------------------------------------------------------------

# A compressed member may inflate to at most this many times its stored size, or
# to INFLATE_FLOOR bytes, whichever is larger.  Deflate tops out near 1032:1, so a
# ratio above 100 is all but always a bomb; numeric data rarely passes 10.
MAX_INFLATE_RATIO = 100
INFLATE_FLOOR = 16 * 2**20


class _NpyHeader(NamedTuple):
    """What an .npy header declares, checked to be a numeric array."""

    shape: tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype
    offset: int  # bytes from the start of the .npy data to its first element

    @property
    def n_bytes(self) -> int:
        """``prod(shape) · itemsize`` in Python ints, so a lying shape cannot overflow."""
        return math.prod(self.shape) * self.dtype.itemsize


def _read_npy_header(fp: Any, where: str) -> _NpyHeader:
    """Parse the header of an .npy stream and check its dtype and shape.

    NumPy parses the header with ``ast.literal_eval``, which a damaged file can
    make fail in many ways (SyntaxError, tokenize errors, MemoryError, ...), so
    any failure here is the file's fault and becomes a DataError.  Reading the
    header alone lets an object array be refused before its pickle is touched.
    """
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            # 3.0 only differs for non-Latin-1 field names, i.e. structured dtypes.
            raise ValueError(f"unsupported .npy format version {version}")
        offset = fp.tell()
    except Exception as exc:  # every parse failure means a damaged file
        raise DataError(f"{where}: is not a NumPy .npy array ({type(exc).__name__}: "
                        f"{_short(exc)})") from None
    _check_dtype(dtype, where)
    if any(d < 0 for d in shape):
        raise DataError(f"{where}: the .npy header declares a negative shape {shape}")
    return _NpyHeader(tuple(int(d) for d in shape), bool(fortran_order), dtype, int(offset))


def _short(exc: BaseException, limit: int = 120) -> str:
    """An exception's text cut to ``limit`` characters (a fuzzed header can be long)."""
    text = str(exc)
    return text if len(text) <= limit else text[:limit] + "..."


def _check_declared_size(head: _NpyHeader, available: int, where: str) -> None:
    """Refuse a header whose array needs more bytes than the file holds, before allocating."""
    if head.n_bytes > available:
        raise DataError(f"{where}: is truncated or damaged; its header declares shape "
                        f"{head.shape} of {head.dtype} ({head.n_bytes:,} bytes) but only "
                        f"{available:,} bytes of data follow")


def _check_dtype(dtype: np.dtype, src: str) -> None:
    """Refuse everything but bool, integer and real floating-point arrays."""
    if dtype.hasobject:
        raise DataError(f"{src}: holds Python objects (dtype {dtype}); refusing to unpickle "
                        "them, save a numeric array instead")
    if dtype.kind == "c":
        raise DataError(f"{src}: holds complex numbers (dtype {dtype}); expected real numbers")
    if dtype.kind not in "biuf":
        raise DataError(f"{src}: expected a numeric array, got dtype {dtype}")


def _as_table(A: Array, src: str) -> Array:
    """A loaded array as 2-D rows (a 1-D array is one column), checked for values."""
    _check_dtype(A.dtype, src)
    if A.ndim == 1:
        A = A.reshape(-1, 1)  # a view: a memmap stays a memmap
    elif A.ndim != 2:
        raise ShapeError(f"{src}: expected a 1-D or 2-D array (examples × features), "
                         f"got {A.ndim}-D with shape {A.shape}")
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise DataError(f"{src}: is empty (shape {A.shape}); need at least one example")
    check_finite(A, src)
    return A


def _load_npy(p: Path, src: str) -> Array:
    """Memory-map an .npy file read-only after checking its header against the file size."""
    try:
        with open(p, "rb") as fp:
            head = _read_npy_header(fp, src)
            size = os.fstat(fp.fileno()).st_size
            _check_declared_size(head, size - head.offset, src)
            if head.n_bytes == 0:
                return np.empty(head.shape, head.dtype)  # np.memmap cannot map 0 bytes
            order = "F" if head.fortran_order else "C"
            try:
                return np.memmap(fp, dtype=head.dtype, mode="r", offset=head.offset,
                                 shape=head.shape, order=order)
            except OSError:
                # Some file systems cannot map files; read it instead (the size is checked).
                fp.seek(head.offset)
                flat = np.fromfile(fp, dtype=head.dtype, count=math.prod(head.shape))
                return flat.reshape(head.shape, order=order)
    except OSError as exc:
        raise DataError(f"{src}: cannot be read ({exc.strerror or exc})") from None


def _check_member_info(info: zipfile.ZipInfo, where: str) -> None:
    """Refuse encrypted, exotically compressed or bomb-sized members from the zip directory."""
    if info.flag_bits & 0x1:
        raise DataError(f"{where}: is encrypted; expected a plain .npz archive from np.savez")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise DataError(f"{where}: uses zip compression method {info.compress_type}; expected "
                        "stored (0) or deflated (8) as np.savez and np.savez_compressed write")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise DataError(f"{where}: is stored uncompressed but declares {info.file_size:,} "
                        f"bytes while holding {info.compress_size:,}")
    limit = max(INFLATE_FLOOR, MAX_INFLATE_RATIO * info.compress_size)
    if info.file_size > limit:
        raise DataError(f"{where}: would inflate {info.compress_size:,} stored bytes to "
                        f"{info.file_size:,} (more than {MAX_INFLATE_RATIO}:1); refusing a "
                        "possible zip bomb (save it with np.savez instead)")


def _read_exactly(fp: Any, out: Array, where: str) -> None:
    """Fill ``out``'s bytes from ``fp``; DataError if the stream ends early."""
    view = memoryview(out.reshape(-1).view(np.uint8))
    got = 0
    while got < len(view):
        n = fp.readinto(view[got:])
        if not n:
            raise DataError(f"{where}: is truncated; expected {len(view):,} bytes of data, "
                            f"got {got:,}")
        got += n


def _load_npz_member(zf: zipfile.ZipFile, member: str, where: str) -> Array:
    """One array of an open zip archive: directory entry, header and sizes checked first.

    The declared sizes (zip and .npy) are compared before a byte of data is
    inflated, and the array is allocated only once both agree.
    """
    info = zf.getinfo(member)
    _check_member_info(info, where)
    with zf.open(info) as fp:
        head = _read_npy_header(fp, where)
        _check_declared_size(head, info.file_size - head.offset, where)
        A = np.empty(math.prod(head.shape), head.dtype)  # (size,), filled below
        _read_exactly(fp, A, where)
        # Reading past the end makes zipfile check the CRC-32 of the whole member.
        if fp.read(1):
            raise DataError(f"{where}: holds more bytes than its header's shape "
                            f"{head.shape} of {head.dtype}")
    order = "F" if head.fortran_order else "C"
    return A.reshape(head.shape, order=order)


def _npz_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Array key ↦ member name, as np.load names them (``X.npy`` is the key ``X``)."""
    members: dict[str, str] = {}
    for name in zf.namelist():
        members[name[:-4] if name.endswith(".npy") else name] = name
    return members


def _load_npz(p: Path, src: str, x_key: str, target: str | tuple[()] | None) -> tuple[
        Array, Array | None]:
    """``X`` (and ``y``) from an .npz archive read with :mod:`zipfile`, never np.load.

    Every failure of a damaged archive (bad directory, unsupported version,
    corrupt deflate data, CRC mismatch, ...) becomes a DataError naming the
    file and the member; the file is closed on every path.
    """
    key = x_key
    try:
        with open(p, "rb") as f, zipfile.ZipFile(f) as zf:
            members = _npz_members(zf)
            listed = ", ".join(repr(k) for k in members) or "none"
            if x_key not in members:
                raise DataError(f"{src}: has no array {x_key!r} for the features; "
                                f"its arrays are {listed}")
            if target == ():
                y_key = None
            else:
                y_key = target if target is not None else ("y" if "y" in members else None)
            if y_key == x_key:  # the features would be their own target
                raise ConfigError(f"target: {y_key!r} is the feature array of {src}; "
                                  f"name another array for the target; its arrays are {listed}")
            if y_key is not None and y_key not in members:
                raise DataError(f"{src}: has no array {y_key!r} for the target; "
                                f"its arrays are {listed}")
            X = _as_table(_load_npz_member(zf, members[x_key], f"{src}[{x_key!r}]"),
                          f"{src}[{x_key!r}]")
            y = None
            if y_key is not None:
                key = y_key
                y = _as_table(_load_npz_member(zf, members[y_key], f"{src}[{y_key!r}]"),
                              f"{src}[{y_key!r}]")
    except ChainruleError:
        raise
    except zipfile.BadZipFile as exc:
        raise DataError(f"{src}: is not a .npz archive or its zip directory is damaged "
                        f"({_short(exc)})") from None
    except Exception as exc:  # zlib, zipfile, struct errors: a damaged file
        raise DataError(f"{src}[{key!r}]: cannot be read ({type(exc).__name__}: "
                        f"{_short(exc)})") from None
    if y is not None and y.shape[0] != X.shape[0]:
        raise ShapeError(f"{src}: {y_key!r} has {y.shape[0]} rows but {x_key!r} "
                         f"has {X.shape[0]}")
    return X, y


def load_array(path: PathLike, target: str | Sequence[str] | None = None, *,
               x_key: str = "X") -> Loaded:
    """Read features (and targets) from a ``.npy`` or ``.npz`` file, never unpickling.

    Headers are parsed on their own and every declared size (the array's
    ``prod(shape) · itemsize``, a zip member's inflated size) is compared with
    the bytes the file really holds before anything is allocated or inflated.

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file is memory-mapped read-only, so a large file is not read
        into memory; a ``.npz`` archive is read whole.
    target : None, str or ()
        For ``.npy``: None or ``()`` (the whole array is ``X``, ``y`` is None)
        or ``'last'`` (the last column is ``y``).  For ``.npz``: the key of the
        target array; None means ``'y'`` when the archive has one; ``()``
        means no target even if it has one.
    x_key : str, default "X"
        The key of the feature array in a ``.npz`` archive.

    Returns
    -------
    X : ndarray of shape (N, n_features), possibly a read-only memmap
    y : ndarray of shape (N, n_targets) or None
    feature_names, target_names : tuple of str
        ``x0, x1, …`` and ``y0, …`` (column indices).

    Raises
    ------
    DataError
        Naming the file (and the archive member): not an array file, a damaged
        header or archive, sizes declared beyond the file, a likely zip bomb,
        encrypted or unusually compressed members, object/string/complex dtype,
        not 1-D or 2-D, empty, NaN or infinite values, missing keys.
    ShapeError
        For ``X`` and ``y`` with different numbers of rows.
    ConfigError
        For a ``target`` that does not fit the file type, or that names the
        feature array ``x_key`` of a ``.npz``.
    """
    p, src = _existing_file(path)
    if not isinstance(target, str) and target is not None:
        if isinstance(target, Sequence) and len(target) == 0:
            target = ()
        else:
            raise ConfigError(f"target: for a .npy or .npz file give None, () or one name, "
                              f"got {target!r}")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        if target not in (None, (), "last"):
            raise ConfigError(f"target: for a .npy file use None (features only) or 'last' "
                              f"(the last column is the target), got {target!r}")
        A = _as_table(_load_npy(p, src), src)
        if target != "last":
            X, y = A, None
        elif A.shape[1] < 2:
            raise ShapeError(f"{src}: target='last' needs at least 2 columns, got {A.shape[1]}")
        else:
            X, y = A[:, :-1], A[:, -1:]  # views: a memmap stays a memmap
    elif suffix == ".npz":
        X, y = _load_npz(p, src, x_key, target)  # type: ignore[arg-type]
    else:
        raise DataError(f"{src}: expected a .npy or .npz file, got {p.suffix or 'no suffix'!r}")
    feature_names = tuple(f"x{j}" for j in range(X.shape[1]))
    target_names = () if y is None else tuple(f"y{j}" for j in range(y.shape[1]))
    return X, y, feature_names, target_names


def load_data(path: PathLike, target: str | Sequence[str] | None = None,
              **options: Any) -> Loaded:
    """Read a ``.csv``, ``.npy`` or ``.npz`` file, chosen by its suffix.

    ``target`` and ``options`` go to :func:`load_csv` or :func:`load_array`;
    both return ``(X, y, feature_names, target_names)``.

    Raises
    ------
    DataError
        For any other suffix, or whatever the chosen loader raises.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return load_csv(path, target, **options)
    if suffix in (".npy", ".npz"):
        return load_array(path, target, **options)  # type: ignore[arg-type]
    got = repr(suffix) if suffix else "no suffix"
    raise DataError(f"{os.fspath(path)}: unknown file type {got}; expected .csv, .npy or .npz")


# ---------------------------------------------------------------------------
# Helpers for training on loaded data
# ---------------------------------------------------------------------------

def one_hot(labels: object, classes: object = None) -> tuple[Array, Array]:
    """One-hot rows ``Y[k, i] = 1`` if ``labels[k] == classes[i]`` else 0.

    Parameters
    ----------
    labels : array-like of shape (N,) or (N, 1)
    classes : array-like of shape (K,), optional
        The classes in column order; by default the sorted distinct labels.

    Returns
    -------
    Y : ndarray of shape (N, K), float64
    classes : ndarray of shape (K,)

    Raises
    ------
    DataError
        For a label that is not one of ``classes`` (naming it), or a NaN label.
    ConfigError
        For repeated ``classes``.
    """
    y = np.asarray(labels)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ShapeError(f"labels: expected shape (N,) or (N, 1), got {y.shape}")
    if y.size == 0:
        raise DataError("labels: is empty; need at least one example")
    if y.dtype.kind in "fc" and np.isnan(y).any():
        raise DataError(f"labels: row {int(np.flatnonzero(np.isnan(y))[0])} is NaN, not a class")
    if classes is None:
        C = np.unique(y)
    else:
        C = np.asarray(classes)
        if C.ndim != 1 or C.size == 0:
            raise ConfigError(f"classes: expected a non-empty 1-D list, got shape {C.shape}")
        if np.unique(C).size != C.size:
            raise ConfigError(f"classes: repeats a class: {C.tolist()}")
    order = np.argsort(C, kind="stable")
    sorted_C = C[order]
    try:
        pos = np.clip(np.searchsorted(sorted_C, y), 0, C.size - 1)  # (N,) index into sorted_C
        found = np.asarray(sorted_C[pos] == y, dtype=bool)
    except TypeError:  # e.g. text labels against numeric classes
        raise DataError(f"labels: of dtype {y.dtype} cannot be matched with classes of dtype "
                        f"{C.dtype} ({C.tolist()})") from None
    if not found.all():
        k = int(np.flatnonzero(~found)[0])
        error = DataError(f"labels: row {k} has label {y[k].item()!r}, which is not one of the "
                          f"classes {C.tolist()}")
        error.row, error.label = k, y[k].item()  # for callers that know the file's rows
        raise error
    Y = np.zeros((y.shape[0], C.size))  # (N, K)
    Y[np.arange(y.shape[0]), order[pos]] = 1.0
    return Y, C


def _exponent_above(block: Array) -> Array:
    """Per column the least ``e`` with ``|x| < 2^e`` for every ``x`` of the block (0 for zeros)."""
    big = np.maximum(np.abs(block.max(axis=0)), np.abs(block.min(axis=0)))
    return np.frexp(big)[1].astype(np.int64)  # big = m · 2^e with 0.5 ≤ m < 1


class Standardizer:
    """Per-column standardisation ``Xs = (X − mean_) / scale_``.

    ``scale_`` is the population standard deviation ``√(Σ_k (x_k − mean)² / N)``,
    or 1 for a constant column (so it passes through centred, not divided by
    zero).  Statistics are gathered block by block with Chan et al.'s pairwise
    update, so a memory-mapped ``X`` is read in pieces and never held whole.
    A block holds ``chunk_rows`` rows, fewer where rows are wide (a block of
    float64 stays within about 16 MiB).

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,), float64
    n_features_in_ : int
    n_samples_seen_ : int
    """

    def __init__(self, chunk_rows: int = CHUNK_ROWS) -> None:
        self.chunk_rows = chunk_rows

    def _step(self, A: Array) -> int:
        """Rows per block: ``chunk_rows``, fewer for wide rows (a block of float64 stays
        within about :data:`chainrule.utils.validation.BLOCK_BYTES`)."""
        rows = _check_int(self.chunk_rows, "chunk_rows", 1)
        return min(rows, max(1, validation.BLOCK_BYTES // (8 * max(1, A.shape[1]))))

    @staticmethod
    def _rows(X: object, name: str) -> Array:
        """``X`` as a 2-D numeric array without copying (a memmap stays mapped)."""
        A = check_numeric(X, name)
        if A.ndim != 2:
            raise ShapeError(f"{name}: expected a 2-D array (examples × features), got {A.ndim}-D")
        return A

    def fit(self, X: object) -> Standardizer:
        """Compute ``mean_`` and ``scale_`` of each column of ``X`` (N, n_features).

        Each block contributes its count ``n_b``, mean ``m_b`` and squared
        deviations ``M2_b``; merged into the running ``(n, m, M2)`` as
        ``m += δ n_b / (n + n_b)`` and ``M2 += M2_b + δ² n n_b / (n + n_b)``
        with ``δ = m_b − m``.  The sums are kept in units ``u = x / 2^e`` per
        column, ``2^e`` the power of two above the largest ``|x|`` seen so far:
        dividing by a power of two is exact, and ``Σ u²`` cannot overflow even
        for values near the float64 limit (``(1e300)²`` would).
        """
        A = self._rows(X, "X")
        n_cols = A.shape[1]
        n, mean, M2 = 0, np.zeros(n_cols), np.zeros(n_cols)
        shift: Array = np.zeros(n_cols)  # replaced by row 0 in the first block (in units u)
        e = np.full(n_cols, np.iinfo(np.int32).min // 2)  # exponents of the units
        for start, rows in row_blocks(A, self._step(A), "X"):
            block = rows.astype(np.float64)  # a copy: scaled and shifted in place below
            check_finite_block(block, "X", start)
            e_new = np.maximum(e, _exponent_above(block))
            if start > 0 and (e_new > e).any():
                r = np.ldexp(1.0, e - e_new)  # ≤ 1, a power of two: exact rescaling
                mean *= r
                M2 *= r * r
                shift *= r
            e = e_new
            np.ldexp(block, -e, out=block)
            if start == 0:
                # Work on X − X[0]: for a column like 1e6 ± 1e-3 the shift keeps the
                # block means small, so merging them does not cancel away the variance.
                shift = block[0].copy()
            block -= shift
            n_b = block.shape[0]
            m_b = block.mean(axis=0)
            M2_b = np.square(block - m_b).sum(axis=0)
            delta = m_b - mean
            total = n + n_b
            mean += delta * (n_b / total)
            M2 += M2_b + np.square(delta) * (n * n_b / total)
            n = total
        std = np.ldexp(np.sqrt(M2 / n), e)
        mean = np.ldexp(mean + shift, e)
        # A column whose values differ only in the last bits of its mean counts as
        # constant (std 0 included): dividing by that std would blow rounding up to units.
        constant = std <= 16 * np.finfo(np.float64).eps * np.abs(mean)
        self.mean_ = mean
        self.scale_ = np.where(constant, 1.0, std)
        self.n_features_in_ = int(n_cols)
        self.n_samples_seen_ = int(n)
        return self

    def _check_fitted(self, X: object, name: str) -> Array:
        if not hasattr(self, "mean_"):
            raise ChainruleError("Standardizer: call fit() (or from_dict()) before transforming")
        A = self._rows(X, name)
        if A.shape[1] != self.n_features_in_:
            raise ShapeError(f"{name}: expected {self.n_features_in_} columns (as fitted), "
                             f"got {A.shape[1]}")
        return A

    def _apply(self, A: Array, forward: bool, out: Array | None) -> Array:
        # float32 data stays float32; anything else becomes float64.
        dtype = np.float32 if A.dtype == np.float32 else np.float64
        if out is None:
            out = np.empty(A.shape, dtype)
        elif not isinstance(out, np.ndarray) or out.shape != A.shape \
                or out.dtype.kind != "f" or not out.flags.writeable:
            raise ShapeError(f"out: expected a writable float array of shape {A.shape}, got "
                             f"{getattr(out, 'shape', None)} of {getattr(out, 'dtype', type(out))}")
        for start, rows in row_blocks(A, self._step(A), "X"):
            out_rows = out[start:start + rows.shape[0]]
            with np.errstate(over="ignore", invalid="ignore"):
                if forward:
                    np.subtract(rows, self.mean_, out=out_rows)
                    np.divide(out_rows, self.scale_, out=out_rows)
                else:
                    np.multiply(rows, self.scale_, out=out_rows)
                    np.add(out_rows, self.mean_, out=out_rows)
            self._check_result(out_rows, rows, start, forward)
        return out

    def _check_result(self, out_rows: Array, rows: Array, start: int, forward: bool) -> None:
        """DataError for a finite input whose result overflows ``out``'s dtype."""
        where = first_non_finite(out_rows)
        if where is None:
            return
        i, j = where
        what = "(x − mean) / scale" if forward else "x · scale + mean"
        raise DataError(f"X: row {start + i}, column {j}: {what} of {float(rows[i, j]):g} "
                        f"overflows {out_rows.dtype} (mean {self.mean_[j]:g}, scale "
                        f"{self.scale_[j]:g})")

    def transform(self, X: object, out: Array | None = None) -> Array:
        """``(X − mean_) / scale_``, computed block by block.

        Parameters
        ----------
        X : array-like of shape (N, n_features)
            A memory-mapped ``X`` is read block by block, never mapped whole.
        out : ndarray of shape (N, n_features), optional
            Written in place and returned (e.g. a memory-mapped file, so that a
            large ``X`` is never held in memory); a new array by default, float32
            for float32 ``X`` and float64 otherwise.

        Raises
        ------
        DataError
            For a value whose result overflows (a column spanning nearly the
            whole float64 range), naming its row and column.
        """
        return self._apply(self._check_fitted(X, "X"), True, out)

    def fit_transform(self, X: object) -> Array:
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Xs: object, out: Array | None = None) -> Array:
        """``Xs · scale_ + mean_``, undoing :meth:`transform` (``out`` as there)."""
        return self._apply(self._check_fitted(Xs, "Xs"), False, out)

    def to_dict(self) -> dict[str, list[float]]:
        """``{"mean": [...], "scale": [...]}`` as plain floats, for JSON metadata."""
        if not hasattr(self, "mean_"):
            raise ChainruleError("Standardizer: call fit() before to_dict()")
        return {"mean": [float(v) for v in self.mean_], "scale": [float(v) for v in self.scale_]}

    @classmethod
    def from_dict(cls, data: object) -> Standardizer:
        """Rebuild a fitted Standardizer from :meth:`to_dict`'s output.

        Raises
        ------
        ModelFileError
            If keys are missing, lengths differ, or a value is not finite
            (or a scale not positive).
        """
        if not isinstance(data, dict) or not {"mean", "scale"} <= data.keys():
            raise ModelFileError(f"standardizer: expected a dict with 'mean' and 'scale' lists, "
                                 f"got {data!r}")
        try:
            mean = np.asarray(data["mean"], dtype=np.float64)
            scale = np.asarray(data["scale"], dtype=np.float64)
        except (TypeError, ValueError):
            raise ModelFileError("standardizer: 'mean' and 'scale' must be lists of numbers") \
                from None
        if mean.ndim != 1 or mean.shape != scale.shape or mean.size == 0:
            raise ModelFileError(f"standardizer: 'mean' and 'scale' must be non-empty lists of "
                                 f"equal length, got {mean.shape} and {scale.shape}")
        if not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise ModelFileError("standardizer: values must be finite and every scale positive")
        s = cls()
        s.mean_, s.scale_ = mean, scale
        s.n_features_in_ = int(mean.size)
        s.n_samples_seen_ = 0
        return s


def split(X: object, y: object = None, fraction: float = 0.2,
          random_state: object = None) -> tuple[Array, Array]:
    """Random train/held-out split as index arrays.

    Indices rather than copies keep a memory-mapped ``X`` mapped: index it one
    batch at a time.  ``n_held = ⌈fraction · N⌉`` as in scikit-learn's
    ``train_test_split``; both index arrays are sorted so reading a memmap
    through them runs forwards through the file.

    Parameters
    ----------
    X : array-like with N rows
    y : array-like with N rows, optional
        Only checked to have as many rows as ``X``.
    fraction : float in (0, 1), default 0.2
        Share of the rows held out.
    random_state : None, int or numpy Generator

    Returns
    -------
    train_idx, held_idx : ndarray of intp
        Disjoint; together every row index ``0 … N−1`` once.
    """
    n = int(np.shape(X)[0]) if np.ndim(X) else 0
    if y is not None and np.ndim(y) and int(np.shape(y)[0]) != n:
        raise ShapeError(f"y: has {np.shape(y)[0]} examples (rows) but X has {n}")
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) \
            or not 0.0 < fraction < 1.0:
        raise ConfigError(f"fraction: expected a number strictly between 0 and 1, got {fraction!r}")
    # round() first so that e.g. 0.1 · 30 counts as 3, not 3.0000000000000004 -> 4.
    n_held = math.ceil(round(fraction * n, 9))
    if n_held < 1 or n_held >= n:
        raise ConfigError(f"fraction: {fraction} of {n} examples leaves {n_held} held out and "
                          f"{n - n_held} for training; each part needs at least one")
    perm = _rng(random_state).permutation(n)
    return (np.sort(perm[n_held:]).astype(np.intp, copy=False),
            np.sort(perm[:n_held]).astype(np.intp, copy=False))
