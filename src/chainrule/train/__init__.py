"""The training engine, its record and its checkpoints.

``loop`` (:func:`fit`, the entry point), ``trainer`` (the engine), ``history`` (the
record), ``stopping`` (early stopping), ``divergence`` (its detection and rollback),
``batches`` (gathering rows, whole-set passes, :func:`evaluate`), ``metrics`` (R², MAE,
RMSE, a confusion matrix), ``interrupts`` (Ctrl-C between steps) and ``checkpoint`` (the
file format).
"""

from . import (
    batches,
    checkpoint,
    divergence,
    history,
    interrupts,
    loop,
    metrics,
    progress,
    stopping,
    trainer,
)
from .batches import (
    ArrayRows,
    RowReader,
    SparseRows,
    as_arrays,
    as_weights,
    batch_terms,
    evaluate,
    full_pass,
    is_classifier,
    is_row_source,
    n_correct,
    row_width,
    weight_total,
)
from .checkpoint import (
    FORMAT,
    FORMAT_VERSION,
    Checkpoint,
    CheckpointError,
    CheckpointWarning,
    check_compatible,
    checksum,
    data_summary,
    fingerprint,
    fingerprint_rows,
    load_checkpoint,
    load_latest_checkpoint,
    network_config,
    previous_path,
    save_checkpoint,
)
from .divergence import DivergenceGuard
from .history import BLOCK, Column, EpochInfo, History
from .interrupts import deferred_interrupt
from .loop import Checkpointer, fit
from .metrics import ClassScores, ValueScores, class_indices, class_scores, value_scores
from .progress import ProgressBar, in_notebook
from .stopping import EarlyStopping
from .trainer import Trainer, training_config

__all__ = sorted({*batches.__all__, *checkpoint.__all__, *divergence.__all__, *history.__all__,
                  *interrupts.__all__, *loop.__all__, *metrics.__all__, *progress.__all__,
                  *stopping.__all__,
                  *trainer.__all__})
