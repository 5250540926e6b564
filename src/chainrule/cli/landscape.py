"""``chainrule landscape``: the cost over two parameters, with a gradient-descent path."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from ..errors import ConfigError
from ..nn.chain import parse_param
from ..nn.network import Network
from .figures import files_only_backend, save_plot
from .model_data import model_with_data
from .options import (
    DatasetOpt,
    Debug,
    JsonFlag,
    ascending_pair,
    file_name,
    grid_points,
    library_errors_as_options,
    number_pair,
    positive_number,
    whole_number,
)
from .outputs import check_output
from .reporting import reporting, warnings_as_notes

if TYPE_CHECKING:
    from ..nn.landscape import DescentPath, Landscape

Array = np.ndarray
Pair = tuple[float, float]

# The NOT toy's axes: w and b from -4 to 4.
NOT_TOY_RANGE = (-4.0, 4.0)
# What --x-range and --y-range are without a value, as their help says.
RANGE_DEFAULT = "(default: ±4 around the current value; the NOT toy: -4,4)."


def landscape(
    model: Annotated[Path | None, typer.Option(
        help="A model file (default: the course's NOT neuron, tanh, examples (0,1) and (1,0)).",
        show_default=False)] = None,
    data: Annotated[Path | None, typer.Option(
        help="Data for the cost (default: the model's built-in training set).",
        show_default=False)] = None,
    dataset: DatasetOpt = None,
    param_x: Annotated[str | None, typer.Option(
        help="The parameter along x, e.g. W1[0,0] (default: the NOT neuron's w; for a model, "
             "of the two parameters along which the examples' costs change most, the first).",
        show_default=False)] = None,
    param_y: Annotated[str | None, typer.Option(
        help="The parameter along y, e.g. b1[0] (default: the NOT neuron's b; for a model, "
             "the second of those two).", show_default=False)] = None,
    x_range: Annotated[Any, typer.Option(
        parser=ascending_pair, metavar="LOW,HIGH",
        help=f"LOW,HIGH of the x axis {RANGE_DEFAULT}", show_default=False)] = None,
    y_range: Annotated[Any, typer.Option(
        parser=ascending_pair, metavar="LOW,HIGH",
        help=f"LOW,HIGH of the y axis {RANGE_DEFAULT}", show_default=False)] = None,
    resolution: Annotated[int, typer.Option(
        parser=grid_points, metavar="N", help="Grid points along each axis.")] = 201,
    start: Annotated[Any, typer.Option(
        parser=number_pair, metavar="X,Y",
        help="X,Y where the gradient-descent path starts (default: the current values).",
        show_default=False)] = None,
    lr: Annotated[float, typer.Option(
        "--lr", parser=positive_number, metavar="RATE",
        help="Step size η of the descent path.")] = 0.5,
    steps: Annotated[int, typer.Option(
        parser=whole_number(0), metavar="N", help="Steps of the descent path (0: no path).")]
        = 50,
    out: Annotated[Path, typer.Option(
        "--out", "-o", parser=file_name(".png"), metavar="FILE", help="The PNG to write.")]
        = Path("landscape.png"),
    json_output: JsonFlag = False,
    debug: Debug = False,
) -> None:
    """Contour map of the cost over two parameters, with the gradient-descent path."""
    from ..nn.landscape import cost_surface, descent_path

    with reporting(debug):
        check_output(out, "--out", [(model, "the --model file"), (data, "the --data file")])
        net, X, Y, source = _cost_data(model, data, dataset)
        if model is None:
            x_range, y_range = x_range or NOT_TOY_RANGE, y_range or NOT_TOY_RANGE
            param_x, param_y, note = param_x or "W1[0,0]", param_y or "b1[0]", None
        else:
            param_x, param_y, note = _axes(net, X, Y, param_x, param_y)
        with library_errors_as_options({"param": "--param-x"}):
            net.flat_index(param_x)
        with library_errors_as_options({"param": "--param-y"}):
            if net.flat_index(param_y) == net.flat_index(param_x):
                raise ConfigError(f"--param-y: must differ from --param-x (both name {param_x})")
        xs = _grid(x_range, "--x-range", resolution, param_x, net)
        ys = _grid(y_range, "--y-range", resolution, param_y, net)
        land = cost_surface(net, X, Y, param_x, param_y, xs, ys)
        path = None
        if steps > 0:
            path = descent_path(net, X, Y, param_x, param_y, start=start, learning_rate=lr,
                                n_steps=steps)
        from ..viz.landscape_plot import LandscapeDisplay

        files_only_backend()
        save_plot(LandscapeDisplay(land, path=path, note=note).plot().ax_, out)
        if json_output:
            typer.echo(json.dumps({**_result(land, path, out, source), "chosen_by": note}))
        else:
            _print_result(land, path, out, source, lr)
            if note is not None:
                typer.echo(f"the axes: {note}")


def _axes(net: Network, X: Array, Y: Array, param_x: str | None,
          param_y: str | None) -> tuple[str, str, str | None]:
    """A model's two parameters: those given, the others the ones along which the examples'
    costs change most (and a note saying so); a flat choice is warned about."""
    from ..viz.landscape_plot import steepest_params

    for given, option in ((param_x, "--param-x"), (param_y, "--param-y")):
        if given is not None:
            with library_errors_as_options({"param": option}):
                net.flat_index(given)
    if param_x is not None and param_y is not None:
        with warnings_as_notes():
            steepest_params(net, X, Y, (param_x, param_y))
        return param_x, param_y, None
    px, py, note = steepest_params(net, X, Y)
    if param_x is None and param_y is None:
        return px, py, note
    given = str(parse_param(param_x or param_y or ""))
    other = py if given == px else px
    return (given, other, None) if param_x is not None else (other, given, None)


def _cost_data(model: Path | None, data: Path | None,
               dataset: str | None) -> tuple[Network, Array, Array, str]:
    """The network, X and Y (scaled as in training) and what they are, for the cost."""
    from ..nn.landscape import not_toy

    if model is None:
        if data is not None or dataset is not None:
            raise ConfigError("--data/--dataset: need --model (the NOT toy has its own data)")
        net, X, Y = not_toy()
        return net, X, Y, "the course's NOT neuron on (0, 1) and (1, 0)"
    m = model_with_data(model, data, dataset, need_targets=True, data_option="--data")
    return m.model.network, m.model.transform(m.X, source=m.source), m.Y, m.source.name


def _grid(given: Pair | None, option: str, n: int, param: str, net: Network) -> Array:
    """``n`` grid values from LOW to HIGH; by default ±4 around the parameter's value."""
    from ..nn.landscape import default_values

    if given is None:
        return default_values(float(net.params[net.flat_index(param)]), n=n)
    lo, hi = given
    values = np.linspace(lo, hi, n)
    if not np.all(np.diff(values) > 0):
        raise ConfigError(f"{option}: {n} grid points between {lo!r} and {hi!r} are too close "
                          "to tell apart in float64; choose a wider range or a lower "
                          "--resolution")
    return values


