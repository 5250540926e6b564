"""Option types shared by the commands: typer parameters with parsers that name the value.

A value that can be judged on its own (a learning rate, layer sizes, a range) is parsed
by typer through one of the parsers below, before the command runs: a bad one ends
in typer's usage error, ``Invalid value for '--lr': expected a positive number, got
'nan'``, exit 2.  Typer's own ``min=``/``max=`` are not used: since typer 0.29 their
message leaves the value out ("Input should be greater than or equal to 1"), lets
``inf`` through and calls NaN too small.  A value that needs the data or the model to
be judged (``--x`` has one number per input) is checked by the command, and the
library's errors name the option instead of the library's argument
(:func:`library_errors_as_options`).
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from ..errors import ChainruleError, ConfigError

T = TypeVar("T")

Debug = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON document on stdout.")]
ModelArg = Annotated[Path, typer.Argument(help="A model file written by `chainrule train`.",
                                          show_default=False)]
DataArg = Annotated[Path | None, typer.Argument(
    help="A .csv, .npy or .npz file (default: the model's built-in training set).",
    show_default=False)]
DatasetOpt = Annotated[str | None, typer.Option("--dataset", "-d",
                                                help="Use a built-in data set instead.")]
TargetOpt = Annotated[str | None, typer.Option(
    help="The file's target column(s), left out of the inputs: CSV column names, "
         "comma-separated; 'last' for a .npy; the target array of a .npz (as for train).",
    show_default=False)]
# The cost grid C of `landscape` (resolution² float64 values) may take at most this much memory.
MAX_GRID_BYTES = 256 * 2**20


def option_parser(parse: Callable[[str], T]) -> Callable[[str], T]:
    """``parse`` as a typer parser: its ValueError becomes the option's usage error.

    Typer calls parsers on defaults too (a number, not text), and on text from the
    command line; ``parse`` takes both.
    """

    @functools.wraps(parse)
    def parser(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            reason = str(exc)
            if isinstance(exc, ChainruleError):  # the library's: drop its argument name
                reason = reason.split(": ", 1)[-1]
            raise typer.BadParameter(reason) from None

    return parser


def _numbers(text: str) -> list[float]:
    """``"0.5, 1"`` → ``[0.5, 1.0]`` (``;`` separates too); finite numbers only."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"expected comma-separated numbers, got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"expected finite numbers, got {text!r}")
    return values


def parse_numbers(text: str, option: str, count: int) -> list[float]:
    """``count`` numbers, comma-separated (one per input or output of a model)."""
    try:
        values = _numbers(text)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from None
    if len(values) != count:
        noun = "number" if count == 1 else "numbers"
        raise ConfigError(f"{option}: expected {count} {noun}, got {len(values)} in {text!r}")
    return values


def _whole_number(text: str, least: int, unit: str = "") -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise ValueError(f"expected at least {least}{unit}, got {value}")
    return value


def whole_number(least: int) -> Callable[[str], int]:
    """A parser of whole numbers of at least ``least``."""
    return option_parser(lambda text: _whole_number(text, least))


def _real(text: str) -> float:
    """``float(text)``; NaN, which every range below refuses, for what is not a number."""
    try:
        return float(text)
    except ValueError:
        return math.nan


@option_parser
def positive_number(text: str) -> float:
    """A finite number > 0 (a learning rate)."""
    value = _real(text)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"expected a positive number, got {text!r}")
    return value


@option_parser
def non_negative_number(text: str) -> float:
    """A finite number ≥ 0 (a penalty's weight)."""
    value = _real(text)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"expected a number ≥ 0, got {text!r}")
    return value


@option_parser
def column_names(text: str) -> tuple[str, ...]:
    """``"a, b"`` → ``('a', 'b')``: CSV column names, comma-separated."""
    names = tuple(n.strip() for n in str(text).split(","))
    if not all(names):
        raise ValueError(f"expected column names, comma-separated, got {text!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"names a column more than once: {text!r}")
    return names


# --delimiter's words for the characters that are awkward to type in a shell
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|",
              "space": " "}


@option_parser
def delimiter(text: str) -> str:
    """One character, or its name: comma, semicolon, tab (or ``\\t``), pipe, space."""
    char = DELIMITERS.get(str(text).lower(), str(text))
    if len(char) != 1 or char in "\"\r\n":
        raise ValueError(f"expected one character or one of {', '.join(DELIMITERS)}, "
                         f"got {text!r}")
    return char


