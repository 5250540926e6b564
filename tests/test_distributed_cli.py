"""``chainrule train DATA --workers N / --cluster ADDRESS``: a Parquet dataset, a CSV glob or
.npy shards read on a local Dask cluster, saved as the same kind of model file a
single-machine ``chainrule train`` writes, and predicting the same to 1e-10."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from chainrule import load_model
from chainrule.cli import app

runner = CliRunner()
PARTS = [(0, 70), (70, 200), (200, 300)]  # uneven partitions


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(300, 3))
    X = Z * [1.0, 10.0, 0.1] + [0.0, 5.0, -1.0]  # columns of other means and scales
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["label"] = np.array(["cat", "dog", "emu"])[np.argmax(
        Z + 0.3 * rng.normal(size=(300, 3)), axis=1)]
    frame["value"] = np.sin(X[:, 0]) + 0.1 * X[:, 1]
    return frame


def _trained_alike(tmp_path: Path, cluster_data: object, single_data: Path,
                   *options: object) -> tuple:
    """The models of the same training on the cluster (2 workers) and on one machine."""
    on_cluster, single = tmp_path / "cluster.safetensors", tmp_path / "single.safetensors"
    result = invoke("train", cluster_data, "--workers", 2, "--out", on_cluster, "-q", *options)
    assert result.exit_code == 0, result.output
    result = invoke("train", single_data, "--out", single, "-q", *options)
    assert result.exit_code == 0, result.output
    return load_model(on_cluster), load_model(single)


def test_a_csv_glob_trains_on_two_workers_as_on_one_machine(tmp_path, table):
    for i, (start, end) in enumerate(PARTS):
        table.iloc[start:end].drop(columns="value").to_csv(tmp_path / f"part-{i}.csv",
                                                           index=False)
    table.drop(columns="value").to_csv(tmp_path / "all.csv", index=False)
    a, b = _trained_alike(tmp_path, tmp_path / "part-*.csv", tmp_path / "all.csv",
                          "--optimizer", "lbfgs", "--epochs", 25)
    X = table[["a", "b", "c"]]
    assert a.classes == b.classes == ["cat", "dog", "emu"]
    assert a.feature_names == b.feature_names == ("a", "b", "c")
    np.testing.assert_allclose(a.scaler.mean_, b.scaler.mean_, rtol=1e-13)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=0, atol=1e-10)
    assert a.training["epochs_run"] == b.training["epochs_run"] == 25
    # the file is a model like any other: the commands read it
    info = invoke("info", tmp_path / "cluster.safetensors")
    assert info.exit_code == 0 and "cat" in info.output
    evaluated = invoke("evaluate", tmp_path / "cluster.safetensors", tmp_path / "all.csv",
                       "--json")
    assert evaluated.exit_code == 0, evaluated.output


def test_features_and_ignore_pick_the_inputs_as_on_one_machine(tmp_path, table):
    frame = table.drop(columns="value")
    frame.insert(0, "id", [f"row-{k}" for k in range(len(frame))])  # text: no input
    for i, (start, end) in enumerate(PARTS):
        frame.iloc[start:end].to_csv(tmp_path / f"part-{i}.csv", index=False)
    frame.to_csv(tmp_path / "all.csv", index=False)
    a, b = _trained_alike(tmp_path, tmp_path / "part-*.csv", tmp_path / "all.csv",
                          "--ignore", "id,b", "--optimizer", "lbfgs", "--epochs", 10)
    assert a.feature_names == b.feature_names == ("a", "c")
    np.testing.assert_allclose(a.predict_proba(frame[["a", "c"]]),
                               b.predict_proba(frame[["a", "c"]]), rtol=0, atol=1e-10)
    out = tmp_path / "m.safetensors"
    result = invoke("train", tmp_path / "part-*.csv", "--workers", 1, "--features", "c,nope",
                    "--out", out)
    assert result.exit_code == 2 and not out.exists()
    assert _error_line(result) == (f"error: {tmp_path / 'part-0.csv'}: no column named 'nope' "
                                   "(--features); columns are 'id', 'a', 'b', 'c', 'label'")


def test_a_parquet_folder_regresses_with_full_batch_gd_as_on_one_machine(tmp_path, table):
    folder = tmp_path / "parquet"
    folder.mkdir()
    for i, (start, end) in enumerate(PARTS):
        table.iloc[start:end].drop(columns="label").to_parquet(folder / f"part-{i}.parquet")
    table.drop(columns="label").to_csv(tmp_path / "all.csv", index=False)
    a, b = _trained_alike(tmp_path, folder, tmp_path / "all.csv", "--optimizer", "gd",
                          "--batch-size", "full", "--lr", 0.1, "--epochs", 30,
                          "--validation", 0.2)
    X = table[["a", "b", "c"]]
    assert a.classes is None and a.target_names == b.target_names == ("value",)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=0, atol=1e-10)
    assert a.training["final_val_cost"] == pytest.approx(b.training["final_val_cost"],
                                                         rel=1e-10)


def test_npy_shards_train_as_one_npy_file(tmp_path, table):
    A = table[["a", "b", "c", "value"]].to_numpy()
    folder = tmp_path / "shards"
    folder.mkdir()
    for i, (start, end) in enumerate(PARTS):
        np.save(folder / f"shard-{i}.npy", A[start:end])
    np.save(tmp_path / "all.npy", A)
    a, b = _trained_alike(tmp_path, folder, tmp_path / "all.npy", "--target", "last",
                          "--optimizer", "lbfgs", "--epochs", 20)
    np.testing.assert_allclose(a.outputs(A[:, :3]), b.outputs(A[:, :3]), rtol=0, atol=1e-10)
    assert a.feature_names is None  # inputs by position, as a .npy file's


def _error_line(result) -> str:
    return result.output.strip().splitlines()[-1]


def test_bad_partitions_fail_naming_partition_and_row_and_write_nothing(tmp_path, table):
    parts = tmp_path / "bad"
    parts.mkdir()
    frame = table.drop(columns="value")
    frame.iloc[:100].to_csv(parts / "p0.csv", index=False)
    broken = frame.iloc[100:200].copy()
    broken.iloc[17, 1] = np.nan
    broken.to_csv(parts / "p1.csv", index=False)
    out = tmp_path / "m.safetensors"
    result = invoke("train", parts / "*.csv", "--workers", 2, "--out", out, "--epochs", 1)
    assert result.exit_code == 2, result.output
    assert "partition 1" in result.output and "p1.csv" in result.output
    assert "row 17" in result.output and "NaN" in result.output
    assert not out.exists()
    wide = frame.iloc[100:200].copy()
    wide["extra"] = 1.0
    wide.to_csv(parts / "p1.csv", index=False)
    result = invoke("train", parts / "*.csv", "--workers", 2, "--out", out, "--epochs", 1)
    assert result.exit_code == 2, result.output
    assert "partition 1 (p1.csv), header: has the 5 columns" in result.output
    assert not out.exists()


def test_more_than_20_whole_numbers_are_counted_only_when_they_are_the_classes(tmp_path,
                                                                              table):
    frame = table[["a", "b"]].assign(y=np.arange(len(table)) % 30)  # 30 whole numbers
    for i, (start, end) in enumerate(PARTS):
        frame.iloc[start:end].to_csv(tmp_path / f"part-{i}.csv", index=False)
    guessed, chosen = tmp_path / "guessed.safetensors", tmp_path / "chosen.safetensors"
    for out, options in ((guessed, ()), (chosen, ("--cost", "cross_entropy"))):
        result = invoke("train", tmp_path / "part-*.csv", "--workers", 1, "--epochs", 1,
                        "-q", "--out", out, *options)
        assert result.exit_code == 0, result.output
    assert load_model(guessed).classes is None  # counting stopped at 21: a regression
    assert load_model(chosen).classes == list(range(30))  # a classifier's cost: all of them


def test_a_failed_task_is_one_line_on_stderr_without_the_workers_log(tmp_path, table):
    # the workers are other processes: their log of the failed task (ERROR, with its
    # traceback) went straight to the terminal above the command's one-line error
    frame = table.drop(columns="value")
    frame.insert(0, "id", [f"row-{k}" for k in range(len(frame))])
    frame.to_csv(tmp_path / "part-0.csv", index=False)
    proc = subprocess.run([sys.executable, "-m", "chainrule", "train",
                           str(tmp_path / "part-*.csv"), "--workers", "1", "-q",
                           "--out", str(tmp_path / "m.safetensors")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("note: ")]
    assert errors == [f"error: X: partition 0 ({tmp_path / 'part-0.csv'}), column 'id' is "
                      "not numeric (string)"], proc.stderr


def test_missing_data_options_and_an_unreachable_cluster_are_refused(tmp_path):
    out = tmp_path / "m.safetensors"
    result = invoke("train", tmp_path / "nothing-*.csv", "--workers", 1, "--out", out)
    assert result.exit_code == 2 and "no file matches" in result.output
    result = invoke("train", "--dataset", "xor", "--workers", 1)
    assert result.exit_code == 2 and "--workers: needs DATA" in result.output
    result = invoke("train", tmp_path / "x.csv", "--workers", 1, "--plot", tmp_path)
    assert result.exit_code == 2 and "--plot: not with --workers" in result.output
    result = invoke("train", tmp_path / "x.csv", "--workers", 1, "--delimiter", ";")
    assert result.exit_code == 2
    assert "--delimiter: not with --workers (a cluster reads comma-separated files)" in \
        result.output
    result = invoke("train", tmp_path / "x.csv", "--cluster", "tcp://127.0.0.1:9",
                    "--workers", 2)
    assert result.exit_code == 2 and "not both" in result.output
    result = invoke("train", tmp_path / "x.csv", "--cluster", "tcp://127.0.0.1:9",
                    "--cluster-timeout", 1, "--out", out)
    assert result.exit_code == 1, result.output
    assert "no Dask scheduler answered at tcp://127.0.0.1:9" in result.output
    assert not out.exists()


def test_train_help_shows_the_cluster_options():
    result = invoke("train", "--help")
    assert result.exit_code == 0
    for option in ("--cluster", "--workers", "--cluster-timeout"):
        assert option in result.output
