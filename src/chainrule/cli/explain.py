"""``chainrule explain``: the chain rule of one parameter, factor by factor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from ..data import Source
from ..data.scaling import check_fits
from ..errors import ConfigError
from ..model import Model
from ..model.predictions import output_names
from .model_data import example_targets, load_model_file, model_data
from .options import (
    DatasetOpt,
    Debug,
    JsonFlag,
    ModelArg,
    library_errors_as_options,
    parse_numbers,
    whole_number,
)
from .outputs import check_output, write_atomic
from .printing import json_ready, print_rich
from .reporting import reporting, say

Array = np.ndarray


def explain(
    model: ModelArg,
    x: Annotated[str | None, typer.Option(
        "--x", help="One input, comma-separated (raw units; the stored scaling is applied).",
        show_default=False)] = None,
    y: Annotated[str | None, typer.Option(
        "--y", help="Its target: the outputs, comma-separated, or a class label.",
        show_default=False)] = None,
    data: Annotated[Path | None, typer.Option(
        help="Average over a data set instead of one example.", show_default=False)] = None,
    dataset: DatasetOpt = None,
    param: Annotated[str, typer.Option(help="The parameter θ, e.g. W1[0,2] or b2[1].")]
        = "W1[0,0]",
    example: Annotated[int | None, typer.Option(
        parser=whole_number(0), metavar="ROW",
        help="Which row of --data/--dataset to show (default: the first).",
        show_default=False)] = None,
    latex: Annotated[Path | None, typer.Option(help="Also write the chain in LaTeX here.",
                                               show_default=False)] = None,
    json_output: JsonFlag = False,
    debug: Debug = False,
) -> None:
    """The chain rule for one weight: every factor, its value, back-prop and finite differences."""
    from ..nn.ledger import explain as explain_network
    from ..viz.ledger_text import render_ledger

    with reporting(debug):
        if latex is not None:
            check_output(latex, "--latex", [(model, "the model file"), (data, "the --data file")])
        m = load_model_file(model)
        if example is not None and data is None and dataset is None:
            raise ConfigError("--example: picks a row of --data or --dataset; give one "
                              "(--x/--y are a single example)")
        X, Y, source = _examples(m, x, y, data, dataset)
        net = m.network
        with library_errors_as_options({"param": "--param", "example": "--example"}):
            net.flat_index(param)
            ledger = explain_network(net, m.transform(X, source=source), Y, param,
                                     example=example or 0)
        if latex is not None:
            tex = ledger.to_latex() + "\n"
            write_atomic(latex, lambda f: f.write(tex.encode()), "--latex")
        if json_output:
            typer.echo(json.dumps(json_ready(ledger.to_dict()), allow_nan=False))
        else:
            print_rich(lambda console: render_ledger(ledger, console))
            if latex is not None:
                say(f"wrote the chain in LaTeX to {latex}")


def _examples(model: Model, x: str | None, y: str | None, data: Path | None,
              dataset: str | None) -> tuple[Array, Array, Source]:
    """X (raw) and Y (encoded) of the one example ``--x``/``--y``, or of a data set."""
    if (x is None) != (y is None):
        raise ConfigError("--x and --y: give both (one example), or neither with --data")
    if x is None:
        m = model_data(model, data, dataset, need_targets=True, data_option="--data")
        return m.X, m.Y, m.source
    if data is not None or dataset is not None:
        raise ConfigError("--x/--y: give one example or --data/--dataset, not both")
    X = np.asarray([parse_numbers(x, "--x", model.n_inputs)])  # (1, n_in)
    Y = example_targets(y or "", model)[None, :]  # (1, n_out)
    check_fits(Y, None, model.network.dtype, Source("--y", output_names(model)))
    return X, Y, Source("--x", list(model.feature_names or []))
