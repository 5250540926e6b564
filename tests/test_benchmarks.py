"""The benchmark runner: its quick mode runs and writes complete JSON (speed is not tested)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """``python -m benchmarks --quick`` once, in a fresh process, as a user would run it."""
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, json.loads(out.read_text()), proc.stdout


def test_quick_mode_writes_every_task(quick_run):
    path, data, stdout = quick_run
    assert data["quick"] is True
    assert set(data["results"]) == set("abcdefg")
    # nothing but the JSON and the plot is left in the folder: the write was atomic
    assert sorted(p.name for p in path.parent.iterdir()) == ["quick.json", "scaling.png"]
    assert f"wrote {path}" in stdout


def test_environment_is_recorded(quick_run):
    meta = quick_run[1]["meta"]
    assert meta["numpy_blas_kernel"] not in ("", "unknown")
    assert any(lib["user_api"] == "blas" for lib in meta["threadpool_info"])
    assert meta["versions"]["numpy"] and meta["versions"]["chainrule"]
    assert "python -m benchmarks --quick" in meta["command"]


def test_training_tasks_time_every_contender_and_do_the_same_work(quick_run):
    results = quick_run[1]["results"]
    for key in "abcd":
        for out in results[key]:
            unit = out["unit"]
            assert out["threads"] == 1
            contenders = out["contenders"]
            assert {"chainrule", "numpy", "pytorch"} <= set(contenders)
            base = contenders["chainrule"]
            assert base["ratio_to_chainrule"] == 1.0
            for r in contenders.values():
                s = r[f"seconds_per_{unit}"]
                assert 0 < s["min"] <= s["median"] <= s["max"]
                assert r["faults_per_step"] >= 0
                # same start, same work: final costs close (each library shuffles with
                # its own generator, and PyTorch's Adam puts ε elsewhere)
                assert abs(r["cost"] - base["cost"]) <= 0.05 * base["cost"], (key, r)
            # the NumPy loop shuffles with the same generator: identical results
            assert contenders["numpy"]["cost"] == pytest.approx(base["cost"], rel=1e-9)
            assert all(t["met"] in (True, False) for t in out["targets"])
    for out in results["a"] + results["b"]:
        assert "scikit-learn" in out["contenders"]
        # the estimator path beside fit, with the targets for it
        assert "estimator" in out["contenders"]
        assert {"MLPClassifier.fit / fit time", "MLPClassifier.fit / scikit-learn time",
                "MLPClassifier.fit / PyTorch time"} <= {t["name"] for t in out["targets"]}
        assert out["gemm"]["limit"] > 0
        assert out["gemm"]["chainrule_multiple"] > 0
        assert "accuracy" in out["contenders"]["chainrule"]
    assert {out["dtype"] for out in results["a"]} == {"float64", "float32"}
    # scikit-learn cannot put a tanh/logistic output on a regressor: not run, and said why
    assert "scikit-learn" in results["c"][0]["not_run"]
    assert "estimator" in results["c"][0]["not_run"]  # a classifier: the classification tasks


def test_landscape_scaling_and_memory_tasks(quick_run):
    data = quick_run[1]
    (e,) = data["results"]["e"]
    assert e["grid"] == [1000, 1000] and e["max_abs_difference"] < 1e-12
    assert e["speedup"] > 1
    f = data["results"]["f"]
    r = f["by_threads"]["1"]
    assert len(r["seconds_per_epoch_by_examples"]) == len(f["examples"])
    assert isinstance(r["slope_examples"], float)
    assert Path(f["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    g = data["results"]["g"]
    assert [run["threads"] for run in g["runs"]] == [1]
    for run in g["runs"]:
        assert run["peak_rss_mb"] > 0 and run["steps"] > 0
        assert run["peak_sampled_mb"]["RssAnon"] < run["peak_rss_mb"]
    assert data["targets"] and all("task" in t for t in data["targets"])


def test_bad_options_are_refused():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--tasks", "az"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert "--tasks: unknown task(s) z" in proc.stderr


@pytest.mark.parametrize(("argv", "message"), [
    (["--rounds", "-2"], "--rounds: expected a number of at least 1, got -2"),
    (["--device", "tpu"], "argument --device: expected cpu, cuda or cuda:N"),
    (["--device", "cuda:x"], "argument --device: expected cpu, cuda or cuda:N"),
    (["--device", "cuda", "--rows", "-5"], "argument --rows: expected a number of at least 1"),
    (["--device", "cpu", "--epochs", "0"], "argument --epochs: expected a number of at least 1"),
    (["--device", "cpu", "--rounds", "x"], "argument --rounds: expected a whole number"),
    (["--device", "cpu", "--tasks", "784-10"], "argument --tasks: unknown task(s) 784-10"),
])
def test_bad_numbers_devices_and_tasks_are_refused_without_a_traceback(argv, message):
    proc = subprocess.run([sys.executable, "-m", "benchmarks", *argv], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_help_names_the_device_benchmark_and_its_devices():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    main = subprocess.run([sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True).stdout
    assert "--device {cuda,cuda:N,cpu}" in main
    device = subprocess.run([sys.executable, "-m", "benchmarks", "--device", "cuda", "--help"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                            check=True).stdout
    assert "cuda (default), cuda:N or cpu" in device and "784-2048-2048-10" in device


def test_an_unwritable_out_is_refused_before_measuring(tmp_path):
    # checked up front: nothing is measured and no traceback is printed
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for option, path in (("--out", blocker / "x.json"), ("--plot", tmp_path)):
        proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--tasks", "e",
                               option, str(path)], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert proc.returncode == 2, proc.stderr
        assert f"{option}: cannot write {path}" in proc.stderr
        assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_compare_flags_a_ratio_worse_beyond_the_spread(quick_run, tmp_path):
    before = quick_run[1]
    after = json.loads(json.dumps(before))
    a = after["results"]["a"][0]
    a["contenders"]["pytorch"]["ratio_to_chainrule"] *= 0.9  # chainrule 11 % slower to it
    a["gemm"]["chainrule_multiple"] *= 1.02  # 2 % worse: within the spread
    after["results"]["g"]["runs"][0]["peak_rss_mb"] *= 2
    paths = [tmp_path / "before.json", tmp_path / "after.json"]
    for path, run in zip(paths, (before, after), strict=True):
        path.write_text(json.dumps(run))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "benchmarks.compare", *map(str, paths)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| a float64, 1")]
    torch_row = next(r for r in rows if "pytorch ÷ chainrule" in r)
    gemm_row = next(r for r in rows if "GEMM" in r)
    assert "-10.0% **WORSE**" in torch_row
    assert "-2.0% |" in gemm_row and "WORSE" not in gemm_row
    assert "| g, 1 thread(s) | peak RSS (MB) |" in proc.stdout
    assert proc.stdout.count("**WORSE**") == 2  # the rest is the same run
    assert "figures compared; 2 worse by more than 5%" in proc.stdout
    for task in "abcdefg":  # every task has figures that do not depend on the machine's speed
        assert f"| {task} " in proc.stdout or f"| {task}, " in proc.stdout


def test_pytorch_contender_starts_from_chainrules_weights():
    import torch
    from benchmarks.device import pytorch_model, start

    net = start([6, 5, 4, 3], seed=0)
    model = pytorch_model(torch, net, torch.device("cpu"))
    X = np.random.default_rng(0).random((7, 6), dtype=np.float32)
    with torch.no_grad():
        logits = model(torch.asarray(X)).numpy()
    np.testing.assert_allclose(torch.softmax(torch.asarray(logits), dim=1).numpy(),
                               net.predict(X), rtol=1e-5, atol=1e-6)


def test_device_benchmark_runs_on_pytorch_cpu_and_names_what_it_ran_on():
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--device", "cpu", "--rows", "64",
                           "--epochs", "1", "--rounds", "1", "--tasks", "784-256-10"],
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("device: CPU (torch)\nchainrule ") and "BLAS: " in out
    assert "784-256-10         ratio chainrule-device / pytorch = " in out
    assert "ratio chainrule-device / chainrule-numpy = " in out


def test_device_benchmark_help_gives_its_usage_once_and_the_defaults():
    text = subprocess.run([sys.executable, "-m", "benchmarks", "--device", "cpu", "--help"],
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=120, check=True).stdout
    usage = text.split("\n\n")[0]
    assert usage.count("--device") == 1, usage
    assert "(default 3)" in text and "(default 5)" in text
