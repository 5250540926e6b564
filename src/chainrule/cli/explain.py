"""``chainrule explain``: the chain rule of one parameter, factor by factor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from ..errors import ConfigError
from ..nn.network import Network
from .data_prep import (
    Source,
    as_number,
    check_fits,
    encode_labels,
    load_model_file,
    model_data,
    output_names,
    stored_scaler,
    transform_all,
)
from .options import DatasetOpt, Debug, JsonFlag, ModelArg, param_index, parse_numbers
from .outputs import check_not_an_input, check_writable, write_atomic
from .printing import json_ready, print_rich
from .reporting import reporting, say

Array = np.ndarray


def _class_of(text: str, classes: list[Any], names: list[str]) -> Any | None:
    """The class that ``text`` names: a label as stored (``7`` also as ``7.0``) or a class name."""
    for c in classes:
        if str(c) == text:
            return c
    if text in names and len(names) == len(classes):
        return classes[names.index(text)]
    try:
        number = float(text)
    except ValueError:
        return None
    for c in classes:
        if isinstance(c, int | float) and not isinstance(c, bool) and c == number:
            return c
    return None


def _example_targets(text: str, net: Network, meta: dict[str, Any]) -> Array:
    """``--y``: the outputs, comma-separated; for a classifier, one class label instead.

    For a classifier the whole text is first looked up among its classes (the
    labels in the model's metadata, or their names), so a label with a comma is
    still a label; otherwise it is the outputs: comma-separated numbers (a one-hot
    row), or, for a single-output classifier, one number in [0, 1].
    """
    classes = meta.get("classes")
    text = text.strip()
    if classes is None:
        return np.asarray(parse_numbers(text, "--y", net.n_outputs))
    names = [str(c) for c in (meta.get("class_names") or [])]
    label = _class_of(text, list(classes), names)
    if label is not None:
        Y, _ = encode_labels(np.asarray([label]), classes, net.cost.name, "--y")
        return Y[0]
    if "," in text or ";" in text:
        return np.asarray(parse_numbers(text, "--y", net.n_outputs))
    value = as_number(text)
    if net.n_outputs == 1 and value is not None and 0 <= value <= 1:
        return np.asarray([value])
    known = ", ".join(repr(c) for c in classes)  # quoted: a label may hold a comma
    if names and names != [str(c) for c in classes]:
        known += f" (or by name: {', '.join(repr(n) for n in names)})"
    outputs = ("its 1 output, a number in [0, 1]" if net.n_outputs == 1
               else f"its {net.n_outputs} outputs, comma-separated")
    raise ConfigError(f"--y: {text!r} is not a class of this model; its classes are "
                      f"{known}; or give {outputs}")


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
    example: Annotated[int, typer.Option(help="Which example's factors to show.")] = 0,
    latex: Annotated[Path | None, typer.Option(help="Also write the chain in LaTeX here.",
                                               show_default=False)] = None,
    json_output: JsonFlag = False,
    debug: Debug = False,
) -> None:
    """The chain rule for one weight: every factor, its value, back-prop and finite differences."""
    from ..nn.ledger import explain as explain_network

    with reporting(debug):
        if latex is not None:
            check_writable(latex, "--latex")
            check_not_an_input(latex, "--latex", [(model, "the model file"),
                                                   (data, "the --data file")])
        net, meta = load_model_file(model)
        if (x is None) != (y is None):
            raise ConfigError("--x and --y: give both (one example), or neither with --data")
        if x is not None:
            if data is not None or dataset is not None:
                raise ConfigError("--x/--y: give one example or --data/--dataset, not both")
            X = np.asarray([parse_numbers(x, "--x", net.n_inputs)])
            Y = _example_targets(y or "", net, meta)[None, :]
            check_fits(Y, None, net, Source("--y", output_names(net, meta)))
            source = Source("--x", list(meta.get("feature_names") or []))
        else:
            X, Y_opt, source = model_data(net, meta, data, dataset, need_targets=True,
                                          data_option="--data")
            assert Y_opt is not None
            Y = Y_opt
        check_fits(X, stored_scaler(meta), net, source)
        param_index(net, param, "--param")
        ledger = explain_network(net, transform_all(X, meta, source), Y, param,
                                 example=example)
        if latex is not None:
            tex = ledger.to_latex() + "\n"
            write_atomic(latex, lambda f: f.write(tex.encode()), "--latex")
        if json_output:
            typer.echo(json.dumps(json_ready(ledger.to_dict()), allow_nan=False))
        else:
            print_rich(ledger.render)
            if latex is not None:
                say(f"wrote the chain in LaTeX to {latex}")
