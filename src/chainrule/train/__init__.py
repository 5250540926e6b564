"""The training loop and its checkpoints."""

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

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Checkpoint",
    "CheckpointError",
    "CheckpointWarning",
    "EpochInfo",
    "History",
    "Trainer",
    "check_compatible",
    "checksum",
    "data_summary",
    "evaluate",
    "fit",
    "load_checkpoint",
    "load_latest_checkpoint",
    "network_config",
    "previous_path",
    "save_checkpoint",
    "training_config",
]
