"""The valid files the fuzzer starts from, made by chainrule itself.

A mutation of a valid file reaches the checks deep inside a loader; random bytes alone
stop at the first one.  The model file carries every metadata field (feature names, a
standardisation, text classes, a training summary); the checkpoint holds a validation
split and an optimiser's moments; the CSV has a quoted cell and text labels.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from chainrule.cli import main

# The CSV every model is trained on, and that the commands use a model on.
GOOD_CSV = ('x1,x2,label\n0.5,1.25,cat\n-3,2e-3,dog\n7,"8",cat\n1,1,dog\n2,-1,cat\n'
            '0.25,4,dog\n')


def make_seeds(folder: Path) -> dict[str, Path]:
    """Write one valid file of each kind into ``folder``; returns kind → path.

    Kinds: ``model``, ``checkpoint``, ``csv``, ``npy`` (the last column is the target),
    ``npz`` (``X`` and ``y``); and ``good.csv``, the data the commands read beside a
    mutated model.
    """
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "good.csv"
    good.write_text(GOOD_CSV)
    model, checkpoint = folder / "seed.safetensors", folder / "seed.ckpt"
    code = main(["train", str(good), "--hidden", "3", "--epochs", "3", "--batch-size", "2",
                 "--validation", "0.34", "--quiet", "--out", str(model),
                 "--checkpoint", str(checkpoint)])
    if code != 0:
        raise RuntimeError("the seed model could not be trained")
    rng = np.random.default_rng(0)
    table = np.c_[rng.normal(size=(6, 2)), [0, 1, 0, 1, 1, 0]]  # (6, 3): x1, x2, label
    paths = {"model": model, "checkpoint": checkpoint, "csv": folder / "seed.csv",
             "npy": folder / "seed.npy", "npz": folder / "seed.npz", "good.csv": good}
    paths["csv"].write_text(GOOD_CSV)
    np.save(paths["npy"], table)
    buf = io.BytesIO()
    np.savez(buf, X=table[:, :2], y=table[:, 2:])
    paths["npz"].write_bytes(buf.getvalue())
    return paths
