"""The catalogue of bad inputs: every mistake a user can make, and the answer it must get.

One table, one row per input.  A row names the exact error class and a fragment of its
message for the library call, and the exit code for the ``chainrule`` command, whose
error must be one ``error: ...`` line on stderr carrying the same fragment.  No row may
print a traceback or leave a file behind (no partial output, no temporary file).

The command runs in this process (``chainrule.cli.main``) so that a full disk or a
read-only folder can be simulated by patching ``os.fsync`` / ``os.open``; a sample of
rows is also run as a real subprocess.
"""

from __future__ import annotations

import errno
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import chainrule
from catalogue_hostile import HOSTILE_ROWS, make_hostile_inputs
from catalogue_support import (
    FAILED,
    Row,
    files_snapshot,
    npy,
    npy_header,
    npz,
    train_argv,
    with_metadata,
)
from chainrule import (
    ConfigError,
    DataError,
    DivergenceError,
    ModelFileError,
    Network,
    ShapeError,
)
from chainrule.cli import main
from chainrule.data import load_csv, load_data, load_dataset, one_hot
from chainrule.io import read_model_file, read_model_info, save_model
from chainrule.nn import explain
from chainrule.train.checkpoint import CheckpointError, load_checkpoint
from chainrule.train.loop import fit

GOOD_CSV = "x1,x2,label\n0.5,1,0\n1.5,2,1\n2.5,0,1\n0.1,0.2,0\n"

INPUT_FILES: dict[str, str | bytes] = {
    "good.csv": GOOD_CSV,
    "empty.csv": "",
    "header_only.csv": "x1,x2,label\n",
    "ragged.csv": "x1,x2,label\n0.5,1,0\n1.5,2\n",
    "text_cell.csv": "x1,x2,label\n0.5,abc,0\n1.5,2,1\n",
    "empty_cell.csv": "x1,x2,label\n0.5,,0\n1.5,2,1\n",
    "nan.csv": "x1,x2,label\n0.5,nan,0\n1.5,2,1\n",
    "inf.csv": "x1,x2,label\n0.5,1,0\n1.5,inf,1\n",
    "repeated.csv": "x1,x1,label\n0.5,1,0\n1.5,2,1\n",
    "no_header.csv": "0.5,1,0\n1.5,2,1\n",
    "one_class.csv": "x1,x2,label\n0.5,1,0\n1.5,2,0\n2.5,3,0\n",
    "new_class.csv": "x1,x2,label\n0.5,1,0\n1.5,2,7\n",
    "narrow.csv": "x1\n0.5\n1.5\n",
    "binary.csv": b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe",
    "huge.csv": "x1,x2,label\n0.5,1,0\n1e300,2,1\n",
    "data.txt": "x1,x2,label\n0.5,1,0\n",
    "notes.safetensors": "this is not a model\n",
    "big_target.csv": "x1,x2,y\n0.5,1,0.25\n1.5,2,1e39\n",
    "semicolons.csv": "x1;x2;label\n0.5;1;0\n1.5;2;1\n",
    "vast_target.csv": "x1,x2,y\n0.5,1,1e200\n1.5,2,-1e200\n",
}


def _object_array() -> np.ndarray:
    A = np.empty(2, dtype=object)
    A[:] = [{"a": 1}, [2]]
    return A


