"""``chainrule predict`` and ``chainrule evaluate``: a saved model on a data file or set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from ..model.predictions import write_predictions
from .model_data import model_with_data
from .options import (
    DataArg,
    DatasetOpt,
    Debug,
    DelimiterOpt,
    JsonFlag,
    ModelArg,
    TargetOpt,
    file_name,
)
from .outputs import check_output, write_atomic
from .printing import plain, write_stdout
from .reporting import reporting
from .scores import print_scores, scores


def predict(
    model: ModelArg,
    data: DataArg = None,
    dataset: DatasetOpt = None,
    target: TargetOpt = None,
    delimiter: DelimiterOpt = ",",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", parser=file_name(".csv", ".npy"), metavar="FILE",
        help="Write to this .csv or .npy file (default: CSV on stdout).",
        show_default=False)] = None,
    debug: Debug = False,
) -> None:
    """Predict with a saved model: one row of outputs per input row."""
    with reporting(debug):
        if out is not None:
            check_output(out, "--out", [(data, "the data file"), (model, "the model file")])
        m = model_with_data(model, data, dataset, need_targets=False, target=target,
                            delimiter=delimiter)
        npy = out is not None and out.suffix.lower() == ".npy"

        def write(f: BinaryIO) -> None:
            write_predictions(f, m.model, m.X, npy=npy, source=m.source)

        if out is not None:
            write_atomic(out, write, "--out")
        else:
            write_stdout(write)


def evaluate(
    model: ModelArg,
    data: DataArg = None,
    dataset: DatasetOpt = None,
    target: TargetOpt = None,
    delimiter: DelimiterOpt = ",",
    json_output: JsonFlag = False,
    debug: Debug = False,
) -> None:
    """Cost, and R², MAE, RMSE or a confusion matrix, of a saved model on a data set."""
    with reporting(debug):
        m = model_with_data(model, data, dataset, need_targets=True, target=target,
                            delimiter=delimiter)
        C, acc, n = m.model.evaluate(m.X, m.y, source=m.source, target_source=m.targets)
        src, cost = m.source.name, m.model.cost
        result = {"data": src, "n_examples": n, "cost": plain(C), "cost_name": cost,
                  "accuracy": plain(acc), **scores(m)}
        if json_output:
            typer.echo(json.dumps(result))
            return
        text = f"cost C = {C:.6g} ({cost}, {n} examples of {src})"
        if acc is not None:
            text += f"; accuracy {acc:.2%}"
        typer.echo(text)
        print_scores(result)