DELIMITER_HELP = ("What separates a CSV's cells: one character, or comma, semicolon, tab, "
                  "pipe, space.")
DelimiterOpt = Annotated[str, typer.Option("--delimiter", parser=delimiter, metavar="CHAR",
                                           help=DELIMITER_HELP)]


@option_parser
def fraction(text: str) -> float:
    """A fraction in [0, 1) (of the examples held out)."""
    value = _real(text)
    if not 0 <= value < 1:
        raise ValueError(f"expected a fraction in [0, 1), e.g. 0.1, got {text!r}")
    return value


@option_parser
def layer_sizes(text: str) -> tuple[int, ...]:
    """``"6,7"`` → ``(6, 7)``; ``"none"`` → no hidden layer."""
    if text.strip().lower() in ("", "none", "-"):
        return ()
    try:
        sizes = tuple(int(p) for p in text.replace(" ", "").split(","))
    except ValueError:
        raise ValueError(f"expected layer sizes such as 6,7 (or 'none'), got {text!r}") \
            from None
    if min(sizes) < 1:
        raise ValueError(f"every hidden layer needs at least one neuron, got {text!r} "
                         "('none' for no hidden layer)")
    return sizes


FULL_BATCH = "full"  # --batch-size full: every example in each step


@option_parser
def batch_size(text: str) -> int | str:
    """A whole number ≥ 1, or :data:`FULL_BATCH` for ``full`` (or ``all``, ``none``)."""
    if text.strip().lower() in ("full", "all", "none"):
        return FULL_BATCH
    try:
        size = int(text)
    except ValueError:
        raise ValueError(f"expected a whole number or 'full', got {text!r}") from None
    if size < 1:
        raise ValueError(f"expected at least 1 example per step (or 'full'), got {size}")
    return size


def library_name(lookup: Callable[[str], object]) -> Callable[[str], str]:
    """A parser of names that the library's ``lookup`` (its registry) must know.

    The registry is the one list of names (aliases such as 'sigmoid' included), and
    its error lists them.
    """

    @option_parser
    def parse(name: str) -> str:
        lookup(name)
        return name

    return parse


def _pair(text: str) -> tuple[float, float]:
    values = _numbers(text)
    if len(values) != 2:
        raise ValueError(f"expected 2 numbers, got {len(values)} in {text!r}")
    return values[0], values[1]


number_pair = option_parser(_pair)  # "X,Y" → (X, Y)


@option_parser
def ascending_pair(text: str) -> tuple[float, float]:
    """``"LOW,HIGH"`` with LOW < HIGH, and HIGH − LOW a finite float64."""
    low, high = _pair(text)
    if not low < high:
        raise ValueError(f"expected LOW,HIGH with LOW < HIGH, got {text!r}")
    if not math.isfinite(high - low):  # the grid's spacing could not be computed
        raise ValueError(f"{text!r} spans more than the largest float64 "
                         f"({sys.float_info.max:.4g}); choose a narrower range")
    return low, high


@option_parser
def grid_points(text: str) -> int:
    """Points per axis of a cost grid: at least 2, and a grid that fits
    :data:`MAX_GRID_BYTES`."""
    n = _whole_number(text, 2, " points")
    most = math.isqrt(MAX_GRID_BYTES // 8)
    if n > most:
        size = n * n * 8
        raise ValueError(f"{n} points per axis make a {n}×{n} grid "
                         f"({size / 2**30:.3g} GiB of float64); at most {most}")
    return n


def file_name(*suffixes: str) -> Callable[[str], Path]:
    """A parser of output file names ending in one of ``suffixes`` (any case)."""
    wanted = " or ".join(suffixes)
    article = "an" if suffixes[0][1] in "aeiou" else "a"

    @option_parser
    def parse(text: str) -> Path:
        path = Path(text)
        if path.suffix.lower() not in suffixes:
            raise ValueError(f"expected {article} {wanted} file name, got {path}")
        return path

    return parse


@contextlib.contextmanager
def library_errors_as_options(options: Mapping[str, str]) -> Iterator[None]:
    """The library's ``name: ...`` errors about its arguments, worded for their options.

    ``options`` maps the library's argument names to the command's options, e.g.
    ``{"example": "--example"}``: ``example: expected a row from 0 to 3`` becomes
    ``--example: expected a row from 0 to 3``.
    """
    try:
        yield
    except ConfigError as exc:
        name, sep, reason = str(exc).partition(": ")
        if not sep or name not in options:
            raise
        raise ConfigError(f"{options[name]}: {reason}") from None
