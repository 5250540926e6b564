"""One tab's run without a browser: the library's numbers, determinism, files, views."""

from __future__ import annotations

import ast
import base64
import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import chainrule.playground
from chainrule import Model, load_model
from chainrule.cli import app
from chainrule.data import load_dataset
from chainrule.playground import library
from chainrule.playground.catalogue import CATALOGUE
from chainrule.playground.protocol import BadMessage, Config
from chainrule.playground.server import _names
from chainrule.playground.session import Session

XOR = Config(data="xor", n=120, noise=0.05, seed=3, hidden=(4,), act=("tanh",), lr=0.05)


def session(config=XOR):
    s = Session(_names())
    s.apply_config(config)
    return s


def train(s, epochs):
    s.handle({"type": "play"})
    s.target_epoch = epochs
    s.playing = False
    for _ in range(10_000):
        if not s.busy:
            break
        s.train_slice()
    assert s.run.epoch == epochs


def test_slices_do_not_change_the_run():
    """Training to epoch E gives the same weights however the epochs are sliced."""
    a, b = session(), session()
    for _ in range(7):
        a.handle({"type": "step"})
    train(b, 7)
    assert np.array_equal(a.run.network.params, b.run.network.params)
    assert a.run.costs == b.run.costs


def test_the_url_epoch_reproduces_a_run():
    a = session()
    train(a, 25)
    b = session(replace(XOR, epoch=25))
    assert b.busy
    for _ in range(10_000):
        if not b.busy:
            break
        b.train_slice()
    assert np.array_equal(a.run.network.params, b.run.network.params)


def test_reset_gives_the_first_weights_back():
    s = session()
    first = s.run.network.params.copy()
    train(s, 5)
    assert not np.array_equal(first, s.run.network.params)
    s.handle({"type": "reset"})
    assert s.run.epoch == 0 and np.array_equal(first, s.run.network.params)


def test_the_ledger_is_the_librarys_chain_rule():
    s = session()
    train(s, 10)
    out = s.handle({"type": "ledger", "param": "W2[1,3]", "example": 5})
    (led,) = [m for m in out if m["type"] == "ledger"]
    net = s.run.network
    x, y = s.run.data.X_train[5], s.run.data.Y_train[5]
    chain = net.chain_rule(x, y, "W2[1,3]")
    assert led["x"] == x.tolist() and led["y"] == y.tolist()
    for f, g in zip(led["factors"], chain.factors, strict=True):
        assert f["symbol"] == g.symbol and f["formula"] == g.formula
        np.testing.assert_allclose(np.asarray(f["value"]), g.value, rtol=0, atol=1e-12)
    assert abs(led["product"] - chain.value) <= 1e-12
    assert abs(led["backprop"] - chain.backprop) <= 1e-12


def test_the_frame_shows_the_network_outputs():
    s = session()
    frame = s.frame()
    grid = np.frombuffer(base64.b64decode(frame["grid"]), np.uint8).reshape(-1, 2)
    P = s.view.inputs
    A = s.run.network.predict(P)
    assert np.array_equal(grid[:, 0], A.argmax(axis=1))
    assert frame["params"] == s.run.network.params.tolist()
    assert len(frame["grad"]) == s.run.network.n_layers


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_data_set_starts_with_its_preset(name):
    entry = CATALOGUE[name]
    p = entry.preset
    c = replace(Config(), data=name, n=60, hidden=tuple(p["hidden"]), act=tuple(p["act"]),
                out=p["out"], cost=p["cost"], opt=p["opt"], lr=p["lr"], batch=p["batch"])
    s = session(c)
    assert s.run.data.task == entry.task
    s.handle({"type": "step"})
    frame = s.frame()
    assert frame["epoch"] == 1 and frame["train"][0] is not None
    kind = s.view.kind
    assert ("grid" in frame) == (kind in ("regions", "heat"))


def test_a_builtin_set_is_the_librarys():
    s = session()
    ds = load_dataset("xor_blobs", n_samples=120, noise=0.05, random_state=3)
    assert np.array_equal(s.run.data.X, ds.X)


CSV = "a,b,c,label\n" + "".join(
    f"{x:.3f},{y:.3f},{x * y:.3f},{'cat' if x * y > 0 else 'dog'}\n"
    for x, y in np.random.default_rng(0).uniform(-1, 1, (60, 2)))


