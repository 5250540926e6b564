"""Reading CSV files with a header row: pandas parses, chainrule checks and explains.

pandas' C parser reads the file (about 18 times faster than a parser written in
Python, with a quarter of its memory, and to the same float64 bits).  What pandas
forgives, this module refuses by name: a row with too few or too many cells, an
empty cell, a word among numbers, NaN and infinity, a repeated or missing column
name.  Every refusal names the file, and for a cell its row as an editor numbers
it (the header is row 1, blank lines count) and its column.  The rows are
counted by a second pass over the file with :mod:`csv`, made only when something
is wrong, so a good file is read once.
"""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from ..utils.validation import as_float_dtype
from .source import Loaded, PathLike, Source, existing_file

__all__ = ["csv_header", "csv_row_numbers", "csv_source", "delimiter_hint", "feature_columns",
           "load_csv"]

Array = np.ndarray


def load_csv(path: PathLike, target: str | Sequence[str] | None = None, *,
             delimiter: str = ",", dtype: object = np.float64, labels: bool = False,
             features: Sequence[str] | None = None, ignore: Sequence[str] = ()) -> Loaded:
    """Read a CSV file with a header row: numeric features and numeric or text targets.

    Parameters
    ----------
    path : str or path-like
    target : None, str, list of str, or () / [], default None
        The target column(s) by name; None means the last column; an empty
        list or tuple means no target at all (every column is a feature, as
        for a file to predict on).  Every other column is a feature, in file
        order, unless ``features`` or ``ignore`` say otherwise.
    delimiter : str, default ","
        One character.
    dtype : float64 or float32, default float64
        The dtype of ``X`` and of numeric ``y``.
    labels : bool, default False
        If True the single target column holds class labels, which may be
        text (``cat``, ``dog``): ``y`` is then a 1-D array of ``str`` (cells
        stripped of surrounding spaces; ``1`` stays the text ``'1'``), ready
        for :func:`~chainrule.data.one_hot`.  Feature cells must still be numbers.
    features : list of str, optional
        The feature columns, in this order; the file's other columns are not
        read (a column of text, say).
    ignore : list of str, default ()
        Columns left out of the features (and never read).

    A first column without a name is the row labels that pandas writes
    (``DataFrame.to_csv``): it is left out too.

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
        a row of the wrong length, a repeated column name, an unknown target,
        feature or ignored column, a feature cell that is empty, not a number,
        NaN or infinite, or an empty label cell.
    ConfigError
        For ``labels=True`` without exactly one target column, a column both a
        feature and a target (or ignored), or a delimiter that is not one character.
    """
    dt = as_float_dtype(dtype)
    if not isinstance(labels, bool):
        raise ConfigError(f"labels: expected True or False, got {labels!r}")
    p, src = existing_file(path)
    header = csv_header(p, delimiter=delimiter)
    targets = _target_columns(target, header, src)
    if labels and len(targets) != 1:
        raise ConfigError(f"labels: True needs exactly one target column of class labels, "
                          f"got target={target!r}")
    chosen = feature_columns(features, ignore, header, targets, src)
    text = targets if labels else []
    table = _Table(p, src, header, delimiter, text)
    if labels:
        y: Array | None = table.labels(targets[0])
        X = table.numbers(chosen, dt)
    else:
        # checked in file order, so that the first bad cell reported is the first in the file
        table.check_numbers([h for h in header if h in targets or h in chosen])
        X = table.numbers(chosen, dt)
        y = table.numbers(targets, dt) if targets else None
    return X, y, tuple(chosen), tuple(targets)


def csv_header(path: PathLike, *, delimiter: str = ",") -> list[str]:
    """The column names of a CSV file (its first non-blank row), reading nothing more.

    Raises
    ------
    DataError
        As :func:`load_csv` does for a missing, unreadable or empty file or a bad header.
    """
    p, src = existing_file(path)
    for _, cells in _rows(p, src, _check_delimiter(delimiter)):
        return _check_header(cells, src)
    raise DataError(f"{src}: is empty; expected a header row of column names and data rows")


def delimiter_hint(header: Sequence[str]) -> str:
    """`` (is the file separated by ';'? pass delimiter=';')`` for a header read as one
    column that holds another common separator (``;``, tab, ``|``); else ``""``."""
    other = [d for d in ";\t|" if len(header) == 1 and d in header[0]]
    return f" (is the file separated by {other[0]!r}? pass delimiter={other[0]!r})" \
        if other else ""


