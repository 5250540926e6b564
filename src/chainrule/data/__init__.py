"""Built-in data sets, file readers and preprocessing.

=================  =============================================================
module             what lives there
=================  =============================================================
``dataset``        the :class:`Dataset` record
``generators``     the built-in toy sets (NOT, XOR, the heart, 2-D classes, a wave
                   and a saddle to fit, digits)
``registry``       :data:`DATASETS` and :func:`load_dataset` by name
``csv_files``      CSV files with a header row (read by pandas, checked here)
``arrays``         ``.npy`` (memory-mapped) and ``.npz`` files, never unpickled
``readers``        :func:`load_data`, which picks the reader by suffix
``frames``         pandas tables as float arrays, the first bad cell by name
``source``         where rows came from, to name a cell in messages
``scaling``        :class:`Standardizer`, block by block
``encoding``       class labels as one-hot rows
``splitting``      train / held-out split by index
``lazy``           Dask collections: a function mapped over their blocks, lazily
=================  =============================================================
"""

from . import (
    arrays,
    checks,
    csv_files,
    dataset,
    encoding,
    generators,
    lazy,
    readers,
    registry,
    scaling,
    source,
    splitting,
)
from .arrays import INFLATE_FLOOR, MAX_INFLATE_RATIO, load_array
from .csv_files import (
    csv_header,
    csv_row_numbers,
    csv_source,
    delimiter_hint,
    feature_columns,
    load_csv,
)
from .dataset import Dataset
from .encoding import (
    MAX_AUTO_CLASSES,
    class_targets,
    label_column,
    label_value,
    looks_like_labels,
    one_hot,
    predicted_labels,
)
from .generators import (
    circle,
    digits,
    gaussians,
    heart,
    not_gate,
    saddle,
    spiral,
    wave,
    xor,
    xor_blobs,
)
from .lazy import check_host_arrays, is_lazy, map_rows
from .readers import load_data
from .registry import DATASETS, DatasetInfo, describe_datasets, load_dataset
from .scaling import CHUNK_ROWS, Standardizer, block_rows, check_fits, scale_block, standardized
from .source import Source
from .splitting import split

__all__ = [
    *arrays.__all__,
    *csv_files.__all__,
    *dataset.__all__,
    *encoding.__all__,
    *generators.__all__,
    *lazy.__all__,
    *readers.__all__,
    *registry.__all__,
    *scaling.__all__,
    *splitting.__all__,
    "Source",
]