def test_a_csv_upload_is_standardised_and_classified():
    s = session()
    answer = s.upload_csv("pets.csv", CSV.encode())
    assert answer["columns"] == ["a", "b", "c", "label"] and answer["target"] == "label"
    out = s.apply_config(replace(XOR, data="csv", target="label"))
    data = next(m for m in out if m["type"] == "data")
    assert data["classes"] == ["cat", "dog"] and data["features"] == ["a", "b", "c"]
    X = s.run.data.X
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    with pytest.raises(ValueError, match="row 2, column 'label': cannot read 'dog'"):
        s.apply_config(replace(XOR, data="csv", target="c", out="identity",
                               cost="squared_error"))  # text is no input
    s.upload_csv("numbers.csv", "\n".join(",".join(r.split(",")[:3])
                                         for r in CSV.splitlines()).encode())
    out = s.apply_config(replace(XOR, data="csv", target="c", out="identity",
                                 cost="squared_error"))
    assert next(m for m in out if m["type"] == "data")["task"] == "regression"


@pytest.mark.parametrize(("text", "words"), [
    ("a,b,c\n1,x,0\n", "row 2"),
    ("", "pets.csv"),
    ("a,b\n1,2,3\n", "pets.csv"),
    ("a,b\nnan,1\n", "pets.csv"),
])
def test_a_bad_csv_is_refused_by_name(text, words):
    s = session()
    with pytest.raises(ValueError) as info:
        s.upload_csv("pets.csv", text.encode())
    assert words in str(info.value) and "chainrule-playground-" not in str(info.value)
    assert s.csv is None


def test_csv_without_upload_is_explained():
    s = session()
    with pytest.raises(BadMessage, match="no CSV file uploaded"):
        s.apply_config(replace(XOR, data="csv"))


