"""The ``chainrule`` command, end to end: typer's runner in-process, and real subprocesses.

Every run is small (a few epochs, tiny hidden layers) except the default heart job,
which is run once, in a subprocess, as a newcomer would run it.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from chainrule.cli import app
from chainrule.data import DATASETS, Standardizer, load_dataset
from chainrule.io import read_model_file
from chainrule.train.loop import evaluate

runner = CliRunner()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def invoke(*args: str):
    """Run the app in-process with its real exit code, stdout and stderr kept apart."""
    return runner.invoke(app, [str(a) for a in args])


def chainrule(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m chainrule ARGS`` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "chainrule", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(stderr: str, fragment: str) -> None:
    """A failed command says one thing: a single ``error:`` line, no traceback."""
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert fragment in errors[0], stderr
    assert "Traceback" not in stderr


def preprocessed(X: np.ndarray, meta: dict) -> np.ndarray:
    scaling = meta.get("standardizer")
    return Standardizer.from_dict(scaling).transform(X) if scaling else X


@pytest.fixture
def files(tmp_path: Path, rng: np.random.Generator) -> dict[str, Path]:
    """A classification CSV (3 features of very different scales, labels 3/5/7) and a
    regression NPZ, with a header-only CSV and a CSV holding a bad cell."""
    X = rng.normal(size=(90, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    labels = np.select([X[:, 0] < -0.4, X[:, 0] < 0.4], [3, 5], 7)
    cls = tmp_path / "cls.csv"
    lines = ["a,b,c,label"] + [",".join(map(repr, [*r, k])) for r, k in
                               zip(X.tolist(), labels.tolist())]
    cls.write_text("\n".join(lines) + "\n")
    reg = tmp_path / "reg.npz"
    np.savez(reg, X=X, y=np.column_stack([X[:, 0] * 2 + X[:, 2] / 100, X[:, 1] / 10]))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,0\n3,oops,1\n")
    empty = tmp_path / "header_only.csv"
    empty.write_text("a,b,label\n")
    return {"cls": cls, "reg": reg, "bad": bad, "empty": empty}


# ---------------------------------------------------------------------------
# train on every built-in set, on a CSV and on an NPZ
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_train_every_builtin_dataset(name: str, tmp_path: Path):
    out = tmp_path / f"{name}.safetensors"
    r = invoke("train", "--dataset", name, "--epochs", "3", "--hidden", "3", "--quiet",
               "--json", "--out", out)
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["status"] == "completed" and summary["epochs_run"] == 3
    assert np.isfinite(summary["final_cost"])
    net, meta = read_model_file(out)
    ds = load_dataset(name)
    assert net.layer_sizes == (ds.n_features, 3, ds.n_outputs)
    assert meta["dataset"] == name and meta["task"] == ds.task
    if ds.task == "classification":
        assert net.cost.name == "cross_entropy" and net.activations[-1].name == "softmax"
        assert meta["classes"] == list(range(ds.n_outputs))
        assert summary["final_accuracy"] is not None


def test_train_csv_then_predict_reproduces_network_predict(files: dict[str, Path],
                                                           tmp_path: Path):
    model = tmp_path / "cls.safetensors"
    r = invoke("train", files["cls"], "--epochs", "5", "--out", model, "--quiet")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("final cost C = ") and len(r.stdout.splitlines()) == 1
    net, meta = read_model_file(model)
    # integer labels 3, 5, 7 -> softmax over three classes; inputs standardised
    assert meta["task"] == "classification" and meta["classes"] == [3, 5, 7]
    assert net.layer_sizes[-1] == 3 and net.cost.name == "cross_entropy"
    assert meta["feature_names"] == ["a", "b", "c"] and meta["target_names"] == ["label"]
    table = np.loadtxt(files["cls"], delimiter=",", skiprows=1)
    X, labels = table[:, :3], table[:, 3]
    Xs = preprocessed(X, meta)
    expected = net.predict(Xs)
    assert abs(Xs.mean(axis=0)).max() < 1e-12 and np.allclose(Xs.std(axis=0), 1)

    r = invoke("predict", model, files["cls"])  # CSV on stdout
    assert r.exit_code == 0, r.stderr
    header, *rows = r.stdout.splitlines()
    assert header == "p_3,p_5,p_7,predicted"
    got = np.array([[float(v) for v in row.split(",")[:3]] for row in rows])
    np.testing.assert_array_equal(got, expected)
    assert [float(row.split(",")[3]) for row in rows] == \
        list(np.array([3, 5, 7])[expected.argmax(axis=1)])

    npy = tmp_path / "p.npy"
    r = invoke("predict", model, files["cls"], "--out", npy)
    assert r.exit_code == 0 and r.stdout == ""
    np.testing.assert_array_equal(np.load(npy), expected)

    r = invoke("evaluate", model, files["cls"], "--json")
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    Y = (labels[:, None] == np.array([3, 5, 7])).astype(float)
    C, acc = evaluate(net, preprocessed(X, meta), Y)
    assert result["cost"] == C and result["accuracy"] == acc and result["n_examples"] == 90


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_train_npz_then_predict_npy_is_exact(files: dict[str, Path], tmp_path: Path,
                                             dtype: str):
    model = tmp_path / "reg.safetensors"
    r = invoke("train", files["reg"], "--epochs", "4", "--hidden", "5", "--dtype", dtype,
               "--out", model, "--quiet")
    assert r.exit_code == 0, r.stderr
    net, meta = read_model_file(model)
    assert net.dtype == np.dtype(dtype) and meta["task"] == "regression"
    assert net.layer_sizes == (3, 5, 2) and net.activations[-1].name == "identity"
    out = tmp_path / "pred.npy"
    r = invoke("predict", model, files["reg"], "--out", out)
    assert r.exit_code == 0, r.stderr
    with np.load(files["reg"]) as npz:
        expected = net.predict(preprocessed(npz["X"], meta))
    got = np.load(out)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, expected)


def test_info_shows_the_architecture_and_training(tmp_path: Path):
    model = tmp_path / "xor.safetensors"
    assert invoke("train", "--dataset", "xor", "--epochs", "10", "-q", "-o", model).exit_code == 0
    r = invoke("info", model)
    assert r.exit_code == 0, r.stderr
    text = r.stdout
    assert "2-4-1" in text and "17 parameters" in text and "float64" in text
    assert "W(1) 4×2" in text and "σ = tanh" in text and "squared_error" in text
    assert "completed: gd" in text and "10/10 epochs" in text
    info = json.loads(invoke("info", model, "--json").stdout)
    assert info["layer_sizes"] == [2, 4, 1] and info["metadata"]["dataset"] == "xor"


def test_datasets_lists_every_builtin_set():
    r = invoke("datasets")
    assert r.exit_code == 0
    for name in DATASETS:
        assert name in r.stdout
    assert "1797" in r.stdout  # digits' size
    rows = json.loads(invoke("datasets", "--json").stdout)
    assert [row["name"] for row in rows] == list(DATASETS)


@pytest.mark.parametrize(("name", "n_in"), [("wave", 1), ("saddle", 2)])
def test_train_fits_the_built_in_curves(name: str, n_in: int, tmp_path: Path):
    """The playground's regression sets are the library's: ``train --dataset wave`` fits
    the sine with the recipe for files (200 epochs of a 16-unit tanh layer, Adam)."""
    from chainrule import load_model as load_whole_model

    listed = invoke("datasets").stdout
    assert next(line for line in listed.splitlines() if line.startswith(name)).split()[:5] \
        == [name, "regression", "200", str(n_in), "1"]
    out = tmp_path / f"{name}.safetensors"
    r = invoke("train", "--dataset", name, "-q", "--json", "--out", out)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["epochs_run"] == 200
    model = load_whole_model(out)
    assert model.dataset == name and model.task == "regression"
    assert model.target_names == ("y",) and model.scaler is None
    ds = load_dataset(name)
    assert model.score(ds.X, ds.y) > 0.95  # R²: the curve, not its mean (which scores 0)

def test_resume_from_a_checkpoint_is_bit_identical(tmp_path: Path):
    ck = tmp_path / "run.ckpt"
    common = ["--dataset", "xor", "-q", "--checkpoint-every", "50"]
    assert invoke("train", *common, "--epochs", "100", "--checkpoint", ck,
                  "-o", tmp_path / "half.safetensors").exit_code == 0
    r = invoke("train", *common, "--epochs", "200", "--checkpoint", ck, "--resume",
               "-o", tmp_path / "resumed.safetensors")
    assert r.exit_code == 0, r.stderr
    assert invoke("train", "--dataset", "xor", "-q", "--epochs", "200",
                  "-o", tmp_path / "straight.safetensors").exit_code == 0
    resumed, _ = read_model_file(tmp_path / "resumed.safetensors")
    straight, _ = read_model_file(tmp_path / "straight.safetensors")
    np.testing.assert_array_equal(resumed.params, straight.params)


# ---------------------------------------------------------------------------
# Errors: one line, the right exit code, no partial files
# ---------------------------------------------------------------------------


BAD = [
    # (arguments, exit code, message fragment); {t} is the test's folder
    (["train", "--no-such-option"], 2, "No such option"),
    (["train", "--epochs", "x"], 2, "Invalid value for '--epochs': expected a whole number, "
                                    "got 'x'"),
    (["train", "--epochs", "0"], 2, "Invalid value for '--epochs': expected at least 1, got 0"),
    (["train", "--dataset", "nope"], 2, "unknown name 'nope'"),
    (["train", "{t}/missing.csv"], 2, "no such file"),
    (["train", "{t}/bad.csv"], 2, "row 3, column 'b'"),
    (["train", "{t}/header_only.csv"], 2, "no data rows"),
    (["train", "{t}/cls.csv", "--target", "nope"], 2, "no column named 'nope'"),
    (["train", "--dataset", "xor", "--batch-size", "0"], 2,
     "Invalid value for '--batch-size': expected at least 1 example per step (or 'full'), "
     "got 0"),
    (["train", "--dataset", "xor", "--batch-size", "some"], 2,
     "Invalid value for '--batch-size': expected a whole number or 'full', got 'some'"),
    (["train", "--dataset", "xor", "--lr", "nan"], 2,
     "Invalid value for '--lr': expected a positive number, got 'nan'"),
    (["train", "--dataset", "xor", "--lr", "-1"], 2,
     "Invalid value for '--lr': expected a positive number, got '-1'"),
    (["train", "--dataset", "xor", "--hidden", "0"], 2,
     "Invalid value for '--hidden': every hidden layer needs at least one neuron, got '0'"),
    (["train", "--dataset", "xor", "--hidden", "4,-1"], 2,
     "Invalid value for '--hidden': every hidden layer needs at least one neuron, got '4,-1'"),
    (["train", "--dataset", "xor", "--hidden", "a,b"], 2,
     "Invalid value for '--hidden': expected layer sizes such as 6,7 (or 'none'), got 'a,b'"),
    (["train", "--dataset", "xor", "--optimizer", "magic"], 2,
     "Invalid value for '--optimizer': expected one of gd, gradient_descent, sgd, adam, lbfgs, "
     "got 'magic'"),
    (["train", "--dataset", "xor", "--cost", "magic"], 2,
     "Invalid value for '--cost': unknown name 'magic'"),
    (["train", "--dataset", "xor", "--output-activation", "magic"], 2,
     "Invalid value for '--output-activation': unknown name 'magic'"),
    (["train", "--dataset", "xor", "--validation", "1.5"], 2,
     "Invalid value for '--validation': expected a fraction in [0, 1), e.g. 0.1, got '1.5'"),
    (["train", "--dataset", "xor", "--validation", "0.99"], 2,
     "--validation: 0.99 of 4 examples leaves 4 for validation and 0 for training"),
    (["train", "--dataset", "xor", "--seed", "-1"], 2,
     "Invalid value for '--seed': expected at least 0, got -1"),
    (["train", "--dataset", "xor", "--activation", "magic"], 2,
     "Invalid value for '--activation': unknown name 'magic'"),
    (["train", "--dataset", "xor", "--out", "{t}/bad.csv/m.safetensors"], 2, "--out"),
    (["train", "--dataset", "xor", "--resume"], 2, "--resume"),
    (["train", "{t}/cls.csv", "--dataset", "xor"], 2, "not both"),
    (["predict", "{t}/missing.safetensors", "{t}/cls.csv"], 2, "no such file"),
    (["predict", "{t}/bad.csv", "{t}/cls.csv"], 2, "bad.csv"),
    (["info", "{t}"], 2, "folder"),
    (["landscape", "--param-x", "W1[3,3]"], 2, "out of range"),
    (["landscape", "--x-range", "2,1"], 2,
     "Invalid value for '--x-range': expected LOW,HIGH with LOW < HIGH, got '2,1'"),
    (["landscape", "--steps", "-1"], 2, "Invalid value for '--steps': expected at least 0, "
                                        "got -1"),
    (["landscape", "--resolution", "100000"], 2,
     "Invalid value for '--resolution': 100000 points per axis make a 100000×100000 grid "
     "(74.5 GiB"),
    (["landscape", "--lr", "0"], 2, "Invalid value for '--lr': expected a positive number, "
                                    "got '0'"),
    (["export", "{t}/m.safetensors"], 2, "--onnx: give the .onnx file"),
    (["export", "{t}/m.safetensors", "--onnx", "{t}/m.txt"], 2,
     "Invalid value for '--onnx': expected an .onnx file name, got"),
    (["predict", "{t}/m.safetensors", "{t}/cls.csv", "--out", "{t}/p.txt"], 2,
     "Invalid value for '--out' / '-o': expected a .csv or .npy file name, got"),
    (["landscape", "--out", "{t}/l.jpg"], 2,
     "Invalid value for '--out' / '-o': expected a .png file name, got"),
    (["landscape", "--start", "1"], 2, "Invalid value for '--start': expected 2 numbers, got 1 "
                                       "in '1'"),
    (["landscape", "--y-range", "0,inf"], 2,
     "Invalid value for '--y-range': expected finite numbers, got '0,inf'"),
    (["landscape", "--resolution", "1"], 2,
     "Invalid value for '--resolution': expected at least 2 points, got 1"),
    (["explain", "{t}/m.safetensors", "--example", "-1"], 2,
     "Invalid value for '--example': expected at least 0, got -1"),
    (["train", "--dataset", "xor", "--checkpoint-every", "0"], 2,
     "Invalid value for '--checkpoint-every': expected at least 1, got 0"),
]


@pytest.mark.parametrize(("args", "code", "fragment"), BAD,
                         ids=[" ".join(a[:3]) for a, _, _ in BAD])
def test_bad_input_is_one_line_and_exit_code(files: dict[str, Path], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, args: list[str],
                                             code: int, fragment: str):
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.rglob("*"))
    r = invoke(*[a.format(t=tmp_path) for a in args])
    assert r.exit_code == code, (r.stdout, r.stderr)
    assert_one_line_error(r.stderr, fragment)
    assert r.stdout == ""
    assert set(tmp_path.rglob("*")) == before  # nothing written, not even a temp file


def test_predict_refuses_wrong_features_and_unknown_classes(files: dict[str, Path],
                                                            tmp_path: Path):
    model = tmp_path / "m.safetensors"
    assert invoke("train", files["cls"], "--epochs", "2", "-q", "-o", model).exit_code == 0
    two = tmp_path / "two.csv"
    two.write_text("a,b\n1,2\n")
    r = invoke("predict", model, two)
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "has no column 'c'; the model's inputs are 'a', 'b', 'c' "
                                    "and the file's columns 'a', 'b'")
    more = tmp_path / "more.csv"
    more.write_text("a,b,c,label\n1,2,3,5\n1,2,3,9\n")
    r = invoke("evaluate", model, more)
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "more.csv: row 3, column 'label': label 9 is not one of "
                                    "the model's classes [3, 5, 7]")
    out = tmp_path / "p.csv"
    r = invoke("predict", model, two, "--out", out)
    assert r.exit_code == 2 and not out.exists()


def test_predict_on_a_one_column_csv_names_a_bad_cell(tmp_path: Path):
    model = tmp_path / "heart.safetensors"
    assert invoke("train", "--dataset", "heart", "--epochs", "5", "-q", "-o",
                  model).exit_code == 0
    t = tmp_path / "t.csv"
    t.write_text("t\n0.25\n0.75\n")
    r = invoke("predict", model, t)
    assert r.exit_code == 0 and r.stdout.splitlines()[0] == "x,y"
    assert len(r.stdout.splitlines()) == 3
    t.write_text("t\n0.25\nabc\n")
    r = invoke("predict", model, t)
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "row 3, column 't': cannot read 'abc'")


def test_divergent_run_exits_1_and_leaves_finite_weights(tmp_path: Path):
    model = tmp_path / "div.safetensors"
    r = invoke("train", "--dataset", "xor", "--activation", "relu", "--output-activation",
               "identity", "--lr", "1e3", "--epochs", "500", "-o", model, "--quiet")
    assert r.exit_code == 1, r.stderr
    assert_one_line_error(r.stderr, "diverged")
    assert f"saved to {model}" in r.stderr and r.stdout == ""
    net, meta = read_model_file(model)  # the loader itself refuses non-finite weights
    assert np.isfinite(net.params).all()
    assert meta["training"]["status"] == "diverged"
    r = invoke("train", "--dataset", "xor", "--activation", "relu", "--output-activation",
               "identity", "--lr", "1e3", "--epochs", "500", "-o", model, "--debug", "-q")
    assert r.exit_code == 1 and "Traceback" in r.stderr  # --debug shows where


def test_a_full_disk_is_a_failed_run_whatever_the_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    model = tmp_path / "xor.safetensors"
    assert invoke("train", "--dataset", "xor", "--epochs", "2", "-q", "-o", model).exit_code == 0

    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    before = set(tmp_path.iterdir())
    for args in (["predict", model, "--out", tmp_path / "p.csv"],
                 ["explain", model, "--x", "0,1", "--y", "1", "--latex", tmp_path / "c.tex"],
                 ["landscape", "--resolution", "5", "--steps", "0", "-o", tmp_path / "m.png"],
                 ["export", model, "--out", tmp_path / "m.onnx"]):
        r = invoke(*args)
        assert r.exit_code == 1, (args[0], r.stderr)  # the input was fine: exit 1, not 2
        assert_one_line_error(r.stderr, "space left on device")
    assert set(tmp_path.iterdir()) == before


def test_usage_error_from_typer_is_one_line(tmp_path: Path):
    r = chainrule("train", "--epochs", "-3", "--dataset", "xor", cwd=tmp_path)
    assert r.returncode == 2
    assert_one_line_error(r.stderr, "--epochs")
    assert len(r.stderr.splitlines()) == 1 and r.stdout == ""
    r = chainrule(cwd=tmp_path)  # bare command: help, not an error
    assert r.returncode == 0 and "train" in r.stdout and "predict" in r.stdout


# ---------------------------------------------------------------------------
# Streams, the default job, signals (real processes)
# ---------------------------------------------------------------------------


def test_stdout_carries_only_results_and_stderr_the_progress(tmp_path: Path):
    r = chainrule("train", "--dataset", "not_gate", "--epochs", "1000", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)  # nothing but the JSON document
    assert summary["model"] == "not_gate.safetensors" and summary["final_cost"] < 0.01
    assert (tmp_path / "not_gate.safetensors").is_file()
    progress = [line for line in r.stderr.splitlines() if line.startswith("epoch")]
    # not a terminal: plain lines, about twenty of them, the last one the last epoch
    assert 10 <= len(progress) <= 25 and progress[-1].startswith("epoch 1000/1000")
    assert "Training a 1-1 network on not_gate" in r.stderr
    quiet = chainrule("train", "--dataset", "not_gate", "--epochs", "10", "-q", cwd=tmp_path)
    assert quiet.stderr == "" and quiet.stdout.startswith("final cost C = ")


def test_default_train_is_the_heart_and_draws_it(tmp_path: Path):
    out = tmp_path / "demo-output"
    r = chainrule("train", "--out", out / "heart.safetensors", "--plot", out, cwd=tmp_path,
                  timeout=120)
    assert r.returncode == 0, r.stderr
    line = r.stdout.strip()
    assert line.startswith("final cost C = ") and len(r.stdout.splitlines()) == 1
    cost = float(line.split()[4])
    assert cost < 0.002, line
    assert "1-6-7-2" in r.stderr and "heart" in r.stderr
    assert f"wrote {out / 'heart.png'}" in r.stderr
    net, meta = read_model_file(out / "heart.safetensors")
    assert net.layer_sizes == (1, 6, 7, 2) and {a.name for a in net.activations} == {"logistic"}
    assert meta["training"]["final_cost"] == pytest.approx(cost, rel=1e-5)
    ds = load_dataset("heart")
    assert net.compute_cost(ds.X, ds.y) < 0.002
    for png in ("heart.png", "cost_curve.png"):
        data = (out / png).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 5000
    import matplotlib.image

    assert matplotlib.image.imread(out / "heart.png").shape[:2] == (500, 500)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_saves_the_model_and_checkpoint(tmp_path: Path, sig: signal.Signals, code: int):
    model, ck = tmp_path / "m.safetensors", tmp_path / "run.ckpt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "train", "--epochs", "100000000", "--out", model,
         "--checkpoint", ck], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # wait until training has begun
            if line.startswith("epoch"):
                break
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert_one_line_error(err, "the model trained so far was saved to")
    assert "--resume" in err and out == ""
    net, meta = read_model_file(model)
    assert meta["training"]["status"] == ("interrupted" if code == 130 else "terminated")
    assert np.isfinite(net.params).all()
    assert ck.is_file()
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]


# ---------------------------------------------------------------------------
# landscape, explain, export, tour
# ---------------------------------------------------------------------------


def test_landscape_default_is_the_not_toy(tmp_path: Path):
    png = tmp_path / "map.png"
    r = invoke("landscape", "--resolution", "41", "--out", png, "--json")
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["param_x"] == "W1[0,0]" and result["x_range"] == [-4.0, 4.0]
    assert result["path"]["start"] == [1.3, -0.1]
    assert result["path"]["cost_end"] < result["path"]["cost_start"]
    assert png.read_bytes()[:8] == PNG_MAGIC


def test_explain_prints_the_ledger_and_writes_latex(tmp_path: Path):
    model = tmp_path / "xor.safetensors"
    assert invoke("train", "--dataset", "xor", "--epochs", "20", "-q", "-o", model).exit_code == 0
    tex = tmp_path / "chain.tex"
    r = invoke("explain", model, "--x", "0,1", "--y", "1", "--param", "W1[0,1]",
               "--latex", tex)
    assert r.exit_code == 0, r.stderr
    assert "∂C_k/∂W(1)[0,1]" in r.stdout and "finite difference" in r.stdout
    assert tex.read_text().startswith("\\begin{aligned}")
    d = json.loads(invoke("explain", model, "--x", "0,1", "--y", "1", "--param", "W1[0,1]",
                          "--json").stdout)
    net, _ = read_model_file(model)
    net.backprop([[0.0, 1.0]], [[1.0]])
    assert d["product"] == pytest.approx(float(net.dW[0][0, 1]), rel=1e-12, abs=1e-15)


def test_export_writes_an_onnx_model(tmp_path: Path):
    import onnx

    model = tmp_path / "xor.safetensors"
    assert invoke("train", "--dataset", "xor", "--epochs", "5", "-q", "-o", model).exit_code == 0
    r = invoke("export", model, "--out", tmp_path / "xor.onnx")  # --out: the old name
    assert r.exit_code == 0, r.stderr
    onnx.checker.check_model(onnx.load(tmp_path / "xor.onnx"))
    assert "--onnx" in invoke("export", "--help").stdout
    r = invoke("export", model, "--onnx", tmp_path / "a.onnx", "--out", tmp_path / "b.onnx")
    assert r.exit_code == 2 and "give one" in r.stderr


@pytest.mark.parametrize(("dtype", "tol"), [("float64", 1e-9), ("float32", 1e-5)])
def test_exported_onnx_standardises_raw_inputs_as_predict_does(files: dict[str, Path],
                                                               tmp_path: Path, dtype: str,
                                                               tol: float):
    import onnx
    import onnxruntime as ort

    model = tmp_path / "cls.safetensors"
    r = invoke("train", files["cls"], "--epochs", "5", "--dtype", dtype, "-q", "-o", model)
    assert r.exit_code == 0, r.stderr
    assert read_model_file(model)[1]["standardizer"] is not None  # a CSV is standardised by default
    path = tmp_path / "cls.onnx"
    r = invoke("export", model, "--onnx", path)
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""  # no note about standardised inputs any more
    assert [n.op_type for n in onnx.load(path).graph.node[:2]] == ["Sub", "Div"]
    raw = np.loadtxt(files["cls"], delimiter=",", skiprows=1)[:, :3]  # raw units: 1, 10, 100
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"X": raw})[0]  # float64 in: the graph standardises in float64
    pred = tmp_path / "p.npy"
    assert invoke("predict", model, files["cls"], "-o", pred).exit_code == 0
    np.testing.assert_allclose(got, np.load(pred), rtol=tol, atol=tol)


def test_tour_without_the_heart(tmp_path: Path):
    r = invoke("tour", "--no-heart", "--out", tmp_path / "tour")
    assert r.exit_code == 0, r.stderr
    assert "0.834" in r.stdout and (tmp_path / "tour" / "q2_landscape.png").is_file()


# ---------------------------------------------------------------------------
# landscape options, explain --y, plots in data units
# ---------------------------------------------------------------------------


def test_landscape_resolution_applies_to_a_default_axis(files: dict[str, Path],
                                                        tmp_path: Path):
    png = tmp_path / "map.png"
    r = invoke("landscape", "--x-range", "-1,1", "--resolution", "11", "--steps", "0",
               "-o", png, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["resolution"] == [11, 11]
    model = tmp_path / "xor.safetensors"
    assert invoke("train", "--dataset", "xor", "--epochs", "2", "-q", "-o", model).exit_code == 0
    r = invoke("landscape", "--model", model, "--param-x", "W1[0,0]", "--param-y", "b1[0]",
               "--resolution", "7", "-o", png, "--json")
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    net, _ = read_model_file(model)
    w, b = float(net.W[0][0, 0]), float(net.b[0][0])
    assert result["resolution"] == [7, 7]
    assert result["x_range"] == pytest.approx([w - 4, w + 4], abs=1e-12)
    assert result["y_range"] == pytest.approx([b - 4, b + 4], abs=1e-12)
    assert result["chosen_by"] is None  # chosen by the user
    cls = tmp_path / "cls.safetensors"
    assert invoke("train", files["cls"], "--epochs", "2", "-q", "-o", cls).exit_code == 0
    r = invoke("landscape", "--model", cls, "-o", png)
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "--data: give a data file")


def test_a_models_landscape_defaults_to_the_parameters_that_matter(tmp_path: Path,
                                                                     rng: np.random.Generator):
    # the first column is always 0, like a blank pixel: its weights change no cost
    X = np.column_stack([np.zeros(60), rng.normal(size=(60, 2))])
    labels = np.where(X[:, 1] + X[:, 2] > 0, "yes", "no")
    data = tmp_path / "blank.csv"
    data.write_text("blank,a,b,label\n" + "".join(f"{r[0]!r},{r[1]!r},{r[2]!r},{k}\n"
                                                 for r, k in zip(X.tolist(), labels)))
    model = tmp_path / "blank.safetensors"
    assert invoke("train", data, "--target", "label", "--epochs", "3", "-q", "-o",
                  model).exit_code == 0
    png = tmp_path / "map.png"
    r = invoke("landscape", "--model", model, "--data", data, "--resolution", "9", "--steps",
               "3", "-o", png, "--json")
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    assert "W1[0,0]" not in (result["param_x"], result["param_y"])
    assert result["chosen_by"].startswith(f"{result['param_x']} and {result['param_y']}: the "
                                          "two parameters along which the examples' costs")
    r = invoke("landscape", "--model", model, "--data", data, "--resolution", "9", "-o", png)
    assert r.exit_code == 0, r.stderr
    assert f"the axes: {result['chosen_by']}" in r.stdout
    r = invoke("landscape", "--model", model, "--data", data, "--param-x", "W1[1,0]",
               "--param-y", "b1[0]", "--resolution", "9", "-o", png)
    assert r.exit_code == 0, r.stderr
    assert "warning: params: no example's cost depends on W1[1,0]" in r.stderr


def test_explain_takes_a_class_label_for_a_classifier(files: dict[str, Path], tmp_path: Path):
    model = tmp_path / "cls.safetensors"
    assert invoke("train", files["cls"], "--epochs", "2", "-q", "-o", model).exit_code == 0

    def product(y: str) -> float:
        r = invoke("explain", model, "--x", "0.1,5,-50", "--y", y, "--json")
        assert r.exit_code == 0, r.stderr
        return json.loads(r.stdout)["product"]

    assert product("7") == product("7.0") == product("0,0,1") != product("3")
    r = invoke("explain", model, "--x", "0.1,5,-50", "--y", "9")
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "--y: '9' is not a class of this model; its classes are "
                                    "3, 5, 7")
    spiral = tmp_path / "spiral.safetensors"
    assert invoke("train", "-d", "spiral", "--epochs", "1", "-q", "-o", spiral).exit_code == 0
    r = invoke("explain", spiral, "--x", "0.5,0.5", "--y", "arm_1", "--json")
    assert r.exit_code == 0, r.stderr
    r = invoke("explain", spiral, "--x", "0.5,0.5", "--y", "arm_9")
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "(or by name: 'arm_0', 'arm_1')")


def test_plots_are_drawn_in_the_data_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from chainrule import Model
    from chainrule.viz import plots as plotting

    x = np.linspace(-2, 2, 41)
    data = tmp_path / "sin.csv"
    data.write_text("x,y\n" + "".join(f"{a!r},{float(np.sin(a))!r}\n" for a in x.tolist()))
    seen: dict[str, object] = {}
    real = plotting.plot_fit_1d

    def spy(model, x_plot, y_true, ax=None):
        ax = real(model, x_plot, y_true, ax)
        targets, line = ax.get_lines()
        seen["x"], seen["grid"] = targets.get_xdata(), line.get_xdata()
        seen["line"], seen["model"] = line.get_ydata(), model
        seen["label"] = ax.get_xlabel()
        return ax

    monkeypatch.setattr(plotting, "plot_fit_1d", spy)
    r = invoke("train", data, "--target", "y", "--epochs", "2", "-q", "-o",
               tmp_path / "sin.safetensors", "--plot", tmp_path / "plots")
    assert r.exit_code == 0, r.stderr
    np.testing.assert_array_equal(np.asarray(seen["x"]).ravel(), x)  # not −1.7 … 1.7
    # the network's line: its outputs on a dense grid over the data, in the data's units
    grid = np.asarray(seen["grid"])
    assert grid.size > x.size and grid[0] == pytest.approx(-2.4) and grid[-1] == pytest.approx(2.4)
    np.testing.assert_allclose(seen["line"], seen["model"].outputs(grid[:, None])[:, 0])
    assert seen["label"] == "x"
    assert (tmp_path / "plots" / "fit.png").read_bytes()[:8] == PNG_MAGIC

    # the decision regions are drawn by a copy that takes raw inputs
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 2)) * [10.0, 0.1] + [100.0, 0.0]
    net, scaler = load_dataset_net(X)
    raw = Model(net, scaler=scaler).unscaled_network()
    np.testing.assert_allclose(raw.predict(X), net.predict(scaler.transform(X)), rtol=1e-12,
                               atol=1e-12)


def load_dataset_net(X: np.ndarray):
    from chainrule.nn.network import Network

    net = Network([2, 3, 2], "tanh", None, "cross_entropy", random_state=0)
    return net, Standardizer().fit(X)


# ---------------------------------------------------------------------------
# predict --target, text labels, values beyond float32, memory
# ---------------------------------------------------------------------------


def test_predict_drops_the_target_column_of_the_training_npy(tmp_path: Path):
    rng = np.random.default_rng(4)
    table = rng.normal(size=(40, 4))
    data = tmp_path / "t.npy"
    np.save(data, table)
    model = tmp_path / "t.safetensors"
    r = invoke("train", data, "--target", "last", "--epochs", "2", "-q", "-o", model)
    assert r.exit_code == 0, r.stderr
    r = invoke("predict", model, data)
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "has 4 feature columns; the model takes 3 (if its last "
                                    "column is the target, pass --target last)")
    features = tmp_path / "x.npy"
    np.save(features, table[:, :3])
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    assert invoke("predict", model, data, "--target", "last", "-o", a).exit_code == 0
    assert invoke("predict", model, features, "-o", b).exit_code == 0
    np.testing.assert_array_equal(np.load(a), np.load(b))
    r = invoke("evaluate", model, data, "--target", "last", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["n_examples"] == 40


def test_text_class_labels_in_a_csv(tmp_path: Path):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 2))
    names = np.where(X[:, 0] > 0.5, "dog", np.where(X[:, 0] < -0.5, "cat", "bird"))
    data = tmp_path / "pets.csv"
    data.write_text("a,b,animal\n" + "".join(f"{u!r},{v!r}, {k}\n" for (u, v), k in
                                             zip(X.tolist(), names.tolist())))
    model = tmp_path / "pets.safetensors"
    r = invoke("train", data, "--epochs", "30", "-q", "-o", model)
    assert r.exit_code == 0, r.stderr
    net, meta = read_model_file(model)
    assert meta["task"] == "classification" and meta["classes"] == ["bird", "cat", "dog"]
    r = invoke("predict", model, data)  # the label column is not read as an input
    assert r.exit_code == 0, r.stderr
    header, *rows = r.stdout.splitlines()
    assert header == "p_bird,p_cat,p_dog,predicted"
    P = net.predict(preprocessed(X, meta))
    assert [row.split(",")[-1] for row in rows] == \
        [["bird", "cat", "dog"][k] for k in P.argmax(axis=1)]
    r = invoke("evaluate", model, data, "--json")
    assert r.exit_code == 0, r.stderr
    Y = (names[:, None] == np.array(["bird", "cat", "dog"])).astype(float)
    assert json.loads(r.stdout)["cost"] == evaluate(net, preprocessed(X, meta), Y)[0]
    r = invoke("explain", model, "--x", "1,0", "--y", "dog", "--json")
    assert r.exit_code == 0, r.stderr

    typo = tmp_path / "typo.csv"  # a numeric target with a stray word is not a class
    typo.write_text("a,y\n1,0.5\n\n2,oops\n3,0.25\n")
    r = invoke("train", typo, "--epochs", "1", "-q", "-o", tmp_path / "t.safetensors")
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "typo.csv: row 4, column 'y': cannot read 'oops' as a number")
    r = invoke("train", typo, "--task", "classification", "--epochs", "1", "-q", "-o",
               tmp_path / "t.safetensors")
    assert r.exit_code == 0, r.stderr
    assert read_model_file(tmp_path / "t.safetensors")[1]["classes"] == ["0.25", "0.5", "oops"]


def test_values_beyond_float32_or_float64_squares_are_named(tmp_path: Path):
    data = tmp_path / "hugeval.csv"
    data.write_text("a,b,c,label\n1e300,2,3,0\n1,2,3,1\n")
    # float64: the statistics no longer overflow ((1e300)² would), so it trains
    r = invoke("train", data, "--target", "label", "-q", "--epochs", "3", "-o",
               tmp_path / "h.safetensors")
    assert r.exit_code == 0, r.stderr
    assert "warning" not in r.stderr
    _, meta = read_model_file(tmp_path / "h.safetensors")
    assert meta["standardizer"]["mean"][0] == 5e299 and meta["standardizer"]["scale"][0] == 5e299
    r = invoke("train", data, "--target", "label", "-q", "--epochs", "3", "--dtype", "float32",
               "--no-standardize", "-o", tmp_path / "f.safetensors")
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "hugeval.csv: row 2, column 'a': 1e+300 does not fit "
                                    "float32")
    assert not (tmp_path / "f.safetensors").exists()
    small = tmp_path / "small.csv"
    small.write_text("a,b,c,label\n1,2,3,0\n2,2,3,1\n3,1,1,0\n")
    model = tmp_path / "f32.safetensors"
    r = invoke("train", small, "-q", "--epochs", "2", "--dtype", "float32", "-o", model)
    assert r.exit_code == 0, r.stderr
    for command in ("predict", "evaluate"):
        r = invoke(command, model, data)
        assert r.exit_code == 2 and r.stdout == ""
        assert_one_line_error(r.stderr, "hugeval.csv: row 2, column 'a': 1e+300 (")
        assert "does not fit float32" in r.stderr and "warning" not in r.stderr.lower()


MEMORY_SCRIPT = """
import json, os, sys, tempfile, tracemalloc
import numpy as np
from chainrule.utils import validation as _validation
from chainrule import cli
from chainrule.cli import data_prep
from chainrule.train import loop as training

