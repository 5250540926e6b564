"""``chainrule predict`` and ``chainrule evaluate``: a saved model on a data file or set."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from .data_prep import (
    is_classifier,
    model_with_data,
    predict_blocks,
    standardize_inputs,
    write_predictions,
)
from .options import DataArg, DatasetOpt, Debug, JsonFlag, ModelArg, TargetOpt, file_name
from .outputs import check_output, write_atomic
from .printing import plain, write_stdout
from .reporting import reporting


def predict(
    model: ModelArg,
    data: DataArg = None,
    dataset: DatasetOpt = None,
    target: TargetOpt = None,
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
        m = model_with_data(model, data, dataset, need_targets=False, target=target)
        npy = out is not None and out.suffix.lower() == ".npy"

        def write(f: BinaryIO) -> None:
            blocks = predict_blocks(m.net, m.X, m.scaler, m.source)
            write_predictions(f, blocks, m.X.shape[0], m.net, m.meta, npy)

        if out is not None:
            write_atomic(out, write, "--out")
        else:
            write_stdout(write)


def evaluate(
    model: ModelArg,
    data: DataArg = None,
    dataset: DatasetOpt = None,
    target: TargetOpt = None,
    json_output: JsonFlag = False,
    debug: Debug = False,
) -> None:
    """Cost (and accuracy, for classifiers) of a saved model on a data set."""
    from ..train.loop import evaluate as evaluate_network

    with reporting(debug), contextlib.ExitStack() as stack:
        m = model_with_data(model, data, dataset, need_targets=True, target=target)
        assert m.Y is not None
        net, n, src = m.net, m.X.shape[0], m.source.name
        C, acc = evaluate_network(net, standardize_inputs(m.X, m.scaler, m.source, stack), m.Y,
                                  classification=is_classifier(m.meta))
        result = {"data": src, "n_examples": int(n), "cost": plain(C),
                  "cost_name": net.cost.name, "accuracy": plain(acc)}
        if json_output:
            typer.echo(json.dumps(result))
        else:
            text = f"cost C = {C:.6g} ({net.cost.name}, {n} examples of {src})"
            if acc is not None:
                text += f"; accuracy {acc:.2%}"
            typer.echo(text)
