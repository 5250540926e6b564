"""Hostile conditions around the command: signals to a background job, the file-size limit,
memory that cannot hold the network, and terminal escapes hidden in a model file.

The bad inputs themselves are rows of the catalogue (tests/test_catalogue.py); these are
the cases that need a process of their own, a signal or a resource limit.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

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


PEAK_RSS = """
import json, resource, sys
import numpy as np
n, model, face = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if face == "cli":
    from chainrule.cli import main
    code = main(["train", "--dataset", "xor", "--epochs", str(n), "-q", "--json", "-o", model])
    rows = None
else:
    from chainrule import Network, fit
    from chainrule.data import load_dataset
    data = load_dataset("xor")
    history = fit(Network([2, 4, 1], "tanh", random_state=0), data.X, data.y, epochs=n,
                  optimizer="gd", learning_rate=0.5, batch_size=None)
    code, rows = 0, [len(history.cost), float(np.asarray(history.cost)[-1])]
print(json.dumps({"code": code, "rows": rows,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}),
      file=sys.stderr)
"""


@pytest.mark.slow
@pytest.mark.parametrize("face", ["cli", "library"])
def test_a_hundred_thousand_epochs_keep_the_memory_of_a_thousand(tmp_path, face):
    # the history grows by a few bytes an epoch (compact NumPy columns), not 150, and the
    # whole of it stays available
    peaks = {}
    for epochs in (1_000, 100_000):
        model = tmp_path / f"xor_{epochs}.safetensors"
        proc = subprocess.run([sys.executable, "-c", PEAK_RSS, str(epochs), str(model), face],
                              capture_output=True, text=True, timeout=300)
        said = json.loads(proc.stderr.strip().splitlines()[-1])
        assert said["code"] == 0, proc.stderr
        if face == "cli":
            assert json.loads(proc.stdout)["epochs_run"] == epochs
        else:
            assert said["rows"][0] == epochs and said["rows"][1] < 0.01
        peaks[epochs] = said["peak_kib"]
    assert peaks[100_000] - peaks[1_000] < 5 * 1024, peaks  # within 5 MB


@pytest.fixture
def long_predictions(tmp_path):
    """A model and a CSV of 30,000 rows: predictions of 1.2 MB, more than a pipe holds."""
    model, data = tmp_path / "m.safetensors", tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    np.savetxt(data, np.c_[rng.normal(size=(30_000, 2)), np.arange(30_000) % 2],
               delimiter=",", header="a,b,label", comments="")
    assert main(["train", str(data), "--epochs", "1", "-q", "-o", str(model)]) == 0
    return model, data


def test_a_reader_that_stops_reading_ends_predict_quietly(long_predictions):
    # `chainrule predict model data | head -1`: the pipe closes under the writer
    model, data = long_predictions
    proc = subprocess.Popen([*CLI, "predict", str(model), str(data)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"p_0,p_1,predicted\n"
    proc.stdout.close()
    with proc.stderr:
        said = proc.stderr.read()
    assert proc.wait(timeout=60) == 141  # 128 + SIGPIPE, as a shell tool would
    assert said == b""  # nothing said: no one reads it


def test_the_file_size_limit_on_standard_output_is_an_error_not_a_short_file(
        long_predictions, tmp_path):
    model, data = long_predictions
    with open(tmp_path / "out.csv", "wb") as out:  # `chainrule predict ... > out.csv`
        proc = subprocess.run([*CLI, "predict", str(model), str(data)], stdout=out,
                              stderr=subprocess.PIPE, text=True, timeout=120,
                              preexec_fn=_file_size_limit(100_000),
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ("error: standard output: file too large: the limit on file size "
                           "(ulimit -f) was reached\n")


class _ShortWrites:
    """A file that takes at most 5 bytes a write, as a pipe or a size limit may."""

    def __init__(self):
        self.data = bytearray()

    def write(self, view):
        chunk = bytes(view[:5])
        self.data += chunk
        return len(chunk)


def test_a_write_cut_short_is_finished_or_fails():
    from chainrule.utils.files import WholeWriter

    f = _ShortWrites()
    assert WholeWriter(f).write(b"0123456789abc") == 13 and bytes(f.data) == b"0123456789abc"
    np.save(WholeWriter(f), np.arange(3.0))  # NumPy ignores the count it is given
    assert bytes(f.data[13:]).startswith(b"\x93NUMPY")
    np.testing.assert_array_equal(np.load(io.BytesIO(bytes(f.data[13:]))),
                                  np.arange(3.0))
    full = _ShortWrites()
    full.write = lambda view: 0  # a file that takes nothing more
    with pytest.raises(OSError, match="accepted no more bytes"):
        WholeWriter(full).write(b"x")


ROOT = Path(__file__).resolve().parent.parent


def test_the_fuzz_harness_runs_every_kind_and_finds_nothing(tmp_path):
    # `make fuzz` runs it with 10,000 files of each kind; here a few, to keep it working
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "fuzz", "--examples", "6", "--out", str(out),
                           "--findings", str(tmp_path / "findings")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())
    assert [r["kind"] for r in results] == ["model", "checkpoint", "csv", "npy", "npz"]
    for r in results:
        assert r["examples"] == 6 and sum(r["cli"].values()) == 6 and not r["findings"]
        assert sum(r["library"].values()) >= 6 * 2
    assert "0 finding(s)" in proc.stdout


def test_the_fuzz_harness_reports_an_error_that_is_not_chainrules(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT))
    try:
        from fuzz import targets
    finally:
        sys.path.remove(str(ROOT))

    def broken(path):
        raise TypeError("a bug")

    monkeypatch.setitem(targets.LOADERS, "csv", [("broken", broken)])
    tally = targets.Tally()
    targets.run_loaders("csv", tmp_path / "x.csv", tally)
    assert tally.findings == [{"where": "broken", "error": "TypeError: a bug"}]