path, model, out = sys.argv[1:4]
block = 1 << 16  # 64 KiB blocks everywhere, so that a whole-file copy stands out
_validation.BLOCK_BYTES = data_prep.BLOCK_BYTES = block
_validation.check_finite.__defaults__ = (block,)
seen = {}
real_fit = training.fit

def recording_fit(net, X, Y, **kw):
    seen["peak_before_fit"] = tracemalloc.get_traced_memory()[1]
    seen["memmap"] = isinstance(X, np.memmap)
    seen["temp"] = str(X.filename)
    seen["temp_folder"] = os.listdir(tempfile.gettempdir())  # while fit reads the copy
    tracemalloc.stop()  # the library's own batches are not measured here
    return real_fit(net, X, Y, **kw)

# a first run on a small file imports every module: imports are not what is measured
small = path.replace(".npy", "_small.npy")
np.save(small, np.load(path, mmap_mode="r")[:100])
assert cli.main(["train", small, "--target", "last", "--epochs", "1", "-q", "-o", model]) == 0
assert cli.main(["predict", model, small, "--target", "last", "-o", out]) == 0
training.fit = recording_fit
tracemalloc.start()
assert cli.main(["train", path, "--target", "last", "--epochs", "1", "--hidden", "1",
                 "--batch-size", "4096", "-q", "-o", model]) == 0