INPUT_FILES.update({
    "cube.npy": npy(np.zeros((2, 2, 2))),
    "objects.npy": npy(_object_array(), allow_pickle=True),
    "nan.npy": npy(np.array([[1.0, np.nan]])),
    "no_x.npz": npz(features=np.zeros((3, 2))),
    "rows_differ.npz": npz(X=np.zeros((3, 2)), y=np.zeros((4, 1))),
    "xy.npz": npz(X=np.eye(3, 2), y=np.arange(3.0)),
    "table.npy": npy(np.eye(4, 3)),
    "features.npy": npy(np.eye(4, 2)),  # the model's 2 features, no target column
    "impossible.npy": npy_header((2**64, 0)),  # a shape no array has (beside a 0)
    "float128.npy": npy(np.ones((3, 3), dtype=np.longdouble)),
    "pickle.safetensors": pickle.dumps({"W1": [[1.0]]}),
})


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Input files, a trained model and a checkpoint; rows must not change this folder."""
    folder = tmp_path_factory.mktemp("inputs")
    for name, content in INPUT_FILES.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    (folder / "a_folder.csv").mkdir()
    (folder / "model.npz").write_bytes(npz(W1=np.ones((2, 2))))
    assert main(["train", str(folder / "good.csv"), "--hidden", "3", "--epochs", "3",
                 "--quiet", "--out", str(folder / "model.safetensors"),
                 "--checkpoint", str(folder / "run.ckpt")]) == 0
    model = folder / "model.safetensors"
    (folder / "truncated.safetensors").write_bytes(model.read_bytes()[:100])
    with_metadata(model, folder / "classes_7.safetensors", classes=7)
    with_metadata(model, folder / "surrogate.safetensors", feature_names=["x1", "\ud800"])
    with_metadata(model, folder / "cost_text.safetensors", training={"final_cost": "low"})
    with_metadata(model, folder / "narrow_scaling.safetensors",
                  standardizer={"mean": [0.0], "scale": [1.0]})
    with_metadata(model, folder / "features_5.safetensors", feature_names=5)
    with_metadata(model, folder / "one_class.safetensors", classes=[0])
    make_hostile_inputs(folder)
    return folder


def _fit(**kwargs: object) -> Callable[[Path, Path], object]:
    def call(i: Path, o: Path) -> object:
        X, y, _, _ = load_csv(i / "good.csv")
        options = {"epochs": 2, **kwargs}
        return fit(Network([2, 3, 1], "tanh"), X, y, **options)
    return call


def _fit_vast(i: Path, o: Path) -> object:
    X, y, _, _ = load_csv(i / "vast_target.csv")
    return fit(Network([2, 3, 1], "tanh", "identity"), X, y, epochs=2)


def _network(*args: object, **kwargs: object) -> Callable[[Path, Path], object]:
    return lambda i, o: Network(*args, **kwargs)


def _hostile_metadata(model: str, fragment: str, load: Callable[[Path], object],
                      command: str) -> Row:
    """A model file ``INPUTS/model.safetensors`` whose metadata is hostile: ``load`` it in the
    library, and give it to ``command`` (on good.csv, except for info)."""
    path = f"{model}.safetensors"
    data = [] if command == "info" else ["good.csv"]
    return Row(ModelFileError, fragment, lambda i, o: load(i / path),
               lambda i, o: [command, *(str(i / f) for f in (path, *data))])


def _save_model(i: Path, o: Path) -> object:
    return save_model(o / "ro" / "m.safetensors", Network([2, 3, 1], "tanh", random_state=0))


def _fit_with_checkpoint(i: Path, o: Path) -> object:
    X, y, _, _ = load_csv(i / "good.csv")
    return fit(Network([2, 3, 1], "tanh"), X, y, epochs=2, checkpoint=o / "ro" / "run.ckpt")


ROWS: dict[str, Row] = {
    # -- data files ---------------------------------------------------------------
    "missing file": Row(DataError, "missing.csv: no such file",
                        lambda i, o: load_data(i / "missing.csv"), train_argv("missing.csv")),
    "folder instead of file": Row(DataError, "is a directory",
                                  lambda i, o: load_data(i / "a_folder.csv"),
                                  train_argv("a_folder.csv")),
    "empty CSV": Row(DataError, "empty.csv: is empty",
                     lambda i, o: load_csv(i / "empty.csv"), train_argv("empty.csv")),
    "header only": Row(DataError, "has a header (row 1) but no data rows",
                       lambda i, o: load_csv(i / "header_only.csv"), train_argv("header_only.csv")),
    "ragged rows": Row(DataError, "row 3 has 2 cells but the header has 3",
                       lambda i, o: load_csv(i / "ragged.csv"), train_argv("ragged.csv")),
    "non-numeric cell": Row(DataError, "row 2, column 'x2': cannot read 'abc' as a number",
                            lambda i, o: load_csv(i / "text_cell.csv"),
                            train_argv("text_cell.csv")),
    "empty cell": Row(DataError, "row 2, column 'x2': empty cell",
                      lambda i, o: load_csv(i / "empty_cell.csv"), train_argv("empty_cell.csv")),
    "NaN cell": Row(DataError, "row 2, column 'x2': NaN is not allowed",
                    lambda i, o: load_csv(i / "nan.csv"), train_argv("nan.csv")),
    "inf cell": Row(DataError, "row 3, column 'x2': infinity is not allowed",
                    lambda i, o: load_csv(i / "inf.csv"), train_argv("inf.csv")),
    "repeated column name": Row(DataError, "column name 'x1' appears more than once",
                                lambda i, o: load_csv(i / "repeated.csv"),
                                train_argv("repeated.csv")),
    "no header row": Row(DataError, "must be a header of column names",
                         lambda i, o: load_csv(i / "no_header.csv"), train_argv("no_header.csv")),
    "unknown target column": Row(DataError, "no column named 'nope' for the target",
                                 lambda i, o: load_csv(i / "good.csv", target="nope"),
                                 train_argv("good.csv", "--target", "nope")),
    "binary file as CSV": Row(DataError, "is not UTF-8 text",
                              lambda i, o: load_csv(i / "binary.csv"), train_argv("binary.csv")),
    "unknown file type": Row(DataError, "unknown file type '.txt'",
                             lambda i, o: load_data(i / "data.txt"), train_argv("data.txt")),
    "3-D array": Row(ShapeError, "expected a 1-D or 2-D array",
                     lambda i, o: load_data(i / "cube.npy"), train_argv("cube.npy")),
    "object array": Row(DataError, "holds Python objects",
                        lambda i, o: load_data(i / "objects.npy"), train_argv("objects.npy")),
    "NaN in .npy": Row(DataError, "NaN", lambda i, o: load_data(i / "nan.npy"),
                       train_argv("nan.npy")),
    ".npy header with an impossible shape": Row(
        DataError, "declares an impossible shape", lambda i, o: load_data(i / "impossible.npy"),
        train_argv("impossible.npy")),
    "float128 .npy": Row(DataError, "holds float128 numbers, wider than float64",
                         lambda i, o: load_data(i / "float128.npy"), train_argv("float128.npy")),
    ".npz without X": Row(DataError, "has no array 'X' for the features",
                          lambda i, o: load_data(i / "no_x.npz"), train_argv("no_x.npz")),
    ".npz X and y rows differ": Row(ShapeError, "'y' has 4 rows but 'X' has 3",
                                    lambda i, o: load_data(i / "rows_differ.npz"),
                                    train_argv("rows_differ.npz")),
    # -- classes ------------------------------------------------------------------
    # A softmax over one output is 1 whatever the input: one class, nothing to learn.
    "one class only": Row(ConfigError, "softmax",
                          _network([2, 3, 1], "tanh", "softmax", cost="cross_entropy"),
                          train_argv("one_class.csv", "--task", "classification"),
                          cli_fragment="the target has only one class (0)"),
    "more classes at predict than at train": Row(
        DataError, "has label 7, which is not one of the classes [0, 1]",
        lambda i, o: one_hot([0, 7], classes=[0, 1]),
        lambda i, o: ["evaluate", str(i / "model.safetensors"), str(i / "new_class.csv")],
        cli_fragment="new_class.csv: row 3, column 'label': label 7 is not one of the model's "
                     "classes [0, 1]"),
    # -- outputs that would destroy an input -------------------------------------------
    "train --out is the data file": Row(
        ConfigError, "good.csv is the data file; writing there would overwrite it", None,
        lambda i, o: ["train", str(i / "good.csv"), "--quiet", "--out", str(i / "good.csv")]),
    "train --out is the checkpoint": Row(
        ConfigError, "run.ckpt is the --checkpoint file; writing there would overwrite it",
        None, lambda i, o: ["train", str(i / "good.csv"), "--quiet", "--checkpoint",
                            str(o / "run.ckpt"), "--out", str(o / "run.ckpt")]),
    "predict --out is the data file": Row(
        ConfigError, "good.csv is the data file; writing there would overwrite it", None,
        lambda i, o: ["predict", str(i / "model.safetensors"), str(i / "good.csv"),
                      "--target", "label", "--out", str(i / "good.csv")]),
    "wrong feature count at predict": Row(
        ShapeError, "expected",
        lambda i, o: read_model_file(i / "model.safetensors")[0].predict(np.ones((2, 3))),
        lambda i, o: ["predict", str(i / "model.safetensors"), str(i / "narrow.csv")],
        cli_fragment="has no column 'x2'; the model's inputs are 'x1', 'x2' and the file's "
                     "columns 'x1'"),
    "--target names an input at evaluate": Row(
        ConfigError, "--target: 'x1' is one of the model's inputs ('x1', 'x2')", None,
        lambda i, o: ["evaluate", str(i / "model.safetensors"), str(i / "good.csv"),
                      "--target", "x1"]),
    "explain --latex is the model file": Row(
        ConfigError, "model.safetensors is the model file; writing there would overwrite it",
        None, lambda i, o: ["explain", str(i / "model.safetensors"), "--x", "1,2", "--y", "0",
                            "--latex", str(i / "model.safetensors")]),
    "explain --latex is the --data file": Row(
        ConfigError, "good.csv is the --data file; writing there would overwrite it", None,
        lambda i, o: ["explain", str(i / "model.safetensors"), "--data", str(i / "good.csv"),
                      "--latex", str(i / "good.csv")]),
    "train --plot would overwrite the --out model": Row(
        ConfigError, "fit.png is the --out model file; writing there would overwrite it", None,
        lambda i, o: ["train", str(i / "good.csv"), "--quiet", "--out", str(o / "p" / "fit.png"),
                      "--plot", str(o / "p")]),
    "train --plot would overwrite the --checkpoint": Row(
        ConfigError, "cost_curve.png is the --checkpoint file", None,
        lambda i, o: ["train", str(i / "good.csv"), "--quiet", "--out", str(o / "m.safetensors"),
                      "--checkpoint", str(o / "cost_curve.png"), "--plot", str(o)]),
    "export --onnx is the model file": Row(
        ConfigError, "m.onnx is the model file; writing there would overwrite it", None,
        lambda i, o: ["export", str(i / "m.onnx"), "--onnx", str(i / "m.onnx")]),
    "landscape --out is the --model file": Row(
        ConfigError, "m.png is the --model file", None,
        lambda i, o: ["landscape", "--model", str(i / "m.png"), "--out", str(i / "m.png")]),
    # -- failing commands make no output folder ---------------------------------------
    "predict a missing model, --out in new folders": Row(
        ModelFileError, "no such file", lambda i, o: read_model_file(i / "missing.safetensors"),
        lambda i, o: ["predict", str(i / "missing.safetensors"), str(i / "good.csv"), "--out",
                      str(o / "new" / "sub" / "p.csv")]),
    "predict --out refused, in new folders": Row(
        ConfigError, "good.csv is the data file", None,
        lambda i, o: ["predict", str(i / "model.safetensors"), str(i / "good.csv"), "--out",
                      str(o / "new" / ".." / ".." / i.name / "good.csv")]),
    "train bad data, --out, --plot and --checkpoint in new folders": Row(
        DataError, "row 2, column 'x2': cannot read 'abc' as a number",
        lambda i, o: load_csv(i / "text_cell.csv"),
        lambda i, o: ["train", str(i / "text_cell.csv"), "--quiet", "--out",
                      str(o / "new" / "m.safetensors"), "--plot", str(o / "new" / "plots"),
                      "--checkpoint", str(o / "new" / "ck" / "run.ckpt")]),
    "landscape a missing model, --out in new folders": Row(
        ModelFileError, "no such file", lambda i, o: read_model_file(i / "missing.safetensors"),
        lambda i, o: ["landscape", "--model", str(i / "missing.safetensors"), "--out",
                      str(o / "new" / "sub" / "l.png")]),
    "explain a bad --y, --latex in new folders": Row(
        ConfigError, "--y: '9' is not a class of this model", None,
        lambda i, o: ["explain", str(i / "model.safetensors"), "--x", "1,2", "--y", "9",
                      "--latex", str(o / "new" / "sub" / "chain.tex")]),
    "export a missing model, --onnx in new folders": Row(
        ModelFileError, "no such file", lambda i, o: read_model_file(i / "missing.safetensors"),
        lambda i, o: ["export", str(i / "missing.safetensors"), "--onnx",
                      str(o / "new" / "sub" / "m.onnx")]),
    # -- targets -------------------------------------------------------------------
    "the .npz feature array as its own --target": Row(
        ConfigError, "'X' is the feature array of", lambda i, o: load_data(i / "xy.npz",
                                                                           target="X"),
        train_argv("xy.npz", "--target", "X"), cli_fragment="--target: 'X' is the feature array"),
    "a column number as the --target of a .npy": Row(
        ConfigError, "target: for a .npy file", lambda i, o: load_data(i / "table.npy",
                                                                       target="2"),
        train_argv("table.npy", "--target", "2"),
        cli_fragment="--target: a .npy file has no column names; give 'last'"),
    "evaluate a .npy without a target column, no --target": Row(
        ShapeError, "its last column was taken as the target", None,
        lambda i, o: ["evaluate", str(i / "model.safetensors"), str(i / "features.npy")],
        cli_fragment="its last column was taken as the target (a .npy holds the targets in "
                     "its last column), leaving 1 feature columns; the model takes 2"),
    "a target value too large for float32": Row(
        DataError, "does not fit float32",
        lambda i, o: fit(Network([2, 3, 1], "tanh", dtype="float32"),
                         *load_csv(i / "big_target.csv")[:2], epochs=1),
        train_argv("big_target.csv", "--dtype", "float32"),
        cli_fragment="big_target.csv: row 3, column 'y': 1e+39 does not fit float32"),
    # -- landscape's parameters and ranges ------------------------------------------------
    "landscape --param-x out of range": Row(
        ConfigError, "W1[0,5] column 5 is out of range",
        lambda i, o: Network([1, 1]).flat_index("W1[0,5]"),
        lambda i, o: ["landscape", "--param-x", "W1[0,5]", "--out", str(o / "l.png")],
        cli_fragment="--param-x: W1[0,5] column 5 is out of range"),
    "landscape --param-x the same as --param-y": Row(
        ConfigError, "must differ", None,
        lambda i, o: ["landscape", "--param-x", "b1[0]", "--out", str(o / "l.png")],
        cli_fragment="--param-y: must differ from --param-x (both name b1[0])"),
    "landscape --x-range wider than float64": Row(
        ConfigError, "Invalid value for '--x-range': '-1e308,1e308' spans more than the largest "
        "float64", None,
        lambda i, o: ["landscape", "--x-range", "-1e308,1e308", "--out", str(o / "l.png")]),
    "landscape --y-range too narrow for its points": Row(
        ConfigError, "--y-range: 201 grid points between 1.0 and 1.00000000000001 are too "
        "close to tell apart", None,
        lambda i, o: ["landscape", "--y-range", "1,1.00000000000001", "--out",
                      str(o / "l.png")]),
    "explain --example beyond the data": Row(
        ConfigError, "example: expected a row from 0 to 3, got 9",
        lambda i, o: explain(Network([2, 3, 1], "tanh"), *load_csv(i / "good.csv")[:2],
                             "W1[0,0]", example=9),
        lambda i, o: ["explain", str(i / "model.safetensors"), "--data", str(i / "good.csv"),
                      "--example", "9"],
        cli_fragment="--example: expected a row from 0 to 3, got 9"),
    # -- options -------------------------------------------------------------------
    "epochs 0": Row(ConfigError, "epochs", _fit(epochs=0), train_argv("good.csv", "--epochs", "0"),
                    cli_fragment="Invalid value for '--epochs': expected at least 1, got 0"),
    "epochs -1": Row(ConfigError, "epochs", _fit(epochs=-1),
                     train_argv("good.csv", "--epochs", "-1"),
                     cli_fragment="Invalid value for '--epochs': expected at least 1, got -1"),
    "batch size 0": Row(ConfigError, "batch_size: expected a positive integer", _fit(batch_size=0),
                        train_argv("good.csv", "--batch-size", "0"),
                        cli_fragment="Invalid value for '--batch-size': expected at least 1 "
                                     "example per step"),
    "learning rate NaN": Row(ConfigError, "learning_rate", _fit(learning_rate=float("nan")),
                             train_argv("good.csv", "--lr", "nan"),
                             cli_fragment="Invalid value for '--lr': expected a positive "
                                          "number, got 'nan'"),
    "learning rate negative": Row(ConfigError, "learning_rate", _fit(learning_rate=-1.0),
                                  train_argv("good.csv", "--lr", "-1"),
                                  cli_fragment="Invalid value for '--lr': expected a positive "
                                               "number, got '-1'"),
    "hidden size 0": Row(ConfigError, "every layer needs at least one neuron",
                         _network([2, 0, 1]), train_argv("good.csv", "--hidden", "0"),
                         cli_fragment="Invalid value for '--hidden': every hidden layer needs "
                                      "at least one neuron"),
    "hidden sizes not numbers": Row(ConfigError, "layer_sizes", _network([2, "x", 1]),
                                    train_argv("good.csv", "--hidden", "3,x"),
                                    cli_fragment="Invalid value for '--hidden': expected layer "
                                                 "sizes such as 6,7"),
    "unknown optimiser": Row(ConfigError, "optimizer: expected one of", _fit(optimizer="rmsprop"),
                             train_argv("good.csv", "--optimizer", "rmsprop"),
                             cli_fragment="Invalid value for '--optimizer': expected one of"),
    "unknown activation": Row(ConfigError, "activation: unknown name 'nope'",
                              _network([2, 3, 1], "nope"),
                              train_argv("good.csv", "--activation", "nope"),
                              cli_fragment="Invalid value for '--activation': unknown name "
                                           "'nope'"),
    "unknown cost": Row(ConfigError, "cost: unknown name 'hinge'",
                        _network([2, 3, 1], cost="hinge"),
                        train_argv("good.csv", "--cost", "hinge"),
                        cli_fragment="Invalid value for '--cost': unknown name 'hinge'"),
    "cost and output do not match": Row(
        ConfigError, "needs a softmax output layer",
        _network([2, 3, 2], "tanh", "tanh", cost="cross_entropy"),
        train_argv("good.csv", "--cost", "cross_entropy", "--output-activation", "tanh")),
    "negative seed": Row(ConfigError, "random_state: expected None, an integer >= 0",
                         _network([2, 3, 1], random_state=-1),
                         train_argv("good.csv", "--seed", "-1"),
                         cli_fragment="Invalid value for '--seed': expected at least 0, "
                                      "got -1"),
    "value too large for float32": Row(
        DataError, "does not fit float32",
        lambda i, o: Network([2, 3, 1], dtype="float32").predict([[1e300, 2.0]]),
        train_argv("huge.csv", "--dtype", "float32", "--no-standardize"),
        cli_fragment="huge.csv: row 3, column 'x1': 1e+300 does not fit float32"),
    "validation fraction 1.5": Row(ConfigError, "validation_split", _fit(validation_split=1.5),
                                   train_argv("good.csv", "--validation", "1.5"),
                                   cli_fragment="Invalid value for '--validation': expected a "
                                                "fraction in [0, 1)"),
    "unknown dataset": Row(ConfigError, "unknown name 'nope'",
                           lambda i, o: load_dataset("nope"),
                           lambda i, o: ["train", "--dataset", "nope", "--quiet"]),
    # -- a CSV's layout and the engine's options --------------------------------------
    "--features names no column": Row(
        DataError, "good.csv: no column named 'nope' (features)",
        lambda i, o: load_csv(i / "good.csv", features=["nope"]),
        train_argv("good.csv", "--features", "x1,nope"),
        cli_fragment="good.csv: no column named 'nope' (--features)"),
    "--ignore names the target": Row(
        ConfigError, "ignore: 'label' is the target; a column cannot be both",
        lambda i, o: load_csv(i / "good.csv", ignore=["label"]),
        train_argv("good.csv", "--ignore", "label"),
        cli_fragment="--ignore: 'label' is the target; a column cannot be both"),
    "--features for a .npy": Row(
        ConfigError, "--features: only for a CSV file (table.npy is not a CSV", None,
        train_argv("table.npy", "--target", "last", "--features", "x1")),
    "a file separated by semicolons, read with commas": Row(
        DataError, "every column is a target ('x1;x2;label')",
        lambda i, o: load_csv(i / "semicolons.csv"), train_argv("semicolons.csv"),
        cli_fragment="is the file separated by ';'? pass --delimiter ';'"),
    "--delimiter of two characters": Row(
        ConfigError, "delimiter: expected one character",
        lambda i, o: load_csv(i / "semicolons.csv", delimiter=";;"),
        train_argv("semicolons.csv", "--delimiter", ";;"),
        cli_fragment="Invalid value for '--delimiter': expected one character or one of "
                     "comma, semicolon, tab"),
    "--task that is no task": Row(
        ConfigError, "Invalid value for '--task': expected auto, classify or regress, got "
        "'guess'", None, train_argv("good.csv", "--task", "guess")),
    "negative L2 penalty": Row(ConfigError, "l2: expected a finite number >= 0",
                               _fit(l2=-1.0), train_argv("good.csv", "--l2", "-1"),
                               cli_fragment="Invalid value for '--l2': expected a number ≥ 0"),
    "unknown schedule": Row(ConfigError, "schedule: expected one of constant, invscaling",
                            _fit(schedule="cosine"),
                            train_argv("good.csv", "--schedule", "cosine"),
                            cli_fragment="Invalid value for '--schedule': expected one of "
                                         "constant, invscaling"),
    "patience 0": Row(ConfigError, "patience: expected a positive integer, got 0",
                      _fit(patience=0, early_stopping=True),
                      train_argv("good.csv", "--early-stopping", "--patience", "0"),
                      cli_fragment="Invalid value for '--patience': expected at least 1, got 0"),
    "targets too large for the cost at the start": Row(
        DivergenceError, "not even the cost at the starting weights is finite: the data's "
        "values are too large for it", _fit_vast, train_argv("vast_target.csv"), code=FAILED),
    # -- output files ----------------------------------------------------------------
    # The library needs the folder; the command creates it, unless a file is in the way.
    "output folder missing": Row(ModelFileError, "does not exist",
                                 lambda i, o: save_model(o / "no" / "m.safetensors",
                                                         Network([2, 1])),
                                 lambda i, o: ["train", str(i / "good.csv"), "--quiet", "--out",
                                               str(i / "good.csv" / "m.safetensors")],
                                 cli_fragment="--out: cannot create folder"),
    "train --out unwritable, refused before the data is read": Row(
        ConfigError, "--out: cannot create folder", None,
        lambda i, o: ["train", str(i / "text_cell.csv"), "--quiet", "--out",
                      str(i / "good.csv" / "m.safetensors")]),
    "output folder read-only": Row(ModelFileError, "permission denied", _save_model,
                                   lambda i, o: ["train", str(i / "good.csv"), "--quiet", "--out",
                                                 str(o / "ro" / "m.safetensors")],
                                   fault="read_only",
                                   cli_fragment="--out: cannot write to folder"),
    "disk full while saving the model": Row(ModelFileError, "no space left on device",
                                            _save_model, train_argv("good.csv"), code=FAILED,
                                            fault="disk_full"),
    "disk full while checkpointing": Row(
        CheckpointError, "no space left on device", _fit_with_checkpoint,
        train_argv("good.csv", "--checkpoint", "{out}/run.ckpt"), code=FAILED, fault="disk_full"),
    "checkpoint folder read-only": Row(CheckpointError, "permission denied",
                                       _fit_with_checkpoint,
                                       train_argv("good.csv", "--checkpoint",
                                              "{out}/ro/run.ckpt"),
                                       fault="read_only",
                                       cli_fragment="--checkpoint: cannot write to folder"),
    # -- model and checkpoint files -------------------------------------------------
    "model file missing": Row(ModelFileError, "no such file",
                              lambda i, o: read_model_file(i / "missing.safetensors"),
                              lambda i, o: ["predict", str(i / "missing.safetensors"),
                                            str(i / "good.csv")]),
    "model path is a folder": Row(ModelFileError, "is a folder",
                                  lambda i, o: read_model_info(i / "a_folder.csv"),
                                  lambda i, o: ["info", str(i / "a_folder.csv")]),
    "model file is text": Row(ModelFileError, "looks like a text file",
                              lambda i, o: read_model_file(i / "notes.safetensors"),
                              lambda i, o: ["info", str(i / "notes.safetensors")]),
    "model file is a CSV": Row(ModelFileError, "looks like a text file",
                               lambda i, o: read_model_file(i / "good.csv"),
                               lambda i, o: ["predict", str(i / "good.csv"),
                                             str(i / "good.csv")]),
    "model file is a .npz": Row(ModelFileError, "looks like a zip archive",
                                lambda i, o: read_model_file(i / "model.npz"),
                                lambda i, o: ["evaluate", str(i / "model.npz"),
                                              str(i / "good.csv")]),
    "model file is a pickle": Row(ModelFileError, "looks like a pickle file",
                                  lambda i, o: read_model_file(i / "pickle.safetensors"),
                                  lambda i, o: ["info", str(i / "pickle.safetensors")]),
    "model file truncated": Row(ModelFileError, "truncated.safetensors",
                                lambda i, o: read_model_file(i / "truncated.safetensors"),
                                lambda i, o: ["info", str(i / "truncated.safetensors")]),
    "hostile metadata: classes is 7": _hostile_metadata(
        "classes_7", "classes_7.safetensors: metadata field 'classes' must list 2 classes",
        chainrule.load_model, "predict"),
    "hostile metadata: a lone surrogate in a feature name": _hostile_metadata(
        "surrogate", "metadata field 'feature_names[1]' holds a character that is not valid",
        read_model_info, "info"),
    "hostile metadata: feature_names is 5": _hostile_metadata(
        "features_5", "metadata field 'feature_names' must list 2 name(s), got 5",
        chainrule.load_model, "predict"),
    "hostile metadata: fewer classes than outputs": _hostile_metadata(
        "one_class", "metadata field 'classes' must list 2 classes for 2 outputs",
        read_model_info, "evaluate"),
    "hostile metadata: a training cost that is text": _hostile_metadata(
        "cost_text", "metadata field 'training.final_cost' must be a number, got 'low'",
        read_model_file, "info"),
    "hostile metadata: a scaling of the wrong width": _hostile_metadata(
        "narrow_scaling", "metadata field 'standardizer.mean' must list one number per input (2)",
        chainrule.load_model, "evaluate"),
    "checkpoint is a model file": Row(
        CheckpointError, "format is 'chainrule-model'",
        lambda i, o: load_checkpoint(i / "model.safetensors"),
        train_argv("good.csv", "--hidden", "3", "--checkpoint", "{inputs}/model.safetensors",
               "--resume")),
    "checkpoint would overwrite a model": Row(
        ConfigError, "is not a chainrule checkpoint; refusing to overwrite",
        lambda i, o: fit(Network([2, 3, 1], "tanh"), *load_csv(i / "good.csv")[:2], epochs=1,
                         checkpoint=i / "model.safetensors"),
        train_argv("good.csv", "--checkpoint", "{inputs}/model.safetensors")),
    "resume with another architecture": Row(
        ConfigError, "layer_sizes [2, 3, 2], this network has [2, 5, 2]",
        lambda i, o: fit(Network([2, 5, 2], "tanh", cost="cross_entropy"),
                         *_one_hot_good(i), epochs=4, batch_size=200, random_state=0,
                         checkpoint=i / "run.ckpt", resume=True),
        train_argv("good.csv", "--hidden", "5", "--checkpoint", "{inputs}/run.ckpt", "--resume")),
    "resume without a checkpoint path": Row(
        ConfigError, "resume: needs checkpoint", lambda i, o: _fit_resume_without_path(i),
        train_argv("good.csv", "--resume"), cli_fragment="--resume: needs --checkpoint PATH"),
    "checkpoint with L-BFGS": Row(
        ConfigError, "not supported with optimizer='lbfgs'",
        lambda i, o: fit(Network([2, 3, 1], "tanh"), *load_csv(i / "good.csv")[:2], epochs=1,
                         optimizer="lbfgs", checkpoint=o / "run.ckpt"),
        train_argv("good.csv", "--optimizer", "lbfgs", "--checkpoint", "{out}/run.ckpt"),
        cli_fragment="--checkpoint: not with --optimizer lbfgs"),
    **HOSTILE_ROWS,
}


def _one_hot_good(i: Path) -> tuple[np.ndarray, np.ndarray]:
    X, y, _, _ = load_csv(i / "good.csv")
    return X, one_hot(y)[0]


def _fit_resume_without_path(i: Path) -> object:
    X, y, _, _ = load_csv(i / "good.csv")
    return fit(Network([2, 3, 1], "tanh"), X, y, epochs=1, resume=True)


def test_the_catalogue_is_large_enough():
    assert len(ROWS) >= 40
    assert sum(r.cli is not None for r in ROWS.values()) >= 40


@pytest.fixture
def fault(monkeypatch):
    """Simulate a full disk (fsync fails), the limit on file size reached (ulimit -f: a write
    fails with EFBIG) or a read-only folder (creating files there fails)."""

    def apply(kind: str | None, folder: Path) -> None:
        if kind in ("disk_full", "file_too_large"):
            error = (errno.ENOSPC, "No space left on device") if kind == "disk_full" \
                else (errno.EFBIG, "File too large")

            def fsync(fd: int) -> None:
                raise OSError(*error)
            monkeypatch.setattr(os, "fsync", fsync)
        elif kind == "read_only":
            real_open = os.open

            tmpfile = getattr(os, "O_TMPFILE", 0)  # an unnamed file in the folder itself

            def open_(path, flags, *args, **kwargs):
                creates = (flags & os.O_CREAT and Path(path).parent == folder) or (
                    tmpfile and flags & tmpfile == tmpfile and Path(path) == folder)
                if creates:
                    raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
                return real_open(path, flags, *args, **kwargs)
            monkeypatch.setattr(os, "open", open_)

    return apply


def _argv(row: Row, inputs: Path, out: Path) -> list[str]:
    assert row.cli is not None
    return [a.format(inputs=inputs, out=out) for a in row.cli(inputs, out)]


LIBRARY_ROWS = [n for n, r in ROWS.items() if r.lib is not None]


def test_the_catalogue_is_large_and_nearly_every_row_has_a_library_call():
    # only mistakes that exist on the command line alone (an --out naming an input, a
    # command's own option) lack one, and their names say which option
    assert len(LIBRARY_ROWS) > 50  # docs/reliability.md: "more than 50 bad inputs"
    assert all("--" in n for n, r in ROWS.items() if r.lib is None)


@pytest.mark.parametrize("name", LIBRARY_ROWS, ids=LIBRARY_ROWS)
def test_library_raises_the_exact_error(name, inputs, tmp_path, fault):
    row = ROWS[name]
    (tmp_path / "ro").mkdir()
    before = files_snapshot(inputs, tmp_path)
    fault(row.fault, tmp_path / "ro")
    with pytest.raises(row.error) as err:
        row.lib(inputs, tmp_path)
    assert type(err.value) is row.error, f"{type(err.value).__name__}: {err.value}"
    assert row.fragment in str(err.value)
    assert files_snapshot(inputs, tmp_path) == before  # nothing written, nothing left behind


@pytest.mark.parametrize("name", [n for n, r in ROWS.items() if r.cli is not None],
                         ids=[n for n, r in ROWS.items() if r.cli is not None])
def test_command_line_answers_with_one_line_and_the_exit_code(name, inputs, tmp_path, fault,
                                                              capsys):
    row = ROWS[name]
    argv = _argv(row, inputs, tmp_path)
    (tmp_path / "ro").mkdir()
    before = files_snapshot(inputs, tmp_path)
    fault(row.fault, tmp_path / "ro")
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == row.code, f"exit {code}, expected {row.code}; stderr: {err}"
    assert "Traceback" not in err and out == ""
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert row.cli_says.replace("{inputs}", str(inputs)) in " ".join(err.split()), err
    assert files_snapshot(inputs, tmp_path) == before  # no partial output, no temporary file


SUBPROCESS_SAMPLE = ["missing file", "non-numeric cell", "epochs 0", "unknown optimiser",
                     "more classes at predict than at train", "model file is a pickle"]


@pytest.mark.parametrize("name", SUBPROCESS_SAMPLE)
def test_a_sample_in_a_real_process(name, inputs, tmp_path):
    row = ROWS[name]
    proc = subprocess.run([sys.executable, "-m", "chainrule", *_argv(row, inputs, tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == row.code, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.startswith("error:") and row.cli_says in " ".join(proc.stderr.split())
    assert list(tmp_path.iterdir()) == []
