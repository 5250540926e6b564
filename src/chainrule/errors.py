"""The exceptions chainrule raises.

Every error a user can cause derives from :class:`ChainruleError`; those that
scikit-learn would raise as ``ValueError`` are also ``ValueError`` subclasses so
that code written for scikit-learn keeps catching them.
"""

from __future__ import annotations

__all__ = [
    "ChainruleError",
    "ConfigError",
    "DataError",
    "DivergenceError",
    "ModelFileError",
    "ShapeError",
]


class ChainruleError(Exception):
    """Base class of every error raised by chainrule."""


class ConfigError(ChainruleError, ValueError):
    """A hyperparameter or option has a value that cannot be used (names the argument)."""


class DataError(ChainruleError, ValueError):
    """Input data is malformed: non-numeric, non-finite, empty, or unreadable."""


class ShapeError(DataError):
    """An array has the wrong number of dimensions, features, outputs or examples."""


class ModelFileError(ChainruleError, ValueError):
    """A model or checkpoint file is not a valid chainrule file (names what is wrong)."""


class DivergenceError(ChainruleError, ArithmeticError, ValueError):
    """Training produced a non-finite cost or weight; the last weights with a finite cost are kept.

    Also a ``ValueError``, as scikit-learn's "Solver produced non-finite parameter
    weights" is.

    Attributes
    ----------
    epoch, batch : int
        Where the non-finite value appeared (1-based epoch, 0-based batch).
    kept_epoch : int or None
        The epoch whose end weights the network was given back (0: those before
        training); None where nothing was put back.
    """

    def __init__(self, message: str, *, epoch: int | None = None, batch: int | None = None,
                 kept_epoch: int | None = None):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.kept_epoch = kept_epoch  # the epoch whose end weights were kept (0: the start)