tracemalloc.start()
assert cli.main(["predict", model, path, "--target", "last", "-o", out]) == 0
seen["peak_predict"] = tracemalloc.get_traced_memory()[1]
print(json.dumps(seen))
"""


def test_a_memory_mapped_npy_is_never_copied_whole(tmp_path: Path):
    n, k = 20_000, 26  # 4 MiB: about 64 of the script's blocks
    data = tmp_path / "big.npy"
    A = np.lib.format.open_memmap(data, mode="w+", dtype=np.float64, shape=(n, k))
    A[:] = np.random.default_rng(6).normal(size=(n, k))
    A.flush()
    del A
    model, out = tmp_path / "big.safetensors", tmp_path / "p.npy"
    temp = tmp_path / "temp"
    temp.mkdir()
    r = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, data, model, out],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path,
                       env={**os.environ, "TMPDIR": str(temp)})
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout.splitlines()[-1])
    size = data.stat().st_size
    # the standardised copy is a temporary file unlinked as soon as it was made (a kill
    # leaves nothing), still read through its open descriptor (elsewhere than Linux: a
    # temporary folder removed at the end)
    assert seen["memmap"] and list(temp.iterdir()) == []
    if os.path.isdir("/proc/self/fd"):
        assert seen["temp"].startswith("/proc/self/fd/") and seen["temp_folder"] == []
    # a whole copy would be 4 MiB; what is left (under 1 MiB) does not grow with the file
    assert seen["peak_before_fit"] < size / 4, (seen, size)
    assert seen["peak_predict"] < size / 4, (seen, size)
    net, meta = read_model_file(model)
    table = np.load(data)
    # blocks of rows go through BLAS in other groupings: equal to rounding
    np.testing.assert_allclose(np.load(out), net.predict(preprocessed(table[:, :-1], meta)),
                               rtol=1e-12, atol=1e-14)


def test_a_second_ctrl_c_inside_a_step_saves_nothing_and_says_so(tmp_path, monkeypatch, capsys):
    # The library raises KeyboardInterrupt at once on a second Ctrl-C, in the middle of a
    # step (its weights may be half updated): nothing is saved, the last checkpoint stays.
    from chainrule import cli
    from chainrule.train import loop as training

    ck, out = tmp_path / "run.ckpt", tmp_path / "m.safetensors"
    assert cli.main(["train", "--dataset", "xor", "--epochs", "3", "-q", "--checkpoint",
                     str(ck), "--out", str(out)]) == 0
    out.unlink()
    before = ck.read_bytes()

    def interrupted_mid_step(*args, **kwargs):
        kwargs["trainer"].in_step = True
        raise KeyboardInterrupt  # trainer.interrupted stays False

    monkeypatch.setattr(training, "fit", interrupted_mid_step)
    capsys.readouterr()
    code = cli.main(["train", "--dataset", "xor", "--epochs", "6", "-q", "--checkpoint",
                     str(ck), "--resume", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 130 and "Traceback" not in err
    assert "interrupted at once, in the middle of a step: the model was not saved" in err
    assert f"continue with --checkpoint {ck} --resume" in err
    assert not out.exists() and ck.read_bytes() == before


def test_a_ctrl_c_before_the_first_step_saves_nothing_and_says_so(tmp_path, monkeypatch,
                                                                   capsys):
    # Ctrl-C while fit checks the data (no step under way, no graceful stop): nothing saved
    from chainrule import cli
    from chainrule.train import loop as training

    out = tmp_path / "m.safetensors"

    def interrupted_in_set_up(*args, **kwargs):
        assert not kwargs["trainer"].in_step
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "fit", interrupted_in_set_up)
    code = cli.main(["train", "--dataset", "xor", "--epochs", "6", "-q", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 130 and "Traceback" not in err
    assert_one_line_error(err, "interrupted before training started: nothing was saved")
    assert f"(nothing was written to {out})" in err and "left as it was" not in err
    assert "in the middle of a step" not in err
    assert list(tmp_path.iterdir()) == []
    out.write_bytes(b"an older model")  # an OUT that exists is left as it was, and said so
    assert cli.main(["train", "--dataset", "xor", "--epochs", "6", "-q", "--out",
                     str(out)]) == 130
    assert f"({out} was left as it was)" in capsys.readouterr().err
    assert out.read_bytes() == b"an older model"


def test_a_second_ctrl_c_between_steps_says_nothing_more_was_saved(tmp_path: Path,
                                                                   monkeypatch, capsys):
    # steps were taken, then the library stopped outside a step without a graceful stop
    # (a second Ctrl-C while the interrupt checkpoint was written)
    from chainrule import cli
    from chainrule.train import loop as training

    out = tmp_path / "m.safetensors"
    real_fit = training.fit

    def stopped_after_steps(*args, **kwargs):
        real_fit(*args, **{**kwargs, "epochs": 2})
        raise KeyboardInterrupt  # trainer.interrupted is False, in_step too

    monkeypatch.setattr(training, "fit", stopped_after_steps)
    code = cli.main(["train", "--dataset", "xor", "--epochs", "6", "-q", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 130
    assert_one_line_error(err, "interrupted at once by a second signal, between steps: "
                               "nothing more was saved")
    assert not out.exists()


def test_divergence_and_saving_messages_name_only_checkpoints_that_exist(tmp_path: Path,
                                                                         capsys):
    from chainrule import cli

    ck, out = tmp_path / "ck" / "c.ckpt", tmp_path / "m.safetensors"
    code = cli.main(["train", "--dataset", "heart", "--activation", "identity",
                     "--output-activation", "identity", "--lr", "1e3", "--optimizer", "gd",
                     "--checkpoint", str(ck), "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 1 and "diverged" in err and "They were saved to" in err
    assert not ck.exists() and "(checkpoint:" not in err  # saved every 300 epochs: none yet


def test_resume_without_a_checkpoint_says_it_starts_afresh(tmp_path: Path):
    ck = tmp_path / "nonexist.ckpt"
    r = invoke("train", "--dataset", "xor", "--epochs", "2", "-q", "--checkpoint", ck,
               "--resume", "-o", tmp_path / "m.safetensors")
    assert r.exit_code == 0, r.stderr
    assert f"note: no checkpoint at {ck}; starting from the beginning" in r.stderr
    r = invoke("train", "--dataset", "xor", "--epochs", "3", "-q", "--checkpoint", ck,
               "--resume", "-o", tmp_path / "m.safetensors")
    assert r.exit_code == 0 and "note:" not in r.stderr  # it exists now: resumed


def test_a_squared_error_classifier_reports_accuracy(files: dict[str, Path], tmp_path: Path):
    model = tmp_path / "se.safetensors"
    # whole-number labels with a squared error are a regression unless --task says otherwise
    r = invoke("train", files["cls"], "--cost", "squared_error", "--task", "classification",
               "--epochs", "5", "--validation", "0.2", "-o", model, "--json")
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["final_accuracy"] is not None and summary["final_val_accuracy"] is not None
    assert " acc " in r.stderr  # the progress lines too
    net, meta = read_model_file(model)
    assert net.cost.name == "squared_error" and meta["classes"] == [3, 5, 7]
    r = invoke("evaluate", model, files["cls"], "--json")
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    table = np.loadtxt(files["cls"], delimiter=",", skiprows=1)
    Y = (table[:, -1:] == [3, 5, 7]).astype(float)
    C, acc = evaluate(net, preprocessed(table[:, :-1], meta), Y, classification=True)
    assert (result["cost"], result["accuracy"]) == (C, acc) and 0 < acc <= 1
    r = invoke("predict", model, files["cls"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "y_3,y_5,y_7,predicted"  # outputs, not probabilities
    r = invoke("train", "-d", "spiral", "--cost", "squared_error", "--epochs", "1", "-q",
               "-o", tmp_path / "sp.safetensors", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["final_accuracy"] is not None


def test_explain_y_takes_a_label_with_a_comma_and_one_output_in_0_1(tmp_path: Path):
    data = tmp_path / "text.csv"
    rows = [(0.1 * k, "a,b" if k % 2 else "c") for k in range(12)]
    data.write_text("x,lab\n" + "".join(f'{x!r},"{lab}"\n' for x, lab in rows))
    model = tmp_path / "comma.safetensors"
    assert invoke("train", data, "--epochs", "2", "-q", "-o", model).exit_code == 0

    def product(m: Path, y: str) -> float:
        r = invoke("explain", m, "--x", "0.3", "--y", y, "--json")
        assert r.exit_code == 0, r.stderr
        return json.loads(r.stdout)["product"]

    assert product(model, "a,b") == product(model, "1,0") != product(model, "c")
    bce = tmp_path / "bce.safetensors"
    r = invoke("train", data, "--cost", "binary_cross_entropy", "--epochs", "2", "-q", "-o", bce)
    assert r.exit_code == 0, r.stderr
    assert product(bce, "1") == product(bce, "c")  # y = 1 is the second class, 'c'
    assert product(bce, "0.3") != product(bce, "1")
    r = invoke("explain", bce, "--x", "0.3", "--y", "1.5")
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "or give its 1 output, a number in [0, 1]")


def test_nan_among_text_labels_is_a_missing_label(tmp_path: Path):
    data = tmp_path / "answers.csv"
    data.write_text("a,b,answer\n1,2,yes\n2,1,no\n3,3,nan\n4,0,inf\n")
    r = invoke("train", data, "--epochs", "1", "-q", "-o", tmp_path / "m.safetensors")
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "answers.csv: row 4, column 'answer': 'nan' is a missing "
                                    "value (NaN), not a class label")
    data.write_text("a,b,answer\n1,2,yes\n2,1,no\n4,0,inf\n")  # 'inf' is just a word
    r = invoke("train", data, "--epochs", "1", "-q", "-o", tmp_path / "m.safetensors")
    assert r.exit_code == 0, r.stderr
    assert read_model_file(tmp_path / "m.safetensors")[1]["classes"] == ["inf", "no", "yes"]


def test_explain_y_beyond_float32_names_the_option(tmp_path: Path):
    model = tmp_path / "f32.safetensors"
    assert invoke("train", "-d", "xor", "--epochs", "1", "-q", "--dtype", "float32", "-o",
                  model).exit_code == 0
    r = invoke("explain", model, "--x", "1,0", "--y", "1e39")
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "--y: value 1 ('x1_xor_x2'): 1e+39 does not fit float32")


# A command whose input stage (standardising a .npy, writing predictions) waits to be
# signalled; the temporary folder is watched while it waits and after it ends.
SLOW_SCRIPT = """
import importlib, sys, time
from chainrule import cli
module_name, stage = sys.argv[1].rsplit(".", 1)  # the library function that waits
module = importlib.import_module(module_name)
real = getattr(module, stage)