def cli_model(tmp_path, *args):
    """The model ``chainrule train ARGS`` writes (one epoch: its fields, not its weights)."""
    out = tmp_path / "cli.safetensors"
    r = CliRunner().invoke(app, ["train", *map(str, args), "--epochs", "1", "-q", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    return load_model(out)


# what a model file says of its data: the page's and the command line's must agree
DATA_FIELDS = ("task", "feature_names", "classes", "class_names", "target_names", "dataset")


def test_the_model_file_is_the_one_chainrule_train_writes(tmp_path):
    s = session()
    train(s, 3)
    path = tmp_path / "m.safetensors"
    path.write_bytes(s.model_file())
    model = load_model(path)
    assert isinstance(model, Model) and np.array_equal(model.network.params,
                                                       s.run.network.params)
    cli = cli_model(tmp_path, "--dataset", "xor_blobs")
    for name in DATA_FIELDS:
        assert getattr(model, name) == getattr(cli, name), name
    assert model.classes == [0, 1] and model.class_names == ["same_sign", "opposite_sign"]
    assert model.scaler is None and model.data_file is None
    # its predictions are the page's network's classes
    ds = load_dataset("xor_blobs", n_samples=120, noise=0.05, random_state=3)
    assert np.array_equal(model.predict(ds.X), s.run.network.predict(ds.X).argmax(axis=1))
    t = model.training
    assert (t["epochs_run"], t["epochs"], t["optimizer"], t["seed"]) == (3, 3, "adam", 3)
    assert t["learning_rate"] == 0.05 and t["final_cost"] == s.run.costs[0][-1]
    assert t["playground"]["data"] == "xor"
    # and loaded back into another tab: same network, same weights, same config
    t = session(Config())
    out = t.load_model("m.safetensors", path.read_bytes())
    assert t.config.data == "xor" and t.config.hidden == (4,)
    assert np.array_equal(t.run.network.params, model.network.params)
    assert any(m["type"] == "net" and m["loaded"] == "m.safetensors" for m in out)


def test_a_csv_model_keeps_its_scaling_and_text_classes(tmp_path):
    s = session()
    s.upload_csv("pets.csv", CSV.encode())
    s.apply_config(replace(XOR, data="csv", target="label"))
    train(s, 5)
    path = tmp_path / "pets.safetensors"
    path.write_bytes(s.model_file())
    model = load_model(path)
    table = pd.read_csv(io.StringIO(CSV))
    # the raw table, columns by name: the file scales it and names the classes itself
    expected = np.array(["cat", "dog"])[s.run.network.predict(s.run.data.X).argmax(axis=1)]
    assert np.array_equal(model.predict(table), expected)
    assert model.feature_names == ("a", "b", "c") and model.data_file == "pets.csv"
    csv = tmp_path / "pets.csv"
    csv.write_text(CSV)
    cli = cli_model(tmp_path, csv, "--target", "label")
    for name in DATA_FIELDS:
        assert getattr(model, name) == getattr(cli, name), name
    assert np.array_equal(model.scaler.mean_, cli.scaler.mean_)
    assert np.array_equal(model.scaler.scale_, cli.scaler.scale_)
    # a tab whose CSV has other columns is told so, and keeps its run
    t = session()
    t.upload_csv("other.csv", CSV.replace("a,b,c,label", "u,v,w,label").encode())
    t.apply_config(replace(XOR, data="csv", target="label"))
    with pytest.raises(BadMessage, match="takes the inputs a, b, c; the page's data set has "
                                         "u, v, w"):
        t.load_model("pets.safetensors", path.read_bytes())
    assert t.run.data.feature_names == ("u", "v", "w")


def test_a_model_the_command_line_trained_opens_in_the_page(tmp_path):
    cli_model(tmp_path, "--dataset", "wave", "--hidden", "5,3")
    blob = (tmp_path / "cli.safetensors").read_bytes()
    s = session()
    s.load_model("cli.safetensors", blob)
    assert s.config.data == "wave" and s.config.hidden == (5, 3)
    assert s.config.out == "identity" and s.config.cost == "squared_error"
    assert np.array_equal(s.run.network.params, load_model(tmp_path / "cli.safetensors")
                          .network.params)


def _column(values):
    return "x,t\n" + "".join(f"{0.1 * k:.1f},{v}\n" for k, v in enumerate(values))


RNG = np.random.default_rng(5)
TARGETS = {  # a target column, and what the page and `chainrule train` both make of it
    "text labels": (["cat", "dog", "emu"] * 10, ["cat", "dog", "emu"]),
    "three whole numbers": ([3, 5, 7] * 10, [3, 5, 7]),
    "fifteen whole numbers": (list(range(15)) * 2, list(range(15))),
    "twenty-five whole numbers": (list(range(25)) + [0] * 5, None),
    "fractions": (np.round(RNG.uniform(0, 1, 30), 3).tolist(), None),
    "one value": ([4] * 30, None),
}


@pytest.mark.parametrize("case", TARGETS)
def test_the_page_and_chainrule_train_tell_classes_from_numbers_alike(case, tmp_path):
    values, classes = TARGETS[case]
    text = _column(values)
    data = library.from_csv(text.encode(), "t.csv", "t", 0.3, 0)
    csv = tmp_path / "t.csv"
    csv.write_text(text)
    cli = cli_model(tmp_path, csv, "--target", "t")
    assert data.task == cli.task == ("regression" if classes is None else "classification")
    assert cli.classes == classes and (data.classes is None) == (classes is None)
    if classes is not None:
        assert list(data.classes) == classes
        assert list(data.class_names) == [str(c) for c in classes]
        assert np.array_equal(np.asarray(classes)[data.labels], values)


def test_a_stray_word_in_a_numeric_target_is_refused_as_the_command_line_refuses_it():
    with pytest.raises(ValueError, match=r"t\.csv: row 4, column 't': cannot read 'oops'"):
        library.from_csv(_column([1.5, 2.5, "oops", 3.5]).encode(), "t.csv", "t", 0.3, 0)


def test_the_playground_reads_model_files_through_the_model_only():
    """``chainrule.io.read_model_file`` gives (network, metadata); the playground never uses it."""
    folder = Path(chainrule.playground.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:  # `from ..io import x`, `chainrule.io.model_file`
                assert "io" not in module.split("."), (path.name, module)


def test_a_bad_model_file_is_refused_by_name():
    s = session()
    with pytest.raises(ValueError) as info:
        s.load_model("evil.safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    assert "evil.safetensors" in str(info.value)
    assert s.run.data.name == "xor_blobs"  # the tab is as it was


def test_divergence_pauses_with_the_librarys_message():
    s = session(replace(XOR, opt="gd", lr=10.0, out="identity", cost="squared_error",
                        act=("relu",), hidden=(16,)))
    s.handle({"type": "play"})
    errors = []
    for _ in range(300):
        errors += [m for m in s.train_slice() if m["type"] == "error"]
        if errors:
            break
    assert errors and "diverged" in errors[0]["message"] and not s.playing
    assert np.isfinite(s.run.network.params).all()
