"""The Model: one object for the trained thing, saved whole, the same in Python and on the CLI."""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import chainrule
from chainrule import ConfigError, DataError, Model, ModelFileError, Network, ShapeError
from chainrule.cli.app import main
from chainrule.data import Source, Standardizer
from chainrule.estimators import MLPClassifier, MLPRegressor
from chainrule.io import read_model_file, read_model_info, save_model
from chainrule.train import evaluate, fit

# ---------------------------------------------------------------------------
# Data: a CSV with text labels (iris-like) and a regression CSV
# ---------------------------------------------------------------------------


def _iris_like(rng: np.random.Generator, n: int = 150) -> pd.DataFrame:
    """Four measurements of very different scales, three species told apart by two."""
    labels = np.repeat(["setosa", "versicolor", "virginica"], n // 3)
    centre = {"setosa": (5.0, 3.4, 1.5, 0.2), "versicolor": (5.9, 2.8, 4.3, 1.3),
              "virginica": (6.6, 3.0, 5.6, 2.0)}
    X = np.array([centre[s] for s in labels]) + rng.normal(scale=0.3, size=(n, 4))
    df = pd.DataFrame(X * [1.0, 1.0, 100.0, 0.01] + [0.0, 50.0, 0.0, 0.0],
                      columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
    df["species"] = labels
    return df.sample(frac=1.0, random_state=0).reset_index(drop=True)


@pytest.fixture
def iris_csv(tmp_path: Path, rng: np.random.Generator) -> Path:
    path = tmp_path / "iris.csv"
    _iris_like(rng).to_csv(path, index=False)
    return path


@pytest.fixture
def regression_csv(tmp_path: Path, rng: np.random.Generator) -> Path:
    """More rows than one prediction block holds (32,768 for these layer sizes)."""
    X = rng.normal(size=(40_000, 3)) * [1.0, 10.0, 0.1] + [0.0, 100.0, -5.0]
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["y"] = np.sin(X[:, 0]) + 0.01 * X[:, 1] + 3.0 * X[:, 2]
    path = tmp_path / "reg.csv"
    df.to_csv(path, index=False)
    return path


def _cli(*argv: object) -> None:
    assert main([str(a) for a in argv]) == 0


def _cli_predictions(model: Path, data: Path, out: Path) -> tuple[list[str], np.ndarray,
                                                                  list[str] | None]:
    """The header, the numbers (read back exactly) and the labels of `chainrule predict`."""
    _cli("predict", model, data, "--out", out)
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    labelled = header[-1] == "predicted"
    numbers = np.array([[float(v) for v in (r[:-1] if labelled else r)] for r in body])
    return header, numbers, [r[-1] for r in body] if labelled else None


# ---------------------------------------------------------------------------
# The acceptance test: load_model + predict(df) is `chainrule predict`, bit for bit
# ---------------------------------------------------------------------------


def test_load_model_predicts_a_text_labelled_csv_exactly_as_the_command(iris_csv, tmp_path):
    model_path = tmp_path / "iris.safetensors"
    _cli("train", iris_csv, "--quiet", "--out", model_path)
    header, numbers, labels = _cli_predictions(model_path, iris_csv, tmp_path / "p.csv")
    model = chainrule.load_model(model_path)
    df = pd.read_csv(iris_csv)
    outputs = model.outputs(df)
    assert outputs.tobytes() == numbers.tobytes()  # bit for bit
    assert model.predict(df).tolist() == labels
    assert header == ["p_setosa", "p_versicolor", "p_virginica", "predicted"]
    # the loaded model brings its preprocessing: as accurate as the command says it is
    accuracy = float(np.mean(model.predict(df) == df["species"]))
    assert accuracy > 0.9 and model.score(df, df["species"]) == accuracy
    # the network alone, without the scaling, does not know the data (issue 10's 33 %)
    raw = model.network.predict(df.iloc[:, :4].to_numpy()).argmax(axis=1)
    assert np.mean(np.asarray(model.classes)[raw] == df["species"]) < accuracy
    # the columns are matched by name: any order, extra columns ignored
    shuffled = df[["species", "petal_width", "sepal_length", "petal_length", "sepal_width"]]
    assert model.outputs(shuffled).tobytes() == outputs.tobytes()


def test_load_model_predicts_a_regression_csv_exactly_as_the_command(regression_csv, tmp_path):
    model_path = tmp_path / "reg.safetensors"
    _cli("train", regression_csv, "--quiet", "--epochs", "2", "--out", model_path)
    header, numbers, labels = _cli_predictions(model_path, regression_csv, tmp_path / "p.csv")
    model = chainrule.load_model(model_path)
    assert model.task == "regression" and model.feature_names == ("a", "b", "c")
    df = pd.read_csv(regression_csv)
    assert labels is None and header == ["y"]
    P = model.predict(df)
    assert P.shape == (40_000, 1) and P.tobytes() == numbers.tobytes()
    # and the .npy output of the command holds the same numbers
    _cli("predict", model_path, regression_csv, "--out", tmp_path / "p.npy")
    assert np.load(tmp_path / "p.npy").tobytes() == P.tobytes()


def test_evaluate_is_the_commands(iris_csv, tmp_path, capsys):
    model_path = tmp_path / "iris.safetensors"
    _cli("train", iris_csv, "--quiet", "--epochs", "20", "--out", model_path)
    capsys.readouterr()
    _cli("evaluate", model_path, iris_csv, "--json")
    said = json.loads(capsys.readouterr().out)
    df = pd.read_csv(iris_csv)
    result = chainrule.load_model(model_path).evaluate(df, df["species"])
    assert result.cost == said["cost"] and result.accuracy == said["accuracy"]
    assert result.n_examples == said["n_examples"] == 150


# ---------------------------------------------------------------------------
# fit, predict, predict_proba, score, evaluate
# ---------------------------------------------------------------------------


def test_fit_learns_the_names_the_scaling_and_the_classes(rng):
    df = _iris_like(rng)
    net = Network([4, 8, 3], "tanh", cost="cross_entropy", random_state=0)
    model = Model(net).fit(df.drop(columns="species"), df["species"], epochs=150,
                           learning_rate=0.05, random_state=0)
    assert model.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert model.classes == ["setosa", "versicolor", "virginica"]
    assert model.target_names == ("species",) and model.task == "classification"
    np.testing.assert_allclose(model.scaler.mean_, df.iloc[:, :4].mean().to_numpy(), rtol=1e-12)
    assert model.score(df, df["species"]) > 0.9
    assert model.training["epochs_run"] == 150 and len(model.history) == 150
    assert model.training["final_cost"] == model.history.cost[-1]
    P = model.predict_proba(df)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert (np.asarray(model.classes)[P.argmax(axis=1)] == model.predict(df)).all()
    # fit is the scaling, then chainrule.train.fit on the scaled inputs and one-hot rows
    again = Network([4, 8, 3], "tanh", cost="cross_entropy", random_state=0)
    Xs = Standardizer().fit_transform(df.iloc[:, :4].to_numpy())
    Y = (df["species"].to_numpy()[:, None] == np.asarray(model.classes)).astype(float)
    fit(again, Xs, Y, epochs=150, learning_rate=0.05, random_state=0)
    assert again.params.tobytes() == model.network.params.tobytes()


def test_a_single_output_tells_two_classes_apart(rng):
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    net = Network([2, 4, 1], "tanh", cost="binary_cross_entropy", random_state=0)
    model = Model(net).fit(X, y, epochs=200, learning_rate=0.1, batch_size=None)
    assert model.classes == ["no", "yes"] and model.feature_names is None
    p = model.outputs(X)[:, 0]  # P(yes)
    np.testing.assert_array_equal(model.predict_proba(X), np.column_stack([1 - p, p]))
    np.testing.assert_array_equal(model.predict(X), np.where(p >= 0.5, "yes", "no"))
    assert model.score(X, y) > 0.9
    C, acc = evaluate(model.network, model.transform(X), (y == "yes")[:, None].astype(float))
    assert model.evaluate(X, y) == (C, acc, 60)


def test_a_regressor_predicts_values_and_scores_r2(rng):
    X = rng.normal(size=(80, 2)) * [1.0, 1000.0]
    y = X[:, 0] - X[:, 1] / 1000.0
    model = Model(Network([2, 1], "identity", random_state=0))
    model.fit(pd.DataFrame(X, columns=["u", "v"]), pd.Series(y, name="w"), epochs=300,
              learning_rate=0.05, batch_size=None)
    assert model.task == "regression" and model.target_names == ("w",)
    assert model.predict(X).shape == (80, 1)
    from sklearn.metrics import r2_score

    assert model.score(X, y) == r2_score(y, model.predict(X)[:, 0]) > 0.99
    with pytest.raises(ConfigError, match=r"predict_proba: needs a classifier .* a regressor"):
        model.predict_proba(X)


def test_memory_mapped_inputs_train_from_an_unlinked_scaled_copy(tmp_path, rng, monkeypatch):
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    A = rng.normal(size=(300, 3)) * [1.0, 50.0, 0.1]
    np.save(tmp_path / "x.npy", A)
    y = A @ [1.0, 0.02, -3.0]
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    seen: list[list[str]] = []

    def look(info):
        seen.append(sorted(p.name for p in temp.iterdir()))

    on_disk = Model(Network([3, 4, 1], "tanh", random_state=0)).fit(
        mapped, y, epochs=3, random_state=0, callbacks=[look])
    in_memory = Model(Network([3, 4, 1], "tanh", random_state=0)).fit(A, y, epochs=3,
                                                                       random_state=0)
    assert on_disk.network.params.tobytes() == in_memory.network.params.tobytes()
    assert seen == [[], [], []] and list(temp.iterdir()) == []  # unlinked at once


def test_inputs_are_checked_by_name_and_value(rng):
    df = _iris_like(rng, 30)
    model = Model(Network([4, 3], "softmax", cost="cross_entropy", random_state=0))
    model.fit(df.drop(columns="species"), df["species"], epochs=1)
    with pytest.raises(ShapeError, match=r"X: has no column 'petal_width'; the model's inputs "
                                         r"are .* and the DataFrame's columns"):
        model.predict(df.drop(columns="petal_width"))
    bad = df.copy()
    bad.loc[7, "sepal_width"] = np.nan
    with pytest.raises(DataError, match=r"X: row 7, column 'sepal_width': NaN is not allowed"):
        model.predict(bad)
    bad = df.astype({"petal_length": object})
    bad.loc[3, "petal_length"] = "tall"
    with pytest.raises(DataError, match=r"row 3, column 'petal_length': cannot read 'tall'"):
        model.predict(bad)
    with pytest.raises(ShapeError, match="expected 4 features"):
        model.predict(np.ones((2, 3)))
    with pytest.raises(DataError, match=r"y: row 2 \(counting from 0\): label 'oak' is not one "
                                        r"of the model's classes"):
        model.evaluate(df, np.array(["setosa"] * 2 + ["oak"] + ["setosa"] * 27))
    # an array with named columns (a file's) is matched by name too
    table = df[["petal_width", "species", "sepal_length", "petal_length", "sepal_width"]]
    picked = model.inputs(table.drop(columns="species").to_numpy(),
                          columns=["petal_width", "sepal_length", "petal_length",
                                   "sepal_width"])
    np.testing.assert_array_equal(picked, df.iloc[:, :4].to_numpy())


def test_fit_refuses_targets_that_do_not_fit_the_network(rng):
    X = rng.normal(size=(9, 2))
    net = Network([2, 2], "softmax", cost="cross_entropy")
    with pytest.raises(ShapeError, match="y: has 3 classes; the network has 2 outputs"):
        Model(net).fit(X, np.array(["a", "b", "c"] * 3), epochs=1)
    with pytest.raises(ConfigError, match="task: expected"):
        Model(net).fit(X, np.zeros(9), task="clustering", epochs=1)
    with pytest.raises(ShapeError, match="y: has 8 examples"):
        Model(Network([2, 1])).fit(X, np.zeros(8), epochs=1)


# ---------------------------------------------------------------------------
# The file: saved whole, read whole, every field checked
# ---------------------------------------------------------------------------


def test_a_model_is_saved_and_loaded_whole(tmp_path, rng):
    df = _iris_like(rng, 30)
    model = Model(Network([4, 5, 3], "relu", cost="cross_entropy", random_state=1),
                  class_names=None, dataset=None, data_file="iris.csv",
                  metadata={"note": "∂C/∂W"})
    model.fit(df.drop(columns="species"), df["species"], epochs=2)
    path = model.save(tmp_path / "m.safetensors")
    back = chainrule.load_model(path)
    for field in ("feature_names", "classes", "class_names", "target_names", "training",
                  "dataset", "data_file", "metadata", "task", "cost"):
        assert getattr(back, field) == getattr(model, field), field
    assert back.network.params.tobytes() == model.network.params.tobytes()
    assert back.scaler.to_dict() == model.scaler.to_dict()
    assert back.outputs(df).tobytes() == model.outputs(df).tobytes()
    assert read_model_info(path).format_version == 2
    assert repr(back).startswith("Model(4-5-3 softmax network, cost='cross_entropy', classes=")


def test_an_estimator_becomes_a_model(tmp_path, rng):
    df = _iris_like(rng, 60)
    clf = MLPClassifier(hidden_layer_sizes=(6,), max_iter=50, random_state=0)
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(df.drop(columns="species"), df["species"])
        reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=20, random_state=0).fit(
            df.iloc[:, :3].to_numpy(), df["petal_width"].to_numpy())
    model = Model.from_estimator(clf)
    assert model.feature_names == tuple(clf.feature_names_in_) and model.scaler is None
    assert model.predict(df).tolist() == clf.predict(df.drop(columns="species")).tolist()
    np.testing.assert_allclose(model.predict_proba(df),
                               clf.predict_proba(df.drop(columns="species")), rtol=1e-12)
    back = chainrule.load_model(model.save(tmp_path / "clf.safetensors"))
    assert back.predict(df).tolist() == model.predict(df).tolist()
    assert model.network is not clf.network_  # a copy: refitting the estimator leaves it be
    r = Model.from_estimator(reg)
    assert r.task == "regression" and r.feature_names is None
    np.testing.assert_allclose(r.predict(df.iloc[:, :3].to_numpy())[:, 0],
                               reg.predict(df.iloc[:, :3].to_numpy()), rtol=1e-12)
    with pytest.raises(ConfigError, match="estimator: expected a fitted chainrule estimator"):
        Model.from_estimator(MLPClassifier())
    Y = (rng.random((20, 3)) > 0.5).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        multilabel = MLPClassifier(max_iter=2, random_state=0).fit(rng.normal(size=(20, 2)), Y)
    with pytest.raises(ConfigError, match="several logistic outputs"):
        Model.from_estimator(multilabel)


def test_the_constructor_checks_every_field_against_the_network():
    net = Network([2, 3], "softmax", cost="cross_entropy")
    with pytest.raises(ConfigError, match="'classes' must list 3 classes for 3 outputs, got 2"):
        Model(net, classes=["a", "b"])
    with pytest.raises(ConfigError, match=r"'feature_names' must list 2 name\(s\), got 3"):
        Model(net, feature_names=["a", "b", "c"], classes=[0, 1, 2])
    with pytest.raises(ConfigError, match="'classes' mixes text and numbers"):
        Model(net, classes=["a", 1, 2])
    with pytest.raises(ConfigError, match="scaler: expected a fitted Standardizer"):
        Model(net, scaler={"mean": [0, 0]})
    with pytest.raises(ConfigError, match="scaler: is not fitted"):
        Model(net, scaler=Standardizer())
    with pytest.raises(ConfigError, match="network: expected a chainrule Network"):
        Model("net")


def _rewrite(path: Path, edit) -> None:
    """Change the JSON document of a model file in place (keeping it valid safetensors)."""
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    doc = json.loads(header["__metadata__"]["chainrule"])
    edit(doc)
    header["__metadata__"]["chainrule"] = json.dumps(doc)
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + blob[8 + n:])


