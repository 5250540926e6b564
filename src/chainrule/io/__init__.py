"""Model files: safetensors with JSON metadata, read without unpickling anything."""

from .model_file import (
    FORMAT,
    FORMAT_VERSION,
    ModelInfo,
    load_model,
    read_model_info,
    save_model,
    temp_prefix,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ModelInfo",
    "load_model",
    "read_model_info",
    "save_model",
    "temp_prefix",
]
