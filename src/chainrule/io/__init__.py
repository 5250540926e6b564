"""Model files: safetensors with JSON metadata, read without unpickling anything."""

from . import model_file
from .model_file import (
    FORMAT,
    FORMAT_VERSION,
    ModelInfo,
    load_model,
    read_model_info,
    save_model,
    temp_prefix,
)

__all__ = [*model_file.__all__]
