"""Hostile conditions around the command: signals to a background job, the file-size limit,
memory that cannot hold the network, and terminal escapes hidden in a model file.

The bad inputs themselves are rows of the catalogue (tests/test_catalogue.py); these are
the cases that need a process of their own, a signal or a resource limit.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule
from catalogue_support import with_metadata
from chainrule.cli import main
from chainrule.cli import progress as progress_module
from chainrule.cli import train as train_module
from chainrule.train.checkpoint import load_checkpoint
from chainrule.utils import memory

CLI = [sys.executable, "-m", "chainrule"]
SPIRAL = ["train", "--dataset", "spiral", "--hidden", "16,16", "--batch-size", "20",
          "--seed", "3", "--quiet"]


def _sigint_ignored() -> None:
    """What a shell does for a job a script starts with ``&``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(*args: object) -> subprocess.CompletedProcess:
    out = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out


@pytest.mark.slow
def test_sigterm_to_a_background_job_saves_as_sigint_does_then_resumes_exactly(tmp_path):
    ck, out = tmp_path / "ck", tmp_path / "model.safetensors"
    proc = subprocess.Popen([*CLI, *SPIRAL, "--epochs", "100000", "--out", str(out),
                             "--checkpoint", str(ck), "--checkpoint-every", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_sigint_ignored)
    deadline = time.monotonic() + 60
    while not ck.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)  # until training is under way
    proc.send_signal(signal.SIGINT)  # ignored: had it stopped the run, the exit would be 130
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr and stdout == ""
    assert "terminated after" in stderr and "at once" not in stderr
    assert f"saved to {out}" in stderr and f"--checkpoint {ck} --resume" in stderr
    saved = load_checkpoint(ck)
    model = chainrule.load_model(out)
    assert model.training["status"] == "terminated"
    np.testing.assert_array_equal(model.network.params, saved.state["params"])
    epochs = saved.epoch + 2
    _run(*SPIRAL, "--epochs", epochs, "--out", tmp_path / "resumed.safetensors",
         "--checkpoint", ck, "--resume")
    _run(*SPIRAL, "--epochs", epochs, "--out", tmp_path / "straight.safetensors")
    np.testing.assert_array_equal(
        chainrule.load_model(tmp_path / "resumed.safetensors").network.params,
        chainrule.load_model(tmp_path / "straight.safetensors").network.params)


@pytest.fixture
def sigint_ignored():
    """This process with SIGINT ignored, as a background job of a script."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _terminate_at_epoch(monkeypatch, epoch: int, times: int = 1) -> None:
    """Send this process SIGTERM (``times`` times) when the progress reaches ``epoch``."""
    on_epoch = progress_module.Progress.on_epoch

    def and_terminate(self, info):
        on_epoch(self, info)
        if info.epoch == epoch:
            for _ in range(times):
                os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(progress_module.Progress, "on_epoch", and_terminate)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_sigterm_with_sigint_ignored_stops_after_the_step_in_flight(
        optimizer, sigint_ignored, monkeypatch, tmp_path, capsys):
    _terminate_at_epoch(monkeypatch, 3)
    out = tmp_path / "m.safetensors"
    code = main(["train", "--dataset", "xor", "--optimizer", optimizer, "--epochs", "50",
                 "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 143, err
    assert "terminated after 3 complete epoch(s); the model trained so far was saved" in err
    model = chainrule.load_model(out)
    assert model.training["status"] == "terminated" and model.training["epochs_run"] == 3
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # still ignored afterwards


def test_a_second_sigterm_with_sigint_ignored_stops_at_once(sigint_ignored, monkeypatch,
                                                            tmp_path, capsys):
    _terminate_at_epoch(monkeypatch, 2, times=2)
    out = tmp_path / "m.safetensors"
    code = main(["train", "--dataset", "xor", "--epochs", "50", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 143, err
    assert "terminated at once" in err and not out.exists()


def _file_size_limit(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    return apply


def test_the_file_size_limit_exits_1_as_a_full_disk_does(tmp_path):
    # Python ignores SIGXFSZ, so a write past `ulimit -f` fails with EFBIG
    out = tmp_path / "m.safetensors"
    proc = subprocess.run([*CLI, "train", "--dataset", "xor", "--hidden", "64", "--epochs", "2",
                           "--quiet", "--out", str(out)], capture_output=True, text=True,
                          timeout=120, preexec_fn=_file_size_limit(2000),
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("error:") and "Traceback" not in proc.stderr
    assert "file too large: the limit on file size (ulimit -f) was reached" in proc.stderr
    assert list(tmp_path.iterdir()) == []  # no partial file, no temporary one


def test_a_network_too_large_for_memory_is_refused_with_the_memory_it_needs(
        monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(memory, "physical_memory", lambda: 16 * 2**30)
    code = main(["train", "--dataset", "xor", "--hidden", "100000,100000", "--quiet",
                 "--out", str(tmp_path / "m.safetensors")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err == ("error: --hidden: training a 2-100000-100000-1 network with gd needs about "
                   "149 GiB (10,000,500,001 parameters, float64: the weights and their "
                   "gradients and the activations of a batch of 4), more than the 16 GiB of "
                   "memory this machine has\n")
    monkeypatch.setattr(memory, "physical_memory", lambda: 8 * 2**30)
    with pytest.raises(chainrule.ConfigError) as refused:
        chainrule.Network([2, 250_000_000, 1])
    assert str(refused.value) == (
        "layer_sizes: a 2-250000000-1 network needs about 14.9 GiB (1,000,000,001 parameters, "
        "float64: its weights and gradients), more than the 8 GiB of memory this machine has")


def test_running_out_of_memory_is_one_line_and_exit_1(monkeypatch, tmp_path, capsys):
    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(train_module, "Network", no_memory)
    code = main(["train", "--dataset", "xor", "--quiet", "--out", str(tmp_path / "m.st")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: out of memory") and err.count("\n") == 1


def test_info_shows_terminal_escapes_from_metadata_as_text(tmp_path, capsys):
    model = tmp_path / "m.safetensors"
    assert main(["train", "--dataset", "xor", "--epochs", "2", "--quiet", "--out",
                 str(model)]) == 0
    hostile = tmp_path / "hostile.safetensors"
    with_metadata(model, hostile, feature_names=["x\x1b[2J\x1b]0;owned\x07", "y\u202etxt"],
                  target_names=["t\x9b31m\nfake line"], dataset=None,
                  data_file="\x1b[31mred.csv")
    capsys.readouterr()
    assert main(["info", str(hostile)]) == 0
    out = capsys.readouterr().out
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert r"x\x1b[2J\x1b]0;owned\x07, y\u202etxt" in out
    assert r"t\x9b31m\nfake line" in out and r"\x1b[31mred.csv" in out
    assert main(["info", str(hostile), "--json"]) == 0  # JSON escapes them by itself
    document = capsys.readouterr().out
    assert "\x1b" not in document
    assert json.loads(document)["metadata"]["feature_names"][0] == "x\x1b[2J\x1b]0;owned\x07"