def csv_row_numbers(path: PathLike, *, delimiter: str = ",") -> list[int]:
    """The file row (1-based, the header is row 1) of each data row of a CSV file.

    Blank lines are skipped by :func:`load_csv`, so data row ``k`` of its ``X``
    sits in file row ``csv_row_numbers(path)[k]``: for messages that name the
    row as an editor shows it.

    Raises
    ------
    DataError
        As :func:`load_csv` does for a bad header or a row of the wrong length.
    """
    p, src = existing_file(path)
    return _row_numbers(p, src, len(csv_header(p, delimiter=delimiter)), delimiter)


def csv_source(path: PathLike, columns: Sequence[str], delimiter: str = ",") -> Source:
    """A :class:`~chainrule.data.Source` for the CSV file ``path`` (whose data has
    ``columns``): its messages name rows as the file counts them (the header is row 1).

    The rows are counted when a message first needs them.
    """
    lines: list[int] = []

    def row(k: int) -> str:
        if not lines:
            lines.extend(csv_row_numbers(path, delimiter=delimiter))
        return f"row {lines[k]}"

    return Source(os.fspath(path), list(columns), row)


# ---------------------------------------------------------------------------
# The header and the rows, read with the csv module (for names and messages)
# ---------------------------------------------------------------------------


def _check_delimiter(delimiter: object) -> str:
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise ConfigError(f"delimiter: expected one character other than a quote or a line "
                          f"break, got {delimiter!r}")
    return delimiter