def slow(*args, **kwargs):
    result = real(*args, **kwargs)
    print("waiting", file=sys.stderr, flush=True)
    time.sleep(60)
    return result

setattr(module, stage, slow)
sys.exit(cli.main(sys.argv[2:]))
"""


def run_until_waiting(tmp_path: Path, stage: str, sig: signal.Signals, *args: object):
    temp = tmp_path / "temp"
    temp.mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SCRIPT, stage, *map(str, args)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "TMPDIR": str(temp)})
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("waiting"):
                break
        during = sorted(p.name for p in temp.iterdir())
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err, during, sorted(p.name for p in temp.iterdir())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_signal_while_a_npy_is_standardised_leaves_nothing(tmp_path: Path,
                                                             sig: signal.Signals):
    data = tmp_path / "t.npy"
    np.save(data, np.random.default_rng(8).normal(size=(300, 4)))
    out = tmp_path / "m.safetensors"
    code, stdout, err, during, after = run_until_waiting(
        tmp_path, "chainrule.data.scaling.scale_block", sig, "train", data, "--target", "last",
        "--epochs", "1", "-q", "-o", out)
    assert during == [] and after == []  # the copy was unlinked as soon as it was made
    assert not out.exists()
    if sig == signal.SIGTERM:
        assert code == 143 and stdout == ""
        assert_one_line_error(err, "error: terminated")
    else:
        assert code == -signal.SIGKILL


def test_sigterm_during_predict_removes_its_temporary_file_and_folders(tmp_path: Path):
    data = tmp_path / "t.csv"
    data.write_text("a,b\n" + "".join(f"{k},{k % 3}\n" for k in range(20)))
    model = tmp_path / "m.safetensors"
    assert invoke("train", data, "--epochs", "1", "-q", "-o", model).exit_code == 0
    code, stdout, err, _, _ = run_until_waiting(
        tmp_path, "chainrule.model.predictions.csv_text", signal.SIGTERM, "predict", model, data,
        "--out", tmp_path / "new" / "sub" / "p.csv")
    assert code == 143 and stdout == ""
    assert_one_line_error(err, "error: terminated")
    assert not (tmp_path / "new").exists()  # the temporary file and the folders made for it


def test_a_full_temporary_folder_names_the_standardised_copy(tmp_path: Path, monkeypatch,
                                                            capsys):
    from chainrule import cli
    from chainrule.data import scaling

    data = tmp_path / "d.npy"
    np.save(data, np.random.default_rng(0).normal(size=(300, 4)))
    real_open = open

    def full_disk(name, *args, **kwargs):
        if str(name).startswith("/proc/self/fd/") or "chainrule-" in str(name):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(scaling, "open", full_disk, raising=False)
    code = cli.main(["train", str(data), "--target", "last", "--epochs", "1", "-q",
                     "--out", str(tmp_path / "m.safetensors")])
    err = capsys.readouterr().err
    assert code == 1, err  # a full disk is a failed run, not bad input
    assert_one_line_error(err, "d.npy: cannot write its standardised copy")
    assert "no space left on device; set TMPDIR" in err and "--no-standardize" in err


def test_predict_gives_the_same_bits_for_a_npy_column_range_and_an_npz(tmp_path: Path,
                                                                      monkeypatch):
    # a memory-mapped .npy whose last column is the target, and the same data as an .npz:
    # blocks of the same rows, so BLAS groups every product the same way
    from chainrule import cli
    from chainrule.utils import validation

    rng = np.random.default_rng(0)
    table = np.column_stack([rng.normal(size=(500, 79)), rng.normal(size=500)])  # wide rows
    np.save(tmp_path / "d.npy", table)
    np.savez(tmp_path / "d.npz", X=table[:, :79], y=table[:, 79])
    model = tmp_path / "m.safetensors"
    assert cli.main(["train", str(tmp_path / "d.npy"), "--target", "last", "--epochs", "2",
                     "-q", "--out", str(model)]) == 0
    monkeypatch.setattr(validation, "BLOCK_BYTES", 8000)  # blocks of 12 rows
    outs = []
    for data, extra in (("d.npy", ["--target", "last"]), ("d.npz", [])):
        out = tmp_path / f"p_{data}.npy"
        assert cli.main(["predict", str(model), str(tmp_path / data), *extra,
                         "--out", str(out)]) == 0
        outs.append(np.load(out))
    assert outs[0].tobytes() == outs[1].tobytes()


def test_a_stop_while_writing_plots_says_the_model_was_saved(tmp_path: Path, monkeypatch,
                                                             capsys):
    from chainrule import cli
    from chainrule.cli import train as train_command

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_command, "write_plots", interrupted)
    out = tmp_path / "m.safetensors"
    code = cli.main(["train", "--dataset", "xor", "--epochs", "3", "-q", "--out", str(out),
                     "--plot", str(tmp_path / "plots")])
    err = capsys.readouterr().err
    assert code == 130
    assert_one_line_error(err, f"interrupted while writing the plots; the trained model was "
                               f"saved to {out}")
    assert read_model_file(out)[0].n_params > 0


def test_a_regression_target_far_from_zero_gets_a_note(tmp_path: Path, capsys):
    from chainrule import cli

    x = np.linspace(-2, 2, 60)
    for name, y, expected in (("off", 100 + 5 * np.sin(x), True), ("ok", np.sin(x), False)):
        path = tmp_path / f"{name}.csv"
        np.savetxt(path, np.c_[x, y], delimiter=",", header="x,y", comments="")
        assert cli.main(["train", str(path), "--target", "y", "--epochs", "2",
                         "--out", str(tmp_path / f"{name}.safetensors")]) == 0
        err = capsys.readouterr().err
        assert ("note: the target 'y' has mean 100" in err) is expected, err


def test_plots_draw_names_with_dollars_as_text(tmp_path: Path, rng: np.random.Generator):
    X = rng.normal(size=(40, 2))
    labels = np.where(X[:, 0] > 0, r"$\alpha$", r"$\foo$")
    path = tmp_path / "dollar.csv"
    rows = [r"$\frac{a}{b}$,$b$,tier"]
    rows += [f"{a},{b},{c}" for (a, b), c in zip(X.tolist(), labels)]
    path.write_text("\n".join(rows) + "\n")
    out, plots = tmp_path / "m.safetensors", tmp_path / "plots"
    r = invoke("train", path, "--epochs", "3", "-q", "-o", out, "--plot", plots)
    assert r.exit_code == 0, r.stderr
    assert (plots / "decision_regions.png").read_bytes()[:8] == PNG_MAGIC


def test_a_failure_while_writing_plots_says_the_model_was_saved(tmp_path: Path, monkeypatch,
                                                                 capsys):
    from chainrule import cli
    from chainrule.cli import train as train_command

    def broken(*args, **kwargs):
        raise ValueError("cannot draw")

    monkeypatch.setattr(train_command, "write_plots", broken)
    out = tmp_path / "m.safetensors"
    code = cli.main(["train", "--dataset", "xor", "--epochs", "3", "-q", "--out", str(out),
                     "--plot", str(tmp_path / "plots")])
    err = capsys.readouterr().err
    assert code == 1
    assert_one_line_error(err, "cannot draw")
    assert f"the trained model was saved to {out}" in err
    assert read_model_file(out)[0].n_params > 0


def test_a_diverged_summary_describes_the_kept_weights(tmp_path: Path):
    x = np.linspace(-3, 3, 200)
    path = tmp_path / "reg.csv"
    np.savetxt(path, np.c_[x, np.sin(x)], delimiter=",", header="x,y", comments="")
    model = tmp_path / "div.safetensors"
    # η = 1: the weights run away in epoch 2 (at η = 1e6 already in epoch 1, keeping nothing)
    r = invoke("train", path, "--lr", "1", "--optimizer", "gd", "--epochs", "50", "-o",
               model, "--json", "-q")
    assert r.exit_code == 1, r.stderr
    kept = int(r.stderr.split("at the end of epoch ")[1].split(",")[0])
    doc = json.loads(r.stdout)
    assert doc["status"] == "diverged" and doc["epochs_run"] == kept
    assert doc["final_cost"] is not None and np.isfinite(doc["final_cost"])
    _, meta = read_model_file(model)
    assert meta["training"]["epochs_run"] == kept
    assert meta["training"]["final_cost"] == doc["final_cost"]
    # the same fields as a completed run
    for key in ("layer_sizes", "activations", "cost", "dtype", "dataset", "data_file"):
        assert key in doc, key
    assert doc["data_file"] == str(path)


def test_curve_png_names_its_axes_after_the_target_columns(tmp_path: Path, monkeypatch):
    from chainrule import cli
    from chainrule.viz import plots as plotting

    t = np.linspace(0, 6, 50)
    path = tmp_path / "curve.csv"
    np.savetxt(path, np.c_[t, np.cos(t), np.sin(t)], delimiter=",", header="t,east,north",
               comments="")
    seen = {}
    real = plotting.plot_curve_2d

    def spy(*args, **kwargs):
        ax = real(*args, **kwargs)
        seen["labels"] = (ax.get_xlabel(), ax.get_ylabel())
        return ax

    monkeypatch.setattr(plotting, "plot_curve_2d", spy)
    assert cli.main(["train", str(path), "--target", "east,north", "--epochs", "2", "-q",
                     "-o", str(tmp_path / "m.safetensors"), "--plot",
                     str(tmp_path / "p")]) == 0
    assert seen["labels"] == ("east", "north")
    assert (tmp_path / "p" / "curve.png").exists()


def test_a_csv_must_name_the_model_inputs_and_target_may_not_be_one(tmp_path: Path):
    x = np.linspace(-2, 2, 30)
    train_csv = tmp_path / "ab.csv"
    np.savetxt(train_csv, np.c_[x, x ** 2, (x > 0).astype(int)], delimiter=",",
               header="a,b,label", comments="")
    model = tmp_path / "m.safetensors"
    assert invoke("train", train_csv, "--epochs", "2", "-q", "-o", model).exit_code == 0
    renamed = tmp_path / "cd.csv"
    renamed.write_text(train_csv.read_text().replace("a,b,label", "c,d,label", 1))
    for command in ("predict", "evaluate"):
        r = invoke(command, model, renamed)
        assert r.exit_code == 2, (command, r.stdout)
        assert_one_line_error(r.stderr, "cd.csv: has no column 'a', 'b'; the model's inputs "
                                        "are 'a', 'b' and the file's columns 'c', 'd'")
    r = invoke("evaluate", model, train_csv, "--target", "a")
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "--target: 'a' is one of the model's inputs ('a', 'b')")
    # a .npy has no names: its columns are taken by position
    np.save(tmp_path / "ab.npy", np.c_[x, x ** 2])
    assert invoke("predict", model, tmp_path / "ab.npy").exit_code == 0


def test_predict_does_not_read_the_target_array_of_a_npz(tmp_path: Path):
    X = np.linspace(-1, 1, 20)[:, None] * [1.0, 2.0]
    np.savez(tmp_path / "train.npz", X=X, y=(X[:, 0] > 0).astype(int))
    model = tmp_path / "m.safetensors"
    assert invoke("train", tmp_path / "train.npz", "--epochs", "2", "-q", "-o",
                  model).exit_code == 0
    np.savez(tmp_path / "text.npz", X=X, y=np.where(X[:, 0] > 0, "yes", "no"))  # dtype <U3
    r = invoke("predict", model, tmp_path / "text.npz")
    assert r.exit_code == 0, r.stderr
    assert len(r.stdout.splitlines()) == 1 + X.shape[0]


def test_a_constant_target_note_says_deviation_0_and_lbfgs_gets_no_lr_advice(tmp_path: Path,
                                                                              capsys):
    from chainrule import cli

    x = np.linspace(-2, 2, 40)
    path = tmp_path / "const.csv"
    np.savetxt(path, np.c_[x, np.full_like(x, 100.0)], delimiter=",", header="x,y",
               comments="")
    assert cli.main(["train", str(path), "--target", "y", "--epochs", "2", "--task",
                     "regression", "--out", str(tmp_path / "m.safetensors")]) == 0
    err = capsys.readouterr().err
    assert "note: the target 'y' has mean 100 and standard deviation 0;" in err, err
    assert "a larger --lr" in err
    assert cli.main(["train", str(path), "--target", "y", "--epochs", "2", "--task",
                     "regression", "--optimizer", "lbfgs", "--lr", "0.5", "--batch-size", "4",
                     "--out", str(tmp_path / "m.safetensors")]) == 0
    err = capsys.readouterr().err
    assert "note: the target 'y'" in err and "--lr)" not in err and "larger --lr" not in err
    assert "note: --lr and --batch-size do not apply to L-BFGS" in err
    assert cli.main(["train", str(path), "--target", "y", "--epochs", "2", "--task",
                     "regression", "--optimizer", "lbfgs", "--batch-size", "4",
                     "--out", str(tmp_path / "m.safetensors")]) == 0
    assert "note: --batch-size does not apply to L-BFGS" in capsys.readouterr().err


def test_checkpoint_every_needs_a_checkpoint(tmp_path: Path):
    out = tmp_path / "m.safetensors"
    r = invoke("train", "--dataset", "xor", "--epochs", "2", "--checkpoint-every", "1", "-o", out)
    assert r.exit_code == 2
    assert_one_line_error(r.stderr, "--checkpoint-every: needs --checkpoint PATH")
    assert not out.exists()


def test_info_shows_the_validation_accuracy(tmp_path: Path):
    model = tmp_path / "circle.safetensors"
    r = invoke("train", "--dataset", "circle", "--epochs", "3", "--validation", "0.25", "-q",
               "-o", model)
    assert r.exit_code == 0, r.stderr
    stored = read_model_file(model)[1]["training"]["final_val_accuracy"]
    assert stored is not None
    assert f"validation accuracy {stored:.1%}" in invoke("info", model).stdout


def test_a_count_of_one_number_is_singular():
    from chainrule.cli.options import parse_numbers
    from chainrule.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^--x: expected 1 number, got 2 in '0.5,0.3'$"):
        parse_numbers("0.5,0.3", "--x", 1)
    with pytest.raises(ConfigError, match=r"expected 2 numbers, got 1"):
        parse_numbers("0.5", "--x", 2)
