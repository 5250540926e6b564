"""Hostile inputs of the catalogue: links, FIFOs and device nodes, absurd sizes, limits.

The special files are made by the test itself (:func:`make_hostile_inputs`): loops of
symbolic links, a link to the process's own standard output, FIFOs, and, as root, a
character device node (major 1, minor 3, what ``/dev/null`` is) in the test's folder.
Without root no device node can be made; the real ``/dev/null`` stands in for it then,
which a user who is not root cannot replace, so the test can do it no harm.  Nothing
here ever opens a special file: each must be refused before it is written.  A fragment
may name the inputs' folder as ``{inputs}``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import chainrule
from catalogue_support import FAILED, Row, train_argv
from chainrule import ConfigError, DataError, ModelFileError, Network
from chainrule.data import load_csv, load_data
from chainrule.io import save_model
from chainrule.train.checkpoint import CheckpointError
from chainrule.train.loop import fit

LOOP = "is a symbolic link that leads back to itself (a loop)"
NOT_REGULAR = "not a regular file"
FIFO = f"is a FIFO (named pipe), {NOT_REGULAR}"
DEVICE = f"is a character device, {NOT_REGULAR}"
TOO_LARGE = "file too large: the limit on file size (ulimit -f) was reached"


def _loop(folder: Path, name: str, back: str) -> None:
    """``name`` → ``back`` → ``name``: a loop of two symbolic links."""
    os.symlink(back, folder / name)
    os.symlink(name, folder / back)


def make_hostile_inputs(folder: Path) -> None:
    """The special files the rows below use (``folder`` holds ``model.safetensors``)."""
    _loop(folder, "loop.csv", "loop_back.csv")
    _loop(folder, "loop.ckpt", "loop_back.ckpt")
    _loop(folder, "loop.safetensors", "loop_back.safetensors")
    for name in ("fifo.safetensors", "fifo.csv", "fifo.tex"):
        os.mkfifo(folder / name)
    (folder / "plots").mkdir()
    os.mkfifo(folder / "plots" / "cost_curve.png")
    (folder / "tour").mkdir()
    os.mkfifo(folder / "tour" / "q2_landscape.png")
    os.symlink("/proc/self/fd/1", folder / "stdout.csv")
    os.symlink("/proc/self/fd/1", folder / "stdout.safetensors")
    os.symlink("model.safetensors", folder / "alias.safetensors")
    os.symlink("nowhere.onnx", folder / "dangling.onnx")
    if os.geteuid() == 0:  # only root may make a device node
        os.mknod(folder / "null.safetensors", stat.S_IFCHR | 0o666, os.makedev(1, 3))


def device_node(folder: Path) -> Path:
    """A character device: the test's own as root; else ``/dev/null``, which only root
    could replace."""
    made = folder / "null.safetensors"
    if os.geteuid() == 0:
        assert stat.S_ISCHR(os.lstat(made).st_mode)
        return made
    return Path("/dev/null")


def _net() -> Network:
    return Network([2, 3, 1], "tanh", random_state=0)


def _fit_checkpoint(path: str) -> object:
    def call(i: Path, o: Path) -> object:
        X, y, _, _ = load_csv(i / "good.csv")
        return fit(_net(), X, y, epochs=2, checkpoint=i / path)
    return call


def _save(i: Path, o: Path) -> object:
    return save_model(o / "m.safetensors", _net())


def _fit_saving_checkpoints(i: Path, o: Path) -> object:
    X, y, _, _ = load_csv(i / "good.csv")
    return fit(_net(), X, y, epochs=2, checkpoint=o / "run.ckpt")


def _predict_out(name: str) -> Callable[[Path, Path], list[str]]:
    return lambda i, o: ["predict", str(i / "model.safetensors"), str(i / "good.csv"),
                         "--out", str(i / name)]


HOSTILE_ROWS: dict[str, Row] = {
    # -- loops of symbolic links --------------------------------------------------------
    "data file is a loop of symbolic links": Row(
        DataError, f"loop.csv: {LOOP}; there is no file to read",
        lambda i, o: load_data(i / "loop.csv"), train_argv("loop.csv")),
    "--checkpoint is a loop of symbolic links": Row(
        CheckpointError, f"{LOOP}, {NOT_REGULAR}", _fit_checkpoint("loop.ckpt"),
        train_argv("good.csv", "--checkpoint", "{inputs}/loop.ckpt", "--resume"),
        cli_fragment=f"--checkpoint: {{inputs}}/loop.ckpt {LOOP}, {NOT_REGULAR}"),
    "predict --out is a loop of symbolic links": Row(
        ModelFileError, f"{LOOP}, {NOT_REGULAR}",
        lambda i, o: save_model(i / "loop.safetensors", _net()), _predict_out("loop.csv"),
        cli_fragment=f"loop.csv {LOOP}, {NOT_REGULAR}"),
    "model file is a loop of symbolic links": Row(
        ModelFileError, f"loop.safetensors: {LOOP}; there is no model file to read",
        lambda i, o: chainrule.load_model(i / "loop.safetensors"),
        lambda i, o: ["info", str(i / "loop.safetensors")]),
    # -- outputs that are no regular file: refused before any work ----------------------
    "--out is a FIFO": Row(
        ModelFileError, FIFO, lambda i, o: save_model(i / "fifo.safetensors", _net()),
        lambda i, o: ["train", str(i / "good.csv"), "--quiet", "--out",
                      str(i / "fifo.safetensors")]),
    "--checkpoint is a FIFO": Row(
        CheckpointError, FIFO, _fit_checkpoint("fifo.safetensors"),
        train_argv("good.csv", "--checkpoint", "{inputs}/fifo.safetensors")),
    "predict --out is a FIFO": Row(ConfigError, f"fifo.csv {FIFO}", None,
                                   _predict_out("fifo.csv")),
    "explain --latex is a FIFO": Row(
        ConfigError, f"--latex: {{inputs}}/fifo.tex {FIFO}", None,
        lambda i, o: ["explain", str(i / "model.safetensors"), "--x", "1,2", "--y", "0",
                      "--latex", str(i / "fifo.tex")]),
    "train --plot holds a FIFO named cost_curve.png": Row(
        ConfigError, f"--plot: {{inputs}}/plots/cost_curve.png {FIFO}", None,
        train_argv("good.csv", "--plot", "{inputs}/plots")),
    "tour --out holds a FIFO named q2_landscape.png": Row(
        ConfigError, f"q2_landscape.png {FIFO}", None,
        lambda i, o: ["tour", "--out", str(i / "tour"), "--no-heart"]),
    "--out is a device node": Row(
        ModelFileError, DEVICE, lambda i, o: save_model(device_node(i), _net()),
        lambda i, o: ["train", str(i / "good.csv"), "--quiet", "--out", str(device_node(i))]),
    "predict --out is a symbolic link to standard output": Row(
        ModelFileError, f"is a symbolic link (to /proc/self/fd/1), {NOT_REGULAR}",
        lambda i, o: save_model(i / "stdout.safetensors", _net()), _predict_out("stdout.csv")),
    "train --out is a symbolic link to a model file": Row(
        ModelFileError, f"is a symbolic link (to model.safetensors), {NOT_REGULAR}",
        lambda i, o: save_model(i / "alias.safetensors", _net()),
        lambda i, o: ["train", str(i / "good.csv"), "--quiet", "--out",
                      str(i / "alias.safetensors")]),
    "export --onnx is a dangling symbolic link": Row(
        ConfigError, f"dangling.onnx is a symbolic link (to nowhere.onnx), {NOT_REGULAR}", None,
        lambda i, o: ["export", str(i / "model.safetensors"), "--onnx",
                      str(i / "dangling.onnx")]),
    # -- sizes and limits -------------------------------------------------------------
    "hidden layers too large for any machine's memory": Row(
        ConfigError, "layer_sizes: a 2-1000000000-1000000000-1 network needs about",
        lambda i, o: Network([2, 10**9, 10**9, 1]),
        train_argv("good.csv", "--hidden", "1000000000,1000000000"),
        cli_fragment="--hidden: training a 2-1000000000-1000000000-2 network with adam needs "
                     "about"),
    "the limit on file size (ulimit -f) reached while saving the model": Row(
        ModelFileError, TOO_LARGE, _save, train_argv("good.csv"), code=FAILED,
        fault="file_too_large"),
    "the limit on file size (ulimit -f) reached while checkpointing": Row(
        CheckpointError, TOO_LARGE, _fit_saving_checkpoints,
        train_argv("good.csv", "--checkpoint", "{out}/run.ckpt"), code=FAILED,
        fault="file_too_large"),
}
