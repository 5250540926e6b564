"""``chainrule landscape``: the cost over two parameters, with a gradient-descent path."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from ..errors import ConfigError
from ..nn.network import Network
from .data_prep import check_fits, load_model_file, model_data, stored_scaler, transform_all
from .figures import files_only_backend, save_plot
from .options import DatasetOpt, Debug, JsonFlag, check_positive, param_index, parse_numbers
from .outputs import check_not_an_input, check_writable
from .reporting import reporting

Array = np.ndarray


# The cost grid C of `landscape` (resolution² float64 values) may take at most this much memory.
MAX_GRID_BYTES = 256 * 2**20


def _check_resolution(resolution: int) -> None:
    """At least 2 points per axis, and a grid that fits :data:`MAX_GRID_BYTES`."""
    if resolution < 2:
        raise ConfigError(f"--resolution: expected at least 2 points, got {resolution}")
    most = math.isqrt(MAX_GRID_BYTES // 8)
    if resolution > most:
        size = resolution * resolution * 8
        raise ConfigError(f"--resolution: {resolution} points per axis make a {resolution}×"
                          f"{resolution} grid ({size / 2**30:.3g} GiB of float64); "
                          f"at most {most}")


def _range(text: str | None, option: str, n: int, param: str, net: Network) -> Array:
    """``n`` grid values from ``LOW,HIGH``; by default ±4 around the parameter's value."""
    from ..nn.landscape import default_values

    if text is None:
        return default_values(float(net.params[net.flat_index(param)]), n=n)
    lo, hi = parse_numbers(text, option, 2)
    if not lo < hi:
        raise ConfigError(f"{option}: expected LOW,HIGH with LOW < HIGH, got {text!r}")
    if not math.isfinite(hi - lo):  # the spacing (HIGH − LOW) / (n − 1) could not be computed
        raise ConfigError(f"{option}: {text!r} spans more than the largest float64 "
                          f"({sys.float_info.max:.4g}); choose a narrower range")
    values = np.linspace(lo, hi, n)
    if not np.all(np.diff(values) > 0):
        raise ConfigError(f"{option}: {n} grid points between {lo!r} and {hi!r} are too close "
                          "to tell apart in float64; choose a wider range or a lower "
                          "--resolution")
    return values


def landscape(
    model: Annotated[Path | None, typer.Option(
        help="A model file (default: the seed's NOT neuron, tanh, examples (0,1) and (1,0)).",
        show_default=False)] = None,
    data: Annotated[Path | None, typer.Option(
        help="Data for the cost (default: the model's built-in training set).",
        show_default=False)] = None,
    dataset: DatasetOpt = None,
    param_x: Annotated[str, typer.Option(help="The parameter along x, e.g. W1[0,0].")]
        = "W1[0,0]",
    param_y: Annotated[str, typer.Option(help="The parameter along y, e.g. b1[0].")] = "b1[0]",
    x_range: Annotated[str | None, typer.Option(
        help="LOW,HIGH of the x axis (default: ±4 around the current value; the NOT toy: "
             "-4,4).", show_default=False)] = None,
    y_range: Annotated[str | None, typer.Option(
        help="LOW,HIGH of the y axis.", show_default=False)] = None,
    resolution: Annotated[int, typer.Option(help="Grid points along each axis.")] = 201,
    start: Annotated[str | None, typer.Option(
        help="X,Y where the gradient-descent path starts (default: the current values).",
        show_default=False)] = None,
    lr: Annotated[float, typer.Option("--lr", help="Step size η of the descent path.")] = 0.5,
    steps: Annotated[int, typer.Option(
        min=0, help="Steps of the descent path (0: no path).")] = 50,
    out: Annotated[Path, typer.Option("--out", "-o", help="The PNG to write.")]
        = Path("landscape.png"),
    json_output: JsonFlag = False,
    debug: Debug = False,
) -> None:
    """Contour map of the cost over two parameters, with the gradient-descent path."""
    from ..nn.landscape import cost_surface, descent_path, not_toy

    with reporting(debug):
        _check_resolution(resolution)
        if steps > 0:
            check_positive(lr, "--lr")
        if out.suffix.lower() != ".png":
            raise ConfigError(f"--out: expected a .png file name, got {out}")
        check_writable(out, "--out")
        check_not_an_input(out, "--out", [(model, "the --model file"),
                                           (data, "the --data file")])
        if model is None:
            if data is not None or dataset is not None:
                raise ConfigError("--data/--dataset: need --model (the NOT toy has its own data)")
            net, X, Y = not_toy()
            source = "the seed's NOT neuron on (0, 1) and (1, 0)"
            x_range = x_range or "-4,4"
            y_range = y_range or "-4,4"
        else:
            net, meta = load_model_file(model)
            X_raw, Y_opt, src = model_data(net, meta, data, dataset, need_targets=True,
                                           data_option="--data")
            assert Y_opt is not None
            check_fits(X_raw, stored_scaler(meta), net, src)
            X, Y, source = transform_all(X_raw, meta, src), Y_opt, src.name
        if param_index(net, param_x, "--param-x") == param_index(net, param_y, "--param-y"):
            raise ConfigError(f"--param-y: must differ from --param-x (both name {param_x})")
        xs = _range(x_range, "--x-range", resolution, param_x, net)
        ys = _range(y_range, "--y-range", resolution, param_y, net)
        land = cost_surface(net, X, Y, param_x, param_y, xs, ys)
        path = None
        if steps > 0:
            begin = tuple(parse_numbers(start, "--start", 2)) if start is not None else None
            path = descent_path(net, X, Y, param_x, param_y, start=begin, learning_rate=lr,
                                n_steps=steps)
        from ..viz.plots import plot_landscape

        files_only_backend()
        save_plot(plot_landscape(land, path=path), out)
        j, i = np.unravel_index(int(np.argmin(land.C)), land.C.shape)
        result: dict[str, Any] = {
            "png": os.fspath(out), "source": source, "param_x": land.param_x,
            "param_y": land.param_y, "x_range": [float(land.xs[0]), float(land.xs[-1])],
            "y_range": [float(land.ys[0]), float(land.ys[-1])],
            "resolution": [int(land.xs.size), int(land.ys.size)],
            "min_cost": float(land.C[j, i]), "argmin": [float(land.xs[i]), float(land.ys[j])],
        }
        if path is not None:
            result["path"] = {"start": path.points[0].tolist(), "end": path.points[-1].tolist(),
                              "cost_start": float(path.costs[0]),
                              "cost_end": float(path.costs[-1]), "steps": steps}
        if json_output:
            typer.echo(json.dumps(result))
            return
        typer.echo(f"wrote {out}: C over {land.label_x} in [{land.xs[0]:g}, {land.xs[-1]:g}] and "
                   f"{land.label_y} in [{land.ys[0]:g}, {land.ys[-1]:g}] ({land.xs.size}×"
                   f"{land.ys.size} grid) for {source}; white = low cost, black = high")
        typer.echo(f"lowest C on the grid = {land.C[j, i]:.4g} at ({land.xs[i]:.3g}, "
                   f"{land.ys[j]:.3g})")
        if path is not None:
            p0, p1 = path.points[0], path.points[-1]
            typer.echo(f"gradient descent (η = {lr:g}, {steps} steps): ({p0[0]:.3g}, "
                       f"{p0[1]:.3g}) → ({p1[0]:.3g}, {p1[1]:.3g}), C = {path.costs[0]:.4g} → "
                       f"{path.costs[-1]:.4g}")
