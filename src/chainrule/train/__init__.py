"""The training loop and its checkpoints."""

from . import checkpoint, loop
from .checkpoint import (
    FORMAT,
    FORMAT_VERSION,
    Checkpoint,
    CheckpointError,
    CheckpointWarning,
    check_compatible,
    checksum,
    data_summary,
    load_checkpoint,
    load_latest_checkpoint,
    network_config,
    previous_path,
    save_checkpoint,
    training_config,
)
from .loop import (
    EpochInfo,
    History,
    Trainer,
    evaluate,
    fit,
)

__all__ = [*checkpoint.__all__, *loop.__all__]
