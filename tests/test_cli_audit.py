"""What a new user's audit of the command line found: options named as typed, lists that agree."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from typer.testing import CliRunner

from chainrule import MLPClassifier, Model, Network, load_model
from chainrule.cli import app
from chainrule.nn.activations import ACTIVATIONS
from chainrule.nn.costs import COSTS

runner = CliRunner()


def _train_help() -> str:
    done = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "400"})
    assert done.exit_code == 0
    return " ".join(done.output.split())


def test_hidden_activations_agree_in_help_error_and_use(tmp_path):
    hidden = [n for n, a in ACTIVATIONS.items() if a.elementwise]
    assert "exp" in hidden and "softmax" not in hidden
    listed = "identity, tanh, logistic, relu, leaky_relu, softplus or exp"
    assert listed == ", ".join(hidden[:-1]) + " or " + hidden[-1]
    assert f"σ of the hidden layers: {listed}." in _train_help()
    unknown = runner.invoke(app, ["train", "--activation", "nope"])
    assert unknown.exit_code == 2 and f"a hidden layer takes {listed}" in unknown.output
    softmax = runner.invoke(app, ["train", "--activation", "softmax"])
    assert softmax.exit_code == 2
    assert "'softmax' can only be used on the output layer (--output-activation)" in \
        softmax.output
    out = tmp_path / "m.safetensors"
    done = runner.invoke(app, ["train", "--dataset", "xor", "--activation", "exp",
                               "--lr", "0.01", "--epochs", "2", "--quiet", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.exists()


def test_a_bad_output_activation_is_named_as_its_option(tmp_path):
    done = runner.invoke(app, ["train", "--dataset", "xor", "--cost", "cross_entropy",
                               "--output-activation", "tanh", "--epochs", "1",
                               "--out", str(tmp_path / "m.safetensors")])
    assert done.exit_code == 2
    assert "error: --output-activation: cost 'cross_entropy' needs a softmax" in done.output
    assert "error: output_activation" not in done.output


def test_train_help_lists_every_cost_task_limit_and_data_set():
    text = _train_help()
    assert ", ".join(list(COSTS)[:-1]) + " or " + list(COSTS)[-1] + "." in text
    assert "poisson" in text
    assert "up to 20 distinct whole numbers" in text and "few whole-number" not in text
    defaults = text[text.index("Defaults by data"):]
    for name in ("wave", "saddle"):
        assert f"--dataset {name}" in defaults
    assert "the defaults of a file of the same kind" in defaults


def test_explain_example_without_data_says_it_needs_data(tmp_path):
    out = tmp_path / "m.safetensors"
    assert runner.invoke(app, ["train", "--dataset", "xor", "--epochs", "2", "--quiet",
                               "--out", str(out)]).exit_code == 0
    done = runner.invoke(app, ["explain", str(out), "--x", "0,1", "--y", "1",
                               "--example", "3"])
    assert done.exit_code == 2
    assert "error: --example: picks a row of --data or --dataset" in done.output
    assert "from 0 to 0" not in done.output
    ok = runner.invoke(app, ["explain", str(out), "--dataset", "xor", "--example", "3",
                             "--json"])
    assert ok.exit_code == 0, ok.output


@pytest.mark.parametrize("host", ["999.1.1.1", "no-such-host.invalid"])
def test_a_bad_host_is_named_as_host(host):
    done = subprocess.run([sys.executable, "-m", "chainrule", "playground", "--no-browser",
                           "--host", host, "--port", "0"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert f"error: --host: cannot listen on {host}:0" in done.stderr
    assert "--port" not in done.stderr


def test_the_playground_without_its_extra_is_a_usage_error():
    code = ("import sys; sys.modules['starlette'] = None; from chainrule.cli import main; "
            "raise SystemExit(main(['playground', '--no-browser']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error: the playground needs starlette: pip install")


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                   (signal.SIGTERM, 143, "terminated")])
def test_the_playground_exits_130_on_ctrl_c_and_143_on_sigterm(sig, code, word):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "chainrule", "playground", "--no-browser",
                             "--port", "0"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()
        assert re.search(r"http://127\.0\.0\.1:\d+/", line), line
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == code
        assert f"error: playground {word}" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stderr.close()


# -- the audit's follow-ups ------------------------------------------------------------


def _xy(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] > 0).astype(int)


def _info(path) -> str:
    done = runner.invoke(app, ["info", str(path)])
    assert done.exit_code == 0, done.output
    return done.stdout


def test_info_of_models_fitted_in_python_shows_what_is_known_and_never_none(tmp_path):
    X, y = _xy()
    seeded = Model(Network([2, 4, 2], "tanh", cost="cross_entropy", random_state=0))
    seeded.fit(X, y, epochs=3, random_state=1, batch_size=16)
    seeded.save(tmp_path / "seeded.safetensors")
    plain = Model(Network([2, 4, 2], "tanh", cost="cross_entropy", random_state=0))
    plain.fit(X, y, epochs=2, optimizer="lbfgs")
    plain.save(tmp_path / "plain.safetensors")
    estimator = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs do not converge
        estimator.fit(X, y)
    estimator.to_model().save(tmp_path / "estimator.safetensors")
    texts = {name: _info(tmp_path / f"{name}.safetensors")
             for name in ("seeded", "plain", "estimator")}
    for text in texts.values():
        assert "None" not in text, text
    line = next(t for t in texts["seeded"].splitlines() if t.startswith("training"))
    assert "adam, η = 0.001, 3/3 epochs, batches of 16, seed 1, " in line and " s" in line
    line = next(t for t in texts["plain"].splitlines() if t.startswith("training"))
    assert "lbfgs, 2/2 epochs, full batch, seed not recorded" in line and "η" not in line
    line = next(t for t in texts["estimator"].splitlines() if t.startswith("training"))
    assert "MLPClassifier, optimizer not recorded, 3 epochs, seed not recorded" in line
    assert seeded.training["learning_rate"] == 0.001 and seeded.training["seconds"] >= 0
    # a run from Python records the history's mean C of the last epoch, and info says so
    cost = next(t for t in texts["seeded"].splitlines() if t.startswith("final cost"))
    assert cost.endswith("(mean over the last epoch's batches)"), cost


def test_info_of_a_trained_file_shows_the_cost_at_the_saved_weights_unlabelled(tmp_path):
    out = tmp_path / "m.safetensors"
    done = runner.invoke(app, ["train", "--dataset", "xor", "--epochs", "3", "--out", str(out)])
    assert done.exit_code == 0, done.output
    cost = next(t for t in _info(out).splitlines() if t.startswith("final cost"))
    assert "mean over" not in cost and cost.split()[4].rstrip(",") == \
        done.stdout.split()[4]  # the C of train's final line


def test_progress_says_mean_c_and_the_final_line_says_at_which_weights(tmp_path):
    out = tmp_path / "m.safetensors"
    done = runner.invoke(app, ["train", "--dataset", "xor", "--epochs", "3",
                               "--batch-size", "8", "--out", str(out)])
    assert done.exit_code == 0, done.output
    progress = [line for line in done.stderr.splitlines() if line.startswith("epoch")]
    assert progress and all("  mean C " in line for line in progress)
    final = done.stdout.splitlines()[0]
    assert final.startswith("final cost C = ") and " at the final weights (" in final
    C = float(final.split()[4])
    check = runner.invoke(app, ["evaluate", str(out), "--json"])
    assert check.exit_code == 0 and json.loads(check.stdout)["cost"] == pytest.approx(C, 1e-5)
    assert float(progress[-1].split()[4]) != pytest.approx(C, rel=1e-6)  # not the mean C


def test_the_best_epoch_is_counted_from_1_everywhere(tmp_path):
    out = tmp_path / "m.safetensors"
    args = ["--dataset", "spiral", "--epochs", "40", "--early-stopping", "--patience", "3",
            "--validation", "0.3", "--out", str(out)]
    done = runner.invoke(app, ["train", *args, "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    best = summary["best_epoch"]
    assert best is not None and 1 <= best < summary["epochs_run"]  # early stopping stopped
    assert summary["saved_epoch"] == best
    line = runner.invoke(app, ["train", *args]).stdout
    assert f"at the weights of epoch {best}, the best (" in line
    assert f"best epoch {best}, kept the weights of epoch {best}" in _info(out)
    history = load_model(out).training
    assert history["best_epoch"] == best
    # the library counts as the command does: History.epoch starts at 1
    X, y = _xy(200)
    model = Model(Network([2, 4, 2], "tanh", cost="cross_entropy", random_state=0))
    model.fit(X, y, epochs=40, learning_rate=0.05, early_stopping=True, patience=2,
              validation_split=0.3, random_state=0)
    h = model.history
    assert h.epoch[0] == 1 and model.training["best_epoch"] == h.best_epoch
    assert h.best_epoch == int(h.epoch[int(np.nanargmin(h.val_cost.to_numpy()))])


def _write_csv(path, header, rows, sep=","):
    path.write_text(sep.join(header) + "\n" + "".join(sep.join(map(str, r)) + "\n"
                                                      for r in rows))
    return path


@pytest.fixture
def integer_classifier(tmp_path):
    X, y = _xy()
    data = _write_csv(tmp_path / "train.csv", ["a", "b", "label"],
                      [(f"{a:.3f}", f"{b:.3f}", c) for (a, b), c in zip(X, y, strict=True)])
    out = tmp_path / "m.safetensors"
    done = runner.invoke(app, ["train", str(data), "--epochs", "2", "-q", "--out", str(out)])
    assert done.exit_code == 0, done.output
    return out, X, y


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_a_file_with_another_delimiter_hints_at_the_option(tmp_path, integer_classifier,
                                                           command):
    model, X, y = integer_classifier
    data = _write_csv(tmp_path / "semi.csv", ["a", "b", "label"],
                      [(a, b, c) for (a, b), c in zip(X, y, strict=True)], sep=";")
    done = runner.invoke(app, [command, str(model), str(data)])
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: {data}: has one column 'a;b;label'")
    assert "(is the file separated by ';'? pass --delimiter ';')" in done.stderr
    fixed = runner.invoke(app, [command, str(model), str(data), "--delimiter", ";"])
    assert fixed.exit_code == 0, fixed.output


def test_a_label_that_is_no_class_is_named_with_file_row_column_and_classes(
        tmp_path, integer_classifier):
    model, X, y = integer_classifier
    labels = [str(c) if k != 3 else "abc" for k, c in enumerate(y)]
    data = _write_csv(tmp_path / "abc.csv", ["a", "b", "label"],
                      [(a, b, c) for (a, b), c in zip(X, labels, strict=True)])
    done = runner.invoke(app, ["evaluate", str(model), str(data)])
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert done.stderr == (f"error: {data}: row 5, column 'label': label 'abc' is not one of "
                           "the model's classes [0, 1]\n")
    floats = _write_csv(tmp_path / "floats.csv", ["a", "b", "label"],
                        [(a, b, f"{c:.1f}") for (a, b), c in zip(X, y, strict=True)])
    whole = _write_csv(tmp_path / "whole.csv", ["a", "b", "label"],
                       [(a, b, c) for (a, b), c in zip(X, y, strict=True)])
    costs = [runner.invoke(app, ["evaluate", str(model), str(f), "--json"]) for f in
             (floats, whole)]
    assert all(c.exit_code == 0 for c in costs), costs[0].output
    assert json.loads(costs[0].stdout) == {**json.loads(costs[1].stdout), "data": str(floats)}


def test_landscape_help_shows_the_default_of_both_ranges():
    done = runner.invoke(app, ["landscape", "--help"], env={"COLUMNS": "400"})
    text = " ".join(done.output.split())
    default = "(default: ±4 around the current value; the NOT toy: -4,4)."
    assert f"LOW,HIGH of the x axis {default}" in text
    assert f"LOW,HIGH of the y axis {default}" in text


def test_an_overflowing_exp_layer_under_lbfgs_is_reported_as_divergence(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 2)) * 800  # exp(800) overflows float64
    data = _write_csv(tmp_path / "big.csv", ["a", "b", "label"],
                      [(a, b, int(a > 0)) for a, b in X])
    out = tmp_path / "m.safetensors"
    done = runner.invoke(app, ["train", str(data), "--no-standardize", "--activation", "exp",
                               "--optimizer", "lbfgs", "--epochs", "5", "-q",
                               "--out", str(out)])
    assert done.exit_code == 1 and done.stdout == ""
    *notes, error = done.stderr.splitlines()
    assert error.startswith("error: training diverged: the cost became non-finite in "
                            "iteration 1; not even the cost at the starting weights")
    assert all(n.startswith("note: ") for n in notes) and "Warning" not in done.stderr
    assert not out.exists()
