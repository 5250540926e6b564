"""What a new user's audit of the command line found: options named as typed, lists that agree."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
from typer.testing import CliRunner

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