HOSTILE = [
    # (the metadata field's new value, the fragment of the message)
    ("feature_names", 5, "metadata field 'feature_names' must list 2 name(s), got 5"),
    ("feature_names", ["a", "\ud800"], "metadata field 'feature_names[1]' holds a character "
                                       "that is not valid text (a lone surrogate)"),
    ("feature_names", ["a", "a"], "metadata field 'feature_names' repeats a name"),
    ("classes", 7, "metadata field 'classes' must list 3 classes for 3 outputs, got 7"),
    ("classes", ["a", "b"], "metadata field 'classes' must list 3 classes for 3 outputs, got 2"),
    ("classes", ["a", "b", "a"], "metadata field 'classes' repeats a class"),
    ("classes", ["a", [1], "c"], "metadata field 'classes[1]' must be a number"),
    ("class_names", ["x"], "metadata field 'class_names' must list 3 name(s), got 1 names"),
    ("standardizer", {"mean": [0.0], "scale": [1.0]},
     "metadata field 'standardizer.mean' must list one number per input (2), got 1 values"),
    ("standardizer", {"mean": [0.0, 1.0], "scale": [1.0, 0.0]},
     "metadata field 'standardizer.scale[1]' must be positive"),
    ("standardizer", {"mean": [0.0, 10**400], "scale": [1.0, 1.0]},
     "metadata field 'standardizer.mean[1]' must be a finite number"),
    ("standardizer", [1, 2], "metadata field 'standardizer' must hold exactly 'mean' and"),
    ("training", {"final_cost": "low"}, "metadata field 'training.final_cost' must be a number"),
    ("training", {"epochs_run": -3}, "metadata field 'training.epochs_run' must be a whole"),
    ("training", "done", "metadata field 'training' must be an object"),
    ("task", "regression", "metadata field 'task' is 'regression' but 'classes' is given"),
    ("target_names", ["kind", 5], "metadata field 'target_names[1]' must be text, got 5"),
    ("data_file", 3, "metadata field 'data_file' must be text"),
]


