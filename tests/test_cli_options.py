"""``chainrule train``'s options for real CSVs and for the engine, and ``evaluate``'s scores,
end to end (in-process, through typer's runner).

The CSVs are what people have: one written by pandas with its index, one with a column of
text, one separated by semicolons, one whose target is a count 0-5.  The scores are
compared with scikit-learn's metrics on the model's own outputs.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from typer.testing import CliRunner

import chainrule
from chainrule.cli import app

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def frame(rng: np.random.Generator) -> pd.DataFrame:
    """Two numeric inputs, a text column beside them, a binary label and a count 0-5."""
    df = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    df["city"] = np.where(df.b > 0, "Paris", "Rome")
    df["label"] = (df.a + 0.3 * df.b > 0).astype(int)
    df["count"] = np.clip(np.round(2 * df.a + 2.5), 0, 5).astype(int)
    return df


def train(*args: object) -> dict:
    r = invoke("train", *args, "--quiet", "--json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def test_a_csv_written_by_pandas_with_its_index(frame, tmp_path):
    data = tmp_path / "indexed.csv"
    frame[["a", "b", "label"]].to_csv(data)  # a first column of row labels, without a name
    assert data.read_text().startswith(",a,b,label\n0,")
    model = tmp_path / "m.safetensors"
    train(data, "--epochs", "3", "-o", model)
    assert chainrule.load_model(model).feature_names == ("a", "b")  # the index is no input
    r = invoke("predict", model, data)
    assert r.exit_code == 0, r.stderr
    assert len(r.stdout.splitlines()) == 81


def test_a_column_of_text_is_ignored_or_left_out_by_features(frame, tmp_path):
    data = tmp_path / "cities.csv"
    frame[["a", "city", "b", "label"]].to_csv(data, index=False)
    r = invoke("train", data, "--epochs", "3", "-q", "-o", tmp_path / "x.safetensors")
    assert r.exit_code == 2 and "column 'city': cannot read 'Paris' as a number" in r.stderr
    for option, names, inputs in (("--ignore", "city", ["a", "b"]),
                                  ("--features", "b,a", ["b", "a"])):
        model = tmp_path / f"{option[2:]}.safetensors"
        summary = train(data, option, names, "--target", "label", "--epochs", "3", "-o", model)
        assert summary["task"] == "classification"
        assert chainrule.load_model(model).feature_names == tuple(inputs)
        # predict and evaluate read only the model's inputs: the text column may stay
        r = invoke("evaluate", model, data, "--json")
        assert r.exit_code == 0, r.stderr
        assert json.loads(r.stdout)["n_examples"] == 80


def test_features_and_ignore_are_checked(frame, tmp_path):
    data = tmp_path / "d.csv"
    frame[["a", "b", "label"]].to_csv(data, index=False)
    out = ["-q", "-o", tmp_path / "m.safetensors"]
    for args, says in (
            (("--features", "a,nope"), "d.csv: no column named 'nope' (--features); columns "
                                       "are 'a', 'b', 'label'"),
            (("--ignore", "label"), "--ignore: 'label' is the target; a column cannot be both"),
            (("--ignore", "a,b"), "no feature column is left (the target: label; ignored: "
                                  "a, b)"),
            (("--features", "a,a"), "Invalid value for '--features': names a column more than "
                                    "once: 'a,a'")):
        r = invoke("train", data, *args, *out)
        assert r.exit_code == 2 and says in " ".join(r.stderr.split()), r.stderr
    np.save(tmp_path / "d.npy", frame[["a", "b", "label"]].to_numpy(float))
    r = invoke("train", tmp_path / "d.npy", "--target", "last", "--features", "a", *out)
    assert r.exit_code == 2
    assert "--features: only for a CSV file (d.npy is not a CSV" in r.stderr


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_a_file_separated_by_another_character(frame, tmp_path, separator):
    data = tmp_path / "other.csv"
    frame[["a", "b", "label"]].to_csv(data, index=False, sep=separator)
    r = invoke("train", data, "-q", "-o", tmp_path / "x.safetensors")
    assert r.exit_code == 2
    if separator != "|":
        assert f"is the file separated by {separator!r}? pass --delimiter {separator!r}" \
            in r.stderr
    name = {";": "semicolon", "\t": "tab", "|": "|"}[separator]
    model = tmp_path / "m.safetensors"
    summary = train(data, "--delimiter", name, "--epochs", "3", "-o", model)
    assert summary["n_examples"] == 80 and summary["task"] == "classification"
    assert chainrule.load_model(model).feature_names == ("a", "b")
    r = invoke("evaluate", model, data, "--delimiter", name)
    assert r.exit_code == 0 and "80 examples of" in r.stdout, r.stderr


def test_the_task_is_said_with_its_reason_and_can_be_chosen(frame, tmp_path):
    data = tmp_path / "counts.csv"
    frame[["a", "b", "count"]].to_csv(data, index=False)
    r = invoke("train", data, "--epochs", "3", "-q", "--json", "-o", tmp_path / "c.st")
    assert r.exit_code == 0, r.stderr
    note = ("note: classification into 6 classes (0, 1, 2, 3, 4, 5): the target 'count' holds "
            "only a few whole numbers (at most 20): taken as class labels; --task regress "
            "fits the values as numbers instead")
    assert note in r.stderr  # said even with --quiet
    summary = json.loads(r.stdout)
    assert summary["task"] == "classification" and "whole numbers" in summary["task_reason"]
    r = invoke("train", data, "--epochs", "3", "-q", "--json", "--task", "regress",
               "-o", tmp_path / "r.st")
    assert r.exit_code == 0 and "note:" not in r.stderr
    assert json.loads(r.stdout)["task"] == "regression"
    frame["value"] = frame.a * 1.5
    frame[["a", "b", "value"]].to_csv(data, index=False)
    r = invoke("train", data, "--epochs", "3", "-q", "-o", tmp_path / "v.st")
    assert ("note: regression of 1 value(s): the target 'value' holds numbers (fractions, or "
            "more than 20 different whole numbers)") in r.stderr
    frame["kind"] = np.where(frame.a > 0, "up", "down")
    frame[["a", "b", "kind"]].to_csv(data, index=False)
    r = invoke("train", data, "--epochs", "3", "-q", "-o", tmp_path / "t.st")
    assert "the target 'kind' holds text" in r.stderr
    assert "--task regress" not in r.stderr  # text is no number to fit
    r = invoke("train", data, "--task", "guess", "-q", "-o", tmp_path / "k.st")
    assert r.exit_code == 2
    assert "Invalid value for '--task': expected auto, classify or regress, got 'guess'" \
        in r.stderr


def test_l2_shrinks_the_weights(frame, tmp_path):
    data = tmp_path / "d.csv"
    frame[["a", "b", "label"]].to_csv(data, index=False)
    norms = {}
    for alpha in ("0", "3"):
        model = tmp_path / f"l2_{alpha}.safetensors"
        summary = train(data, "--l2", alpha, "--epochs", "40", "-o", model)
        assert summary["l2"] == float(alpha)
        net = chainrule.load_model(model).network
        norms[alpha] = sum(float(np.sum(W ** 2)) for W in net.W)
    assert norms["3"] < 0.8 * norms["0"]
    r = invoke("train", data, "--l2", "-1", "-q")
    assert r.exit_code == 2 and "Invalid value for '--l2': expected a number ≥ 0" in r.stderr


def test_early_stopping_stops_and_keeps_the_best_weights(frame, tmp_path):
    data = tmp_path / "d.csv"
    frame[["a", "b", "label"]].to_csv(data, index=False)
    model = tmp_path / "m.safetensors"
    summary = train(data, "--early-stopping", "--patience", "2", "--validation", "0.25",
                    "--lr", "0.05", "--epochs", "2000", "-o", model)
    assert summary["early_stopping"] is True and summary["patience"] == 2
    assert summary["stopped_early"] is True and summary["epochs_run"] < 2000
    info = invoke("info", model).stdout
    assert "early stopping (patience 2, stopped early)" in info
    r = invoke("train", data, "--patience", "0", "-q")
    assert r.exit_code == 2 and "Invalid value for '--patience': expected at least 1" in r.stderr


def test_a_schedule_changes_the_learning_rate(frame, tmp_path):
    data = tmp_path / "d.csv"
    frame[["a", "b", "label"]].to_csv(data, index=False)
    constant = train(data, "--epochs", "20", "-o", tmp_path / "c.safetensors")
    decayed = train(data, "--epochs", "20", "--schedule", "invscaling",
                    "-o", tmp_path / "d.safetensors")
    assert constant["final_learning_rate"] == 0.01 and constant["schedule"] == "constant"
    assert decayed["schedule"] == "invscaling" and decayed["final_learning_rate"] < 0.01
    assert "schedule invscaling (final η = " in invoke("info", tmp_path / "d.safetensors").stdout
    r = invoke("train", data, "--schedule", "cosine", "-q")
    assert r.exit_code == 2 and "Invalid value for '--schedule': expected one of" in r.stderr


def test_evaluate_a_regressor_gives_r2_mae_and_rmse_as_scikit_learn(frame, tmp_path):
    frame["y1"], frame["y2"] = frame.a * 2 + frame.b, frame.b ** 2
    data = tmp_path / "values.csv"
    frame[["a", "b", "y1", "y2"]].to_csv(data, index=False)
    model = tmp_path / "m.safetensors"
    train(data, "--target", "y1,y2", "--epochs", "30", "-o", model)
    r = invoke("evaluate", model, data, "--json")
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    m = chainrule.load_model(model)
    Y, A = frame[["y1", "y2"]].to_numpy(), m.outputs(frame[["a", "b"]])
    assert result["r2"] == pytest.approx(metrics.r2_score(Y, A), rel=1e-12)
    assert result["mae"] == pytest.approx(metrics.mean_absolute_error(Y, A), rel=1e-12)
    assert result["rmse"] == pytest.approx(metrics.root_mean_squared_error(Y, A), rel=1e-12)
    per = result["per_output"]
    assert [p["output"] for p in per] == ["y1", "y2"]
    np.testing.assert_allclose([p["r2"] for p in per],
                               metrics.r2_score(Y, A, multioutput="raw_values"), rtol=1e-12)
    text = invoke("evaluate", model, data).stdout.splitlines()
    assert text[0].startswith("cost C = ") and text[1].split() == ["output", "R²", "MAE", "RMSE"]
    assert text[2].split()[0] == "y1" and text[4].split()[0] == "mean"
    assert float(text[4].split()[1]) == pytest.approx(result["r2"], rel=1e-5)


def test_evaluate_a_classifier_gives_its_confusion_matrix_as_scikit_learn(frame, tmp_path):
    frame["animal"] = np.array(["cat", "dog", "owl"])[np.clip(frame["count"] // 2, 0, 2)]
    data = tmp_path / "animals.csv"
    frame[["a", "b", "animal"]].to_csv(data, index=False)
    model = tmp_path / "m.safetensors"
    train(data, "--epochs", "5", "-o", model)
    r = invoke("evaluate", model, data, "--json")
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    m = chainrule.load_model(model)
    true, predicted = frame["animal"].to_numpy(), m.predict(frame[["a", "b"]])
    classes = ["cat", "dog", "owl"]
    assert result["classes"] == classes
    assert result["confusion_matrix"] == metrics.confusion_matrix(true, predicted,
                                                                  labels=classes).tolist()
    for name, score in (("precision", metrics.precision_score),
                        ("recall", metrics.recall_score)):
        expected = score(true, predicted, labels=classes, average=None, zero_division=0)
        np.testing.assert_allclose([row[name] for row in result["per_class"]], expected,
                                   rtol=1e-12)
    assert [row["support"] for row in result["per_class"]] == [
        int(np.sum(true == c)) for c in classes]
    assert result["accuracy"] == pytest.approx(metrics.accuracy_score(true, predicted))
    lines = invoke("evaluate", model, data).stdout.splitlines()
    assert "confusion matrix" in lines[1]
    header = lines.index(next(line for line in lines if line.startswith("class ")))
    assert lines[header].split() == ["class", "precision", "recall", "support"]
    assert [line.split()[0] for line in lines[header + 1:]] == classes


def test_evaluate_scores_a_class_the_model_never_predicts_as_zero():
    # every example of class 1 predicted as 0: precision of 1 is 0 (no division by zero)
    from chainrule.train import class_scores

    s = class_scores(np.array([0, 1, 1, 0]), np.array([0, 0, 0, 0]), 2)
    assert s.confusion.tolist() == [[2, 0], [2, 0]]
    assert s.precision.tolist() == [0.5, 0.0] and s.recall.tolist() == [1.0, 0.0]


@pytest.mark.parametrize("options", [(), ("--early-stopping", "--patience", "3", "--lr", "0.1")],
                         ids=["last epoch", "best epoch restored"])
def test_train_reports_the_cost_evaluate_finds_at_the_saved_weights(frame, tmp_path, options):
    # the history's cost of an epoch is the mean over its batches, each taken before its
    # step: train reports instead the cost at the weights it saves, as evaluate finds it
    data = tmp_path / "d.csv"
    frame[["a", "b", "label"]].to_csv(data, index=False)
    model = tmp_path / "m.safetensors"
    summary = train(data, "--epochs", "300", *options, "-o", model)
    result = json.loads(invoke("evaluate", model, data, "--json").stdout)
    assert summary["final_cost"] == result["cost"]
    assert summary["final_accuracy"] == result["accuracy"]
    if options:  # the best weights were put back: those of best_epoch are saved
        assert summary["stopped_early"] and summary["saved_epoch"] == summary["best_epoch"]
        assert summary["saved_epoch"] < summary["epochs_run"]
    else:
        assert summary["saved_epoch"] == summary["epochs_run"] == 300
    stored = chainrule.load_model(model).training
    assert (stored["final_cost"], stored["saved_epoch"]) == (summary["final_cost"],
                                                             summary["saved_epoch"])
