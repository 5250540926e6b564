"""``chainrule export``: a saved model as ONNX, its input standardisation inside the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from .model_data import load_model_file
from .options import Debug, ModelArg, file_name
from .outputs import check_output, make_folder
from .reporting import reporting


def export(
    model: ModelArg,
    onnx_path: Annotated[Path | None, typer.Option(
        "--onnx", parser=file_name(".onnx"), metavar="FILE", help="The .onnx file to write.",
        show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", parser=file_name(".onnx"), hidden=True, help="The same as --onnx.",
        show_default=False)] = None,
    debug: Debug = False,
) -> None:
    """Write a saved model as ONNX: input X (N, n_in) in the data's own units, output Y.

    The model's stored input standardisation is part of the graph (Sub, Div
    before the first layer, in float64 as `chainrule predict` does it), so the
    ONNX model takes the same raw inputs, as float64.
    """
    from ..interop import to_onnx

    with reporting(debug):
        if onnx_path is not None and out is not None:
            raise ConfigError("--onnx and --out: give one (--out is another name for --onnx)")
        path = onnx_path if onnx_path is not None else out
        if path is None:
            raise ConfigError("--onnx: give the .onnx file to write, e.g. --onnx model.onnx")
        option = "--onnx" if onnx_path is not None else "--out"
        check_output(path, option, [(model, "the model file")])
        loaded = load_model_file(model)
        net, scaler = loaded.network, loaded.scaler
        scaling = None if scaler is None else (scaler.mean_, scaler.scale_)
        make_folder(path.parent, option)
        to_onnx(net, path, input_scaling=scaling)
        x_type = "float64" if scaler is not None else net.dtype.name
        typer.echo(f"wrote {path}: {'-'.join(map(str, net.layer_sizes))} network, "
                   f"{net.dtype.name}, input X ({x_type}, {net.n_inputs} columns"
                   + (", standardised inside the graph" if scaler is not None else "")
                   + f"), output Y ({net.n_outputs} columns)")