@pytest.mark.parametrize("key, value, fragment", HOSTILE, ids=[f"{k}={v!r}"[:40]
                                                                for k, v, _ in HOSTILE])
def test_every_metadata_field_is_checked_on_load(tmp_path, key, value, fragment):
    model = Model(Network([2, 3], "softmax", cost="cross_entropy"), feature_names=["u", "v"],
                  classes=["a", "b", "c"], target_names=["kind"],
                  scaler=Standardizer().fit(np.eye(3, 2)), training={"final_cost": 0.5})
    path = model.save(tmp_path / "m.safetensors")
    _rewrite(path, lambda doc: doc["metadata"].__setitem__(key, value))
    for load in (chainrule.load_model, read_model_file, read_model_info):
        with pytest.raises(ModelFileError) as err:
            load(path)
        assert str(err.value).startswith(f"{path}: ") and fragment in str(err.value)
    # and the writer refuses what the reader would
    with pytest.raises(ConfigError, match="metadata field"):
        save_model(tmp_path / "w.safetensors", model.network,
                   metadata={**model.to_metadata(), key: value})
    assert not (tmp_path / "w.safetensors").exists()


def test_a_version_1_file_loads_whole(tmp_path, rng):
    """Files written by chainrule before the Model (format version 1) load, and a .npy's
    columns, which version 1 called x0, x1, ..., are taken by position."""
    df = _iris_like(rng, 30)
    model = Model(Network([4, 3], "softmax", cost="cross_entropy", random_state=0))
    model.fit(df.drop(columns="species"), df["species"], epochs=2)
    path = model.save(tmp_path / "v1.safetensors")

    def as_version_1(doc):
        doc["format_version"] = 1
        doc["metadata"].update(feature_names=["x0", "x1", "x2", "x3"], data_file="d.npy")

    _rewrite(path, as_version_1)
    old = chainrule.load_model(path)
    assert read_model_info(path).format_version == 1
    assert old.feature_names is None and old.classes == model.classes
    X = df.iloc[:, :4].to_numpy()
    assert old.outputs(X).tobytes() == model.outputs(X).tobytes()
    _rewrite(path, lambda doc: doc["metadata"].__setitem__("classes", ["only one"]))
    with pytest.raises(ModelFileError, match="metadata field 'classes' must list 3 classes"):
        chainrule.load_model(path)


def test_messages_name_a_files_rows(tmp_path):
    model = Model(Network([1, 1], "identity"), feature_names=["x"],
                  scaler=Standardizer().fit(np.array([[0.0], [1.0]])))
    rows = Source("data.csv", ["x"], row_names=lambda k: f"row {k + 2}")
    with pytest.raises(DataError, match=r"data.csv: row 3, column 'x': 1e\+308 overflows"):
        model.outputs(np.array([[0.5], [1e308]]), source=rows)
