"""``chainrule predict`` and ``chainrule evaluate``: a saved model on a data file or set."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from ..errors import ConfigError
from .data_prep import (
    check_fits,
    is_classifier,
    load_model_file,
    model_data,
    predict_blocks,
    standardize_inputs,
    stored_scaler,
    write_predictions,
)
from .options import DataArg, DatasetOpt, Debug, JsonFlag, ModelArg, TargetOpt
from .outputs import check_not_an_input, check_writable, write_atomic
from .printing import plain
from .reporting import reporting


def predict(
    model: ModelArg,
    data: DataArg = None,
    dataset: DatasetOpt = None,
    target: TargetOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write to this .csv or .npy file (default: CSV on stdout).",
        show_default=False)] = None,
    debug: Debug = False,
) -> None:
    """Predict with a saved model: one row of outputs per input row."""
    with reporting(debug):
        if out is not None and out.suffix.lower() not in (".csv", ".npy"):
            raise ConfigError(f"--out: expected a .csv or .npy file name, got {out}")
        if out is not None:
            check_writable(out, "--out")
            check_not_an_input(out, "--out", [(data, "the data file"),
                                               (model, "the model file")])
        net, meta = load_model_file(model)
        X, _, source = model_data(net, meta, data, dataset, need_targets=False, target=target)
        scaler = stored_scaler(meta)
        check_fits(X, scaler, net, source)  # before any output: stdout gets all or nothing
        npy = out is not None and out.suffix.lower() == ".npy"

        def write(f: BinaryIO) -> None:
            write_predictions(f, predict_blocks(net, X, scaler, source), X.shape[0], net, meta,
                              npy)

        if out is not None:
            write_atomic(out, write, "--out")
            return
        stdout = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
        if stdout is not None:
            sys.stdout.flush()
            write(stdout)
            stdout.flush()
        else:  # a text-only stream (e.g. a test's capture)
            buf = io.BytesIO()
            write(buf)
            typer.echo(buf.getvalue().decode(), nl=False)


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
        net, meta = load_model_file(model)
        X, Y, source = model_data(net, meta, data, dataset, need_targets=True, target=target)
        assert Y is not None
        scaler = stored_scaler(meta)
        check_fits(X, scaler, net, source)
        C, acc = evaluate_network(net, standardize_inputs(X, scaler, source, stack), Y,
                                  classification=is_classifier(meta))
        src = source.name
        result = {"data": src, "n_examples": int(X.shape[0]), "cost": plain(C),
                  "cost_name": net.cost.name, "accuracy": plain(acc)}
        if json_output:
            typer.echo(json.dumps(result))
        else:
            text = f"cost C = {C:.6g} ({net.cost.name}, {X.shape[0]} examples of {src})"
            if acc is not None:
                text += f"; accuracy {acc:.2%}"
            typer.echo(text)
