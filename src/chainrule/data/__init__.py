"""Built-in data sets, file readers and preprocessing."""

from . import datasets
from .datasets import (
    DATASETS,
    Dataset,
    DatasetInfo,
    Standardizer,
    circle,
    csv_header,
    csv_row_numbers,
    describe_datasets,
    digits,
    gaussians,
    heart,
    load_array,
    load_csv,
    load_data,
    load_dataset,
    not_gate,
    one_hot,
    spiral,
    split,
    xor,
    xor_blobs,
)

__all__ = [*datasets.__all__]