def _lowest(land: Landscape) -> tuple[float, float, float]:
    """(x, y, C) of the grid's lowest cost."""
    j, i = np.unravel_index(int(np.argmin(land.C)), land.C.shape)
    return float(land.xs[i]), float(land.ys[j]), float(land.C[j, i])


def _result(land: Landscape, path: DescentPath | None, out: Path,
            source: str) -> dict[str, Any]:
    """``landscape --json``."""
    x, y, C = _lowest(land)
    result: dict[str, Any] = {
        "png": os.fspath(out), "source": source, "param_x": land.param_x,
        "param_y": land.param_y, "x_range": [float(land.xs[0]), float(land.xs[-1])],
        "y_range": [float(land.ys[0]), float(land.ys[-1])],
        "resolution": [int(land.xs.size), int(land.ys.size)],
        "min_cost": C, "argmin": [x, y],
    }
    if path is not None:
        result["path"] = {"start": path.points[0].tolist(), "end": path.points[-1].tolist(),
                          "cost_start": float(path.costs[0]),
                          "cost_end": float(path.costs[-1]), "steps": len(path.costs) - 1}
    return result


def _print_result(land: Landscape, path: DescentPath | None, out: Path, source: str,
                  lr: float) -> None:
    x, y, C = _lowest(land)
    typer.echo(f"wrote {out}: C over {land.label_x} in [{land.xs[0]:g}, {land.xs[-1]:g}] and "
               f"{land.label_y} in [{land.ys[0]:g}, {land.ys[-1]:g}] ({land.xs.size}×"
               f"{land.ys.size} grid) for {source}; white = low cost, black = high")
    typer.echo(f"lowest C on the grid = {C:.4g} at ({x:.3g}, {y:.3g})")
    if path is not None:
        p0, p1 = path.points[0], path.points[-1]
        typer.echo(f"gradient descent (η = {lr:g}, {len(path.costs) - 1} steps): ({p0[0]:.3g}, "
                   f"{p0[1]:.3g}) → ({p1[0]:.3g}, {p1[1]:.3g}), C = {path.costs[0]:.4g} → "
                   f"{path.costs[-1]:.4g}")
