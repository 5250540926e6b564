"""Model files: safetensors with JSON metadata, read without unpickling anything."""

from . import model_file, model_metadata
from .model_file import (
    FORMAT,
    FORMAT_VERSION,
    READABLE_VERSIONS,
    ModelInfo,
    StoredModel,
    read_model_file,
    read_model_info,
    save_model,
    temp_prefix,
)
from .model_metadata import MODEL_FIELDS, TRAINING_FIELDS, check_metadata

__all__ = [*model_file.__all__, *model_metadata.__all__]