def _rows(p: Path, src: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """``(file row, cells)`` for each non-blank row, header included.

    A blank row has no cells, or one cell of spaces only; a row holding just an
    empty quoted cell ``""`` is a row (pandas reads it as one).
    """
    reader = None
    try:
        # utf-8-sig drops the byte-order mark spreadsheets put before the header.
        with open(p, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter)
            for cells in reader:
                if not cells or (len(cells) == 1 and cells[0] and not cells[0].strip()):
                    continue
                yield reader.line_num, cells
    except UnicodeDecodeError:
        raise DataError(f"{src}: is not UTF-8 text (is it a binary file?)") from None
    except csv.Error as exc:
        line = reader.line_num if reader is not None else 0
        raise DataError(f"{src}: row {line}: not valid CSV ({exc})") from None
    except OSError as exc:
        raise DataError(f"{src}: cannot be read ({exc.strerror or exc})") from None


def _row_numbers(p: Path, src: str, n_cells: int, delimiter: str) -> list[int]:
    """The file row of each data row; DataError for a row of the wrong length."""
    numbers = []
    rows = _rows(p, src, delimiter)
    next(rows, None)  # the header
    for line, cells in rows:
        if len(cells) != n_cells:
            raise DataError(f"{src}: row {line} has {len(cells)} cells but the header "
                            f"has {n_cells}")
        numbers.append(line)
    return numbers


ROW_LABELS = ""  # the name of pandas' row labels (DataFrame.to_csv's first column)


def _check_header(header: list[str], src: str) -> list[str]:
    """Stripped column names; refuse empty, repeated, or all-numeric (missing) headers.

    The first name alone may be empty: pandas' row labels (:data:`ROW_LABELS`).
    """
    names = [h.strip() for h in header]
    for j, h in enumerate(names):
        if not h and (j > 0 or len(names) == 1):
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
    known = _names(header)
    for t in names:
        if t not in header or t == ROW_LABELS:
            raise DataError(f"{src}: no column named {t!r} for the target; columns are {known}")
    if len(names) == len([h for h in header if h != ROW_LABELS]):
        hint = delimiter_hint(header)
        raise DataError(f"{src}: every column is a target ({known}); "
                        f"need at least one feature column{hint}")
    return names


def _names(header: Sequence[str]) -> str:
    """The columns as a message lists them (without pandas' row labels)."""
    return ", ".join(repr(h) for h in header if h != ROW_LABELS)


def feature_columns(features: Sequence[str] | None, ignore: Sequence[str],
                    header: Sequence[str], targets: Sequence[str], src: str) -> list[str]:
    """The feature columns of a table with columns ``header``: ``features`` (checked),
    else every column but the targets, those in ``ignore`` and pandas' row labels.

    Raises
    ------
    DataError
        For a column ``features`` or ``ignore`` names that ``header`` lacks (naming
        ``src`` and the option), or when no feature column is left.
    ConfigError
        For a target among ``features`` or ``ignore``, a column in both, or repeats.
    """
    for option, names in (("features", features), ("ignore", ignore)):
        if names is None:
            continue
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{option}: expected a list of column names, got {names!r}")
        for n in names:
            if n not in header or n == ROW_LABELS:
                raise DataError(f"{src}: no column named {n!r} ({option}); columns are "
                                f"{_names(header)}")
            if n in targets:
                raise ConfigError(f"{option}: {n!r} is the target; a column cannot be both")
    if features is not None:
        both = [n for n in features if n in ignore]
        if both:
            raise ConfigError(f"ignore: {both[0]!r} is also one of the features")
        if len(set(features)) != len(features) or not features:
            raise ConfigError(f"features: expected distinct column names, got {features!r}")
        return list(features)
    chosen = [h for h in header if h not in targets and h not in ignore and h != ROW_LABELS]
    if not chosen:
        raise DataError(f"{src}: no feature column is left (the target: {', '.join(targets)}; "
                        f"ignored: {', '.join(ignore)})")
    return chosen


# ---------------------------------------------------------------------------
# The table, read with pandas
# ---------------------------------------------------------------------------


class _Table:
    """A CSV file read by pandas, with checks that name the file, row and column."""

    def __init__(self, p: Path, src: str, header: list[str], delimiter: str,
                 text_columns: Sequence[str]) -> None:
        self.p, self.src, self.header, self.delimiter = p, src, header, delimiter
        self.frame = self._read(text_columns)
        if len(self.frame) == 0:
            raise DataError(f"{src}: has a header (row 1) but no data rows")

    def _read(self, text_columns: Sequence[str]) -> object:
        import pandas as pd

        from .frames import exact_floats

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                frame = pd.read_csv(
                    self.p, sep=self.delimiter, header=0, names=self.header,
                    encoding="utf-8-sig", keep_default_na=False, na_values=[], engine="c",
                    dtype={name: str for name in text_columns} or None, **exact_floats())
            except UnicodeDecodeError:
                raise DataError(f"{self.src}: is not UTF-8 text (is it a binary file?)") \
                    from None
            except pd.errors.ParserError as exc:
                self.check_rows()
                reason = str(exc).strip().splitlines()[0]
                raise DataError(f"{self.src}: not valid CSV ({reason})") from None
            except OSError as exc:
                raise DataError(f"{self.src}: cannot be read ({exc.strerror or exc})") from None
        # A first data row longer than the header makes pandas take its first cells for
        # row labels (an index other than 0, 1, ...); a warning may say so, or nothing.
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught) \
                or not frame.index.equals(pd.RangeIndex(len(frame))):
            self.check_rows()
            raise DataError(f"{self.src}: its rows do not line up with the header's "
                            f"{len(self.header)} columns")
        return frame

    def check_rows(self) -> list[int]:
        """The file row of each data row; DataError for a row of the wrong length.

        Made only when something is wrong: pandas fills a short row's missing
        cells, so a bad cell is reported only once every row is known whole.
        """
        return _row_numbers(self.p, self.src, len(self.header), self.delimiter)

    def _fail(self, k: int, column: str, message: str) -> DataError:
        """The error for data row ``k`` (0-based): a ragged row first, else the cell's."""
        lines = self.check_rows()
        row = f"row {lines[k]}" if len(lines) == len(self.frame) else f"data row {k + 1}"
        return DataError(f"{self.src}: {row}, column {column!r}: {message}")

    def check_numbers(self, columns: Sequence[str]) -> None:
        """DataError for the first cell of ``columns`` (in file order) that is not a finite
        number: empty, a word, NaN or infinity."""
        from .frames import first_bad_cell

        bad = first_bad_cell(self.frame, columns)
        if bad is not None:
            raise self._fail(*bad)

    def numbers(self, columns: Sequence[str], dtype: np.dtype) -> Array:
        """The ``columns`` as a C-contiguous (N, len(columns)) array of ``dtype``."""
        from .frames import numeric_columns

        self.check_numbers(columns)
        return numeric_columns(self.frame, columns, dtype)

    def labels(self, column: str) -> Array:
        """One column of class labels as stripped text, shape (N,); no cell may be blank."""
        labels = np.array([str(v).strip() for v in self.frame[column].tolist()], dtype=str)
        empty = np.flatnonzero(labels == "")
        if empty.size:
            raise self._fail(int(empty[0]), column, "empty cell; expected a class label")
        return labels
