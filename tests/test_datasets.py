"""Tests for chainrule.data: built-in sets, file loaders and the training helpers."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import (
    DATASETS,
    Dataset,
    Standardizer,
    circle,
    describe_datasets,
    digits,
    gaussians,
    heart,
    load_array,
    load_csv,
    load_data,
    load_dataset,
    not_gate,
    one_hot,
    saddle,
    spiral,
    split,
    wave,
    xor,
    xor_blobs,
)
from chainrule.errors import ChainruleError, ConfigError, DataError, ModelFileError, ShapeError

GENERATORS = [circle, xor_blobs, gaussians, spiral]
# the regression sets to fit, each with the function its targets sample
CURVES = {wave: lambda X: np.sin(np.pi * X[:, :1]), saddle: lambda X: 2 * X[:, :1] * X[:, 1:]}

# Heart curve extremes worked out by hand: x = 16 sin³ spans [-16, 16]; y at t = 1/2 is
# -13 - 5 + 2 - 1 = -17; its maximum (at cos 2πt = c with -32c³ - 24c² - 4c + 19 = 0,
# c ≈ 0.6182) is 11.92325241533544 (checked against a dense grid below).
HEART_Y_MIN, HEART_Y_MAX = -17.0, 11.92325241533544


# ---------------------------------------------------------------------------
# Built-in sets
# ---------------------------------------------------------------------------

def test_not_gate_is_the_exercises_example():
    ds = not_gate()
    np.testing.assert_array_equal(ds.X, [[0.0], [1.0]])
    np.testing.assert_array_equal(ds.y, [[1.0], [0.0]])
    assert ds.task == "regression" and ds.labels is None
    assert (ds.n_examples, ds.n_features, ds.n_outputs) == (2, 1, 1)


def test_xor_rows():
    ds = xor()
    assert ds.X.shape == (4, 2) and ds.y.shape == (4, 1)
    expected = [int(a) ^ int(b) for a, b in ds.X]
    np.testing.assert_array_equal(ds.y[:, 0], expected)
    assert set(ds.y.ravel()) == {0.0, 1.0}


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_has_consistent_shapes_and_dtypes(name):
    ds = load_dataset(name)
    assert isinstance(ds, Dataset) and ds.name == name
    assert ds.X.dtype == np.float64 and ds.y.dtype == np.float64
    assert ds.X.ndim == 2 and ds.y.ndim == 2 and ds.X.shape[0] == ds.y.shape[0]
    assert len(ds.feature_names) == ds.n_features
    assert len(ds.target_names) == ds.n_outputs
    assert np.isfinite(ds.X).all() and np.isfinite(ds.y).all()
    assert "\n" not in ds.description and ds.description
    if ds.task == "classification":
        assert ds.labels is not None and ds.labels.dtype == np.int64
        np.testing.assert_array_equal(ds.y.sum(axis=1), 1.0)  # one-hot rows
        np.testing.assert_array_equal(ds.y.argmax(axis=1), ds.labels)
    else:
        assert ds.labels is None


def test_dataset_is_frozen_and_has_short_repr():
    ds = xor()
    with pytest.raises(AttributeError):
        ds.name = "other"  # type: ignore[misc]
    assert repr(ds) == ("Dataset(name='xor', task='regression', n_examples=4, "
                        "n_features=2, n_outputs=1)")


def test_heart_values_by_hand():
    ds = heart(101)  # t = 0, 0.01, ..., 1: holds t = 0, 0.25 and 0.5 exactly
    t = ds.X[:, 0]
    assert ds.X.shape == (101, 1) and ds.y.shape == (101, 2)
    assert t[0] == 0.0 and t[-1] == 1.0
    span_y = HEART_Y_MAX - HEART_Y_MIN
    # t = 0: x = 0, y = 13 - 5 - 2 - 1 = 5.
    np.testing.assert_allclose(ds.y[0], [0.5, (5 - HEART_Y_MIN) / span_y], rtol=1e-12)
    # t = 0.25: x = 16, y = 0 + 5 - 0 - 1 = 4.
    np.testing.assert_allclose(ds.y[25], [1.0, (4 - HEART_Y_MIN) / span_y], rtol=1e-12)
    # t = 0.5: x = 0, y = -17 (the minimum).
    np.testing.assert_allclose(ds.y[50], [0.5, 0.0], atol=1e-12)
    assert ds.y.min() >= 0.0 and ds.y.max() <= 1.0


def test_heart_scaling_uses_the_exact_curve_range():
    dense = heart(200_001).y
    assert dense.min(axis=0) == pytest.approx([0.0, 0.0], abs=1e-12)
    assert dense.max(axis=0) == pytest.approx([1.0, 1.0], abs=1e-9)
    # A coarse sample is scaled by the curve's range, not its own.
    coarse = heart(4).y
    assert coarse[:, 1].max() < 0.99


def test_heart_rejects_bad_n():
    with pytest.raises(ConfigError, match="n: expected an integer >= 2"):
        heart(1)
    with pytest.raises(ConfigError, match="n:"):
        heart(2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [*GENERATORS, *CURVES])
def test_generators_are_deterministic(make):
    a, b, c = make(random_state=3), make(random_state=3), make(random_state=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.X, c.X)
    # The default seed is fixed too, and a Generator is accepted.
    np.testing.assert_array_equal(make().X, make().X)
    np.testing.assert_array_equal(make(random_state=np.random.default_rng(3)).X, a.X)
    np.testing.assert_array_equal(make(random_state=np.random.default_rng(3)).y, a.y)


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n_samples", [200, 101])
def test_generators_shapes_and_class_balance(make, n_samples):
    ds = make(n_samples=n_samples, noise=0.1, random_state=0)
    assert ds.X.shape == (n_samples, 2) and ds.y.shape == (n_samples, 2)
    counts = np.bincount(ds.labels, minlength=2)
    assert counts.sum() == n_samples and counts.max() - counts.min() <= n_samples % 2
    # Rows are shuffled, not grouped by class.
    assert 0 < np.count_nonzero(np.diff(ds.labels[: n_samples // 2]))


def test_spiral_with_more_arms():
    ds = spiral(n_samples=301, n_classes=3, random_state=1)
    assert ds.y.shape == (301, 3) and ds.target_names == ("arm_0", "arm_1", "arm_2")
    np.testing.assert_array_equal(np.bincount(ds.labels), [101, 100, 100])


def test_geometry_without_noise():
    ds = circle(400, noise=0.0, random_state=0)
    r = np.hypot(ds.X[:, 0], ds.X[:, 1])
    assert r[ds.labels == 0].max() <= 0.5
    assert r[ds.labels == 1].min() >= 0.7 and r[ds.labels == 1].max() <= 1.0
    ds = xor_blobs(400, noise=0.0, random_state=0)
    np.testing.assert_array_equal(ds.labels, (ds.X[:, 0] * ds.X[:, 1] < 0).astype(int))
    assert np.abs(ds.X).min() >= 0.05
    ds = gaussians(2000, noise=0.0, random_state=0)
    np.testing.assert_allclose(ds.X[ds.labels == 0].mean(axis=0), [-0.5, -0.5], atol=0.03)
    np.testing.assert_allclose(ds.X[ds.labels == 1].mean(axis=0), [0.5, 0.5], atol=0.03)
    np.testing.assert_allclose(ds.X[ds.labels == 1].std(axis=0), [0.2, 0.2], atol=0.02)


def test_noise_spreads_the_points():
    quiet = circle(400, noise=0.0, random_state=0).X
    loud = circle(400, noise=0.3, random_state=0).X
    assert np.hypot(*loud.T).max() > np.hypot(*quiet.T).max() + 0.2


def test_spiral_is_interleaved_but_learnable():
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    ds = spiral(1000, noise=0.05, random_state=0)
    linear = LogisticRegression().fit(ds.X, ds.labels).score(ds.X, ds.labels)
    assert linear < 0.7
    # Not just noise: neighbours along each arm share its class.
    near = KNeighborsClassifier(5).fit(ds.X, ds.labels).score(ds.X, ds.labels)
    assert near > 0.9


@pytest.mark.parametrize("kwargs, fragment", [
    ({"n_samples": 1}, "n_samples: expected an integer >= 2"),
    ({"n_samples": True}, "n_samples"),
    ({"noise": -0.1}, "noise: expected a finite number >= 0"),
    ({"noise": float("nan")}, "noise"),
    ({"random_state": "seed"}, "random_state"),
])
def test_generator_options_are_checked(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        circle(**kwargs)


def test_spiral_options_are_checked():
    with pytest.raises(ConfigError, match="n_classes: expected an integer >= 2"):
        spiral(n_classes=1)
    with pytest.raises(ConfigError, match="n_samples: expected an integer >= 3"):
        spiral(n_samples=2, n_classes=3)


@pytest.mark.parametrize("make", CURVES)
@pytest.mark.parametrize("n_samples", [2, 101])
def test_curves_shapes_and_values_without_noise(make, n_samples):
    ds = make(n_samples=n_samples, noise=0.0, random_state=0)
    n_in = 1 if make is wave else 2
    assert ds.name == make.__name__ and ds.task == "regression" and ds.labels is None
    assert ds.X.shape == (n_samples, n_in) and ds.y.shape == (n_samples, 1)
    assert ds.X.dtype == np.float64 and ds.y.dtype == np.float64
    assert ds.feature_names == (("x",) if make is wave else ("x1", "x2"))
    assert ds.target_names == ("y",)
    assert np.abs(ds.X).max() <= 1.0
    np.testing.assert_array_equal(ds.y, CURVES[make](ds.X))  # sin(πx), 2 x1 x2: exactly


@pytest.mark.parametrize("make", CURVES)
def test_curves_noise_is_on_the_targets_with_its_deviation(make):
    quiet = make(4000, noise=0.0, random_state=1)
    loud = make(4000, noise=0.2, random_state=1)
    # the noise is drawn whatever its size, so the inputs are the same points
    np.testing.assert_array_equal(quiet.X, loud.X)
    residual = loud.y - CURVES[make](loud.X)  # ε · 0.2
    assert abs(residual.mean()) < 0.02 and 0.19 < residual.std() < 0.21
    assert np.array_equal(quiet.y, CURVES[make](quiet.X))


@pytest.mark.parametrize("make", CURVES)
@pytest.mark.parametrize("kwargs, fragment", [
    ({"n_samples": 1}, "n_samples: expected an integer >= 2"),
    ({"noise": -0.1}, "noise: expected a finite number >= 0"),
    ({"noise": float("inf")}, "noise"),
    ({"random_state": "seed"}, "random_state"),
])
def test_curves_options_are_checked(make, kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        make(**kwargs)


def test_digits_from_sklearn():
    from sklearn.datasets import load_digits

    ds = digits()
    assert ds.X.shape == (1797, 64) and ds.y.shape == (1797, 10)
    assert ds.X.min() == 0.0 and ds.X.max() == 1.0
    np.testing.assert_array_equal(ds.labels, load_digits().target)
    np.testing.assert_array_equal(ds.X * 16, load_digits().data)
    assert ds.target_names == tuple("0123456789")


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

def test_load_dataset_names_and_options():
    assert load_dataset("XOR-Blobs", n_samples=10).X.shape == (10, 2)
    assert load_dataset("not").name == "not_gate"
    assert load_dataset("heart", n=7).n_examples == 7
    np.testing.assert_array_equal(load_dataset("spiral", random_state=5).X,
                                  spiral(random_state=5).X)
    np.testing.assert_array_equal(load_dataset("Wave", n_samples=9, noise=0.1).y,
                                  wave(n_samples=9, noise=0.1).y)
    assert load_dataset("saddle", random_state=2).X.shape == (200, 2)


def test_load_dataset_errors():
    with pytest.raises(ConfigError, match=r"unknown name 'moons'.*circle.*digits.*spiral"):
        load_dataset("moons")
    with pytest.raises(ConfigError, match=r"'heart': unknown option 'noise'; it takes n"):
        load_dataset("heart", noise=0.1)
    with pytest.raises(ConfigError, match="it takes no options"):
        load_dataset("xor", n=3)


def test_describe_datasets_rows():
    rows = describe_datasets()
    assert [r.name for r in rows] == list(DATASETS)
    by_name = {r.name: r for r in rows}
    assert tuple(by_name["digits"]) == (
        "digits", 1797, 64, 10, "classification", digits().description)
    assert tuple(by_name["heart"])[:5] == ("heart", 100, 1, 2, "regression")
    assert tuple(by_name["wave"])[:5] == ("wave", 200, 1, 1, "regression")
    assert tuple(by_name["saddle"])[:5] == ("saddle", 200, 2, 1, "regression")
    assert "sin(pi x)" in by_name["wave"].description
    assert all(len(r) == 6 for r in rows)
    for name, make in DATASETS.items():  # rows given without building a set say the same
        ds = make()
        assert tuple(by_name[name]) == (name, ds.n_examples, ds.n_features, ds.n_outputs,
                                        ds.task, ds.description)


# ---------------------------------------------------------------------------
# CSV, NPY and NPZ loaders: good files
# ---------------------------------------------------------------------------

def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_round_trip(tmp_path, rng):
    X = rng.normal(size=(25, 3))
    y = rng.normal(size=(25, 1))
    path = tmp_path / "data.csv"
    np.savetxt(path, np.hstack([X, y]), delimiter=",", header="a,b,c,target", comments="",
               fmt="%.17g")
    X2, y2, features, targets = load_csv(path)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    assert features == ("a", "b", "c") and targets == ("target",)
    assert X2.dtype == np.float64 and X2.flags.c_contiguous


def test_csv_target_by_name_and_list(tmp_path):
    path = _write(tmp_path / "d.csv",
                  "\ufeff y1 ,x1,\"x2\",y2\n1,2,3,4\n\n5,6,7,8\n\n")  # BOM, spaces, quotes, blanks
    X, y, features, targets = load_csv(path, target="y1")
    assert features == ("x1", "x2", "y2") and targets == ("y1",)
    np.testing.assert_array_equal(X, [[2, 3, 4], [6, 7, 8]])
    np.testing.assert_array_equal(y, [[1], [5]])
    X, y, features, targets = load_csv(path, target=["y2", "y1"], dtype="float32")
    assert features == ("x1", "x2") and targets == ("y2", "y1")
    np.testing.assert_array_equal(y, [[4, 1], [8, 5]])
    assert X.dtype == np.float32 and y.dtype == np.float32


def test_csv_other_delimiter(tmp_path):
    path = _write(tmp_path / "semi.csv", "x;y\n1.5;-2e3\n")
    X, y, _, _ = load_csv(path, delimiter=";")
    assert X.tolist() == [[1.5]] and y.tolist() == [[-2000.0]]


def test_npy_is_memory_mapped(tmp_path, rng):
    A = rng.normal(size=(40, 4))
    path = tmp_path / "a.npy"
    np.save(path, A)
    X, y, features, targets = load_array(path)
    assert isinstance(X, np.memmap) and not X.flags.writeable
    np.testing.assert_array_equal(X, A)
    assert y is None and features == ("x0", "x1", "x2", "x3") and targets == ()
    X, y, _, targets = load_array(path, target="last")
    assert isinstance(X, np.memmap) and isinstance(y, np.memmap)
    np.testing.assert_array_equal(X, A[:, :3])
    np.testing.assert_array_equal(y, A[:, 3:])
    assert targets == ("y0",)


def test_npy_one_column_and_integers(tmp_path):
    path = tmp_path / "ints.npy"
    np.save(path, np.arange(5, dtype=np.int32))
    X, _, _, _ = load_array(path)
    assert X.shape == (5, 1) and X.dtype == np.int32


def test_npz_keys(tmp_path, rng):
    X = rng.normal(size=(10, 2))
    y = rng.integers(0, 3, size=10)
    path = tmp_path / "d.npz"
    np.savez_compressed(path, X=X, y=y, labels=y + 10)
    X2, y2, features, targets = load_array(path)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y[:, None])
    assert features == ("x0", "x1") and targets == ("y0",)
    _, y3, _, _ = load_data(path, target="labels")
    np.testing.assert_array_equal(y3[:, 0], y + 10)
    np.savez(tmp_path / "only_x.npz", X=X)
    assert load_data(tmp_path / "only_x.npz")[1] is None
    # the features cannot be their own target (a network would learn the identity)
    with pytest.raises(ConfigError, match=r"target: 'X' is the feature array of .*d\.npz; "
                                          r"name another array .* 'X', 'y', 'labels'"):
        load_data(path, target="X")
    with pytest.raises(ConfigError, match="'labels' is the feature array"):
        load_array(path, target="labels", x_key="labels")


def test_load_data_dispatches_on_suffix(tmp_path):
    csv_path = _write(tmp_path / "UPPER.CSV", "a,b\n1,2\n")
    assert load_data(csv_path)[0].tolist() == [[1.0]]
    np.save(tmp_path / "a.npy", np.ones((3, 2)))
    assert load_data(str(tmp_path / "a.npy"), target="last")[1].shape == (3, 1)


def test_empty_target_means_every_column_is_a_feature(tmp_path):
    # For a file to predict on: no target column at all.
    path = _write(tmp_path / "features.csv", "a,b,c\n1,2,3\n4,5,6\n")
    for empty in ((), []):
        X, y, features, targets = load_csv(path, target=empty)
        np.testing.assert_array_equal(X, [[1, 2, 3], [4, 5, 6]])
        assert y is None and features == ("a", "b", "c") and targets == ()
    one = _write(tmp_path / "one.csv", "t\n0.5\n")  # a single column is fine without a target
    assert load_data(one, target=())[0].tolist() == [[0.5]]
    # The array loaders take the same spelling: () drops even an archive's 'y'.
    np.savez(tmp_path / "d.npz", X=np.ones((3, 2)), y=np.zeros(3))
    assert load_data(tmp_path / "d.npz", target=())[1] is None
    np.save(tmp_path / "a.npy", np.ones((3, 2)))
    assert load_data(tmp_path / "a.npy", target=[])[0].shape == (3, 2)


def test_text_class_labels(tmp_path):
    path = _write(tmp_path / "pets.csv", "weight,animal,height\n4.5, cat ,20\n30,dog,60\n"
                                         "3.9,cat,22\n7,1,9\n")
    X, y, features, targets = load_csv(path, target="animal", labels=True)
    np.testing.assert_array_equal(X, [[4.5, 20], [30, 60], [3.9, 22], [7, 9]])
    assert features == ("weight", "height") and targets == ("animal",)
    assert y.shape == (4,) and y.dtype.kind == "U"
    assert y.tolist() == ["cat", "dog", "cat", "1"]  # stripped; a number stays text
    Y, classes = one_hot(y)
    assert classes.tolist() == ["1", "cat", "dog"]
    np.testing.assert_array_equal(Y.argmax(axis=1), [1, 2, 1, 0])
    # Through load_data, with the default target (the last column).
    last = _write(tmp_path / "last.csv", "x,kind\n1,a\n2,b\n")
    _, y2, _, _ = load_data(last, labels=True)
    assert y2.tolist() == ["a", "b"]
    # Without labels=True a text target is still a bad numeric cell.
    with pytest.raises(DataError, match="row 2, column 'animal': cannot read ' cat ' as a"):
        load_csv(path, target="animal")


@pytest.mark.parametrize("text, kwargs, error, fragment", [
    ("x,kind\n1,a\noops,b\n", {}, DataError, "row 3, column 'x': cannot read 'oops'"),
    ("x,kind\n1,a\n2,  \n", {}, DataError, "row 3, column 'kind': empty cell; expected a class"),
    ("x,kind\nnan,a\n", {}, DataError, "row 2, column 'x': NaN is not allowed"),
    ("x,k1,k2\n1,a,b\n", {"target": ["k1", "k2"]}, ConfigError, "exactly one target column"),
    ("x,kind\n1,a\n", {"target": ()}, ConfigError, "exactly one target column"),
    ("x,kind\n1,a\n", {"labels": "yes"}, ConfigError, "labels: expected True or False"),
])
def test_text_labels_refusals(tmp_path, text, kwargs, error, fragment):
    path = _write(tmp_path / "l.csv", text)
    with pytest.raises(error, match=fragment):
        load_csv(path, **{"labels": True, **kwargs})


def test_npy_byte_order_and_fortran_order_are_honoured(tmp_path, rng):
    A = rng.normal(size=(6, 3))
    for name, B in (("big.npy", A.astype(">f8")), ("fortran.npy", np.asfortranarray(A))):
        np.save(tmp_path / name, B)
        X, _, _, _ = load_array(tmp_path / name)
        np.testing.assert_array_equal(X, A)
    np.savez_compressed(tmp_path / "f.npz", X=np.asfortranarray(A).astype(np.float32))
    X, _, _, _ = load_array(tmp_path / "f.npz")
    assert X.dtype == np.float32 and X.flags.writeable
    np.testing.assert_array_equal(X, A.astype(np.float32))


def test_npz_member_shorter_than_its_header_says(tmp_path):
    import io
    import zipfile

    buf = io.BytesIO()
    np.save(buf, np.ones((100, 2)))
    path = tmp_path / "short.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("X.npy", buf.getvalue()[:-800])  # 100 of the 200 numbers
    with pytest.raises(DataError, match=r"short\.npz\['X'\]: is truncated or damaged.*1,600"):
        load_array(path)


def test_extreme_compression_is_refused_as_a_possible_bomb(tmp_path):
    # 24 MiB of zeros deflate about 1000:1, far past any real data set.
    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, X=np.zeros((3 * 2**20, 1)))
    with pytest.raises(DataError, match=r"zeros\.npz\['X'\]: would inflate .* zip bomb"):
        load_array(path)
    np.savez(path, X=np.zeros((3 * 2**20, 1)))  # stored, not compressed: nothing to fear
    assert load_array(path)[0].shape == (3 * 2**20, 1)


# ---------------------------------------------------------------------------
# Bad files: each must fail with the right exception and a useful message
# ---------------------------------------------------------------------------

class _RunsCode:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _object_npy(path: Path) -> None:
    np.save(path, np.array([_RunsCode(str(path.parent / "PWNED"))], dtype=object),
            allow_pickle=True)


def _object_npz(path: Path) -> None:
    np.savez(path, X=np.array([[_RunsCode(str(path.parent / "PWNED"))]], dtype=object))


def _truncated_npy(path: Path) -> None:
    np.save(path, np.ones((100, 3)))
    path.write_bytes(path.read_bytes()[:-400])


def _npz_rows_mismatch(path: Path) -> None:
    np.savez(path, X=np.ones((4, 2)), y=np.ones(3))


def _text(text: str):
    return lambda path: _write(path, text)


def _npy(array):
    def write(path: Path) -> None:
        with open(path, "wb") as f:  # np.save(path) would add ".npy" to other suffixes
            np.save(f, array)
    return write


BAD_FILES = [
    # (id, file name, writer, loader kwargs, exception, message fragments)
    ("not_a_number", "d.csv", _text("x1,x2,y\n1,2,3\n4,abc,6\n"), {}, DataError,
     ["d.csv: row 3, column 'x2'", "cannot read 'abc' as a number"]),
    ("empty_cell", "d.csv", _text("x1,y\n1,\n"), {}, DataError,
     ["row 2, column 'y'", "empty cell"]),
    ("nan_cell", "d.csv", _text("x1,y\n1,2\n3,4\nnan,5\n"), {}, DataError,
     ["row 4, column 'x1'", "NaN"]),
    ("inf_cell", "d.csv", _text("x1,y\n1,-inf\n"), {}, DataError,
     ["row 2, column 'y'", "infinity"]),
    ("missing_file", None, None, {}, DataError, ["missing.csv", "no such file"]),
    ("directory", "folder.csv", lambda p: p.mkdir(), {}, DataError, ["is a directory"]),
    ("empty_file", "d.csv", _text(""), {}, DataError, ["is empty"]),
    ("header_only", "d.csv", _text("x1,x2,y\n"), {}, DataError, ["no data rows"]),
    ("ragged_row", "d.csv", _text("x1,x2,y\n1,2,3\n4,5\n"), {}, DataError,
     ["row 3 has 2 cells", "header has 3"]),
    ("duplicate_column", "d.csv", _text("x1,x2,x1\n1,2,3\n"), {}, DataError,
     ["'x1' appears more than once", "columns 1 and 3"]),
    ("unknown_target", "d.csv", _text("x1,x2,y\n1,2,3\n"), {"target": "z"}, DataError,
     ["no column named 'z'", "'x1', 'x2', 'y'"]),
    ("no_header", "d.csv", _text("1,2,3\n4,5,6\n"), {}, DataError, ["header"]),
    ("only_targets", "d.csv", _text("y\n1\n"), {}, DataError, ["at least one feature column"]),
    ("binary_csv", "d.csv", lambda p: p.write_bytes(b"\xff\xfe\x00\x81garbage"), {}, DataError,
     ["not UTF-8"]),
    ("repeated_target", "d.csv", _text("a,b,c\n1,2,3\n"), {"target": ["a", "a"]}, ConfigError,
     ["target", "more than once"]),
    ("unknown_suffix", "d.txt", _text("a,b\n1,2\n"), {}, DataError,
     ["unknown file type '.txt'", ".csv, .npy or .npz"]),
    ("pickle_npy", "evil.npy", _object_npy, {}, DataError, ["evil.npy", "Python objects"]),
    ("object_npz", "evil.npz", _object_npz, {}, DataError, ["evil.npz", "'X'", "Python objects"]),
    ("string_npy", "s.npy", _npy(np.array([["a", "b"]])), {}, DataError, ["dtype <U1"]),
    ("complex_npy", "c.npy", _npy(np.ones((2, 2), complex)), {}, DataError, ["complex"]),
    ("three_d_npy", "t.npy", _npy(np.ones((2, 2, 2))), {}, ShapeError, ["got 3-D"]),
    ("nan_npy", "n.npy", _npy(np.array([[1.0, np.nan]])), {}, DataError,
     ["n.npy", "NaN at row 0, column 1"]),
    ("empty_npy", "e.npy", _npy(np.ones((0, 3))), {}, DataError, ["is empty"]),
    ("not_npy", "junk.npy", _text("x,y\n1,2\n"), {}, DataError, ["not a NumPy .npy array"]),
    ("truncated_npy", "cut.npy", _truncated_npy, {}, DataError, ["truncated or damaged"]),
    ("npy_bad_target", "a.npy", _npy(np.ones((3, 2))), {"target": "y"}, ConfigError,
     ["target", "'last'"]),
    ("npy_last_one_column", "a.npy", _npy(np.ones(3)), {"target": "last"}, ShapeError,
     ["at least 2 columns"]),
    ("not_zip_npz", "d.npz", _npy(np.ones((2, 2))), {}, DataError, ["not a .npz archive"]),
    ("npz_no_X", "d.npz", lambda p: np.savez(p, features=np.ones(3)), {}, DataError,
     ["no array 'X'", "'features'"]),
    ("npz_no_target", "d.npz", lambda p: np.savez(p, X=np.ones(3)), {"target": "t"}, DataError,
     ["no array 't' for the target"]),
    ("npz_rows_mismatch", "d.npz", _npz_rows_mismatch, {}, ShapeError,
     ["'y' has 3 rows but 'X' has 4"]),
]


@pytest.mark.parametrize("case", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_files_are_refused_with_a_clear_message(tmp_path, case):
    _, name, writer, kwargs, error, fragments = case
    if name is None:
        path = tmp_path / "missing.csv"
    else:
        path = tmp_path / name
        writer(path)
    with pytest.raises(error) as info:
        load_data(path, **kwargs)
    assert isinstance(info.value, ChainruleError)
    for fragment in fragments:
        assert fragment in str(info.value)
    # Nothing stored in a file may run: the pickled payload would create this.
    assert not (tmp_path / "PWNED").exists()


def test_pickle_payload_really_runs_when_unpickled(tmp_path):
    # Guards the refusal tests above: the payload is live, so their checks mean something.
    marker = tmp_path / "PWNED"
    pickle.loads(pickle.dumps(_RunsCode(str(marker)))).close()
    assert marker.exists()


# ---------------------------------------------------------------------------
# one_hot, Standardizer, split
# ---------------------------------------------------------------------------

def test_one_hot_sorted_and_given_classes():
    Y, classes = one_hot([2.0, 0.0, 2.0, 1.0])
    np.testing.assert_array_equal(classes, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert Y.dtype == np.float64
    Y, classes = one_hot(np.array([["b"], ["a"]]), classes=["b", "c", "a"])
    np.testing.assert_array_equal(Y, [[1, 0, 0], [0, 0, 1]])
    assert classes.tolist() == ["b", "c", "a"]


def test_one_hot_errors():
    with pytest.raises(DataError, match=r"row 2 has label 7.*not one of the classes \[0, 1, 2\]"):
        one_hot([0, 1, 7], classes=[0, 1, 2])
    with pytest.raises(DataError, match="row 1 is NaN"):
        one_hot([0.0, np.nan])
    with pytest.raises(ConfigError, match="classes: repeats"):
        one_hot([0, 1], classes=[0, 1, 1])
    with pytest.raises(DataError, match=r"label 'a', which is not one of the classes \[0, 1\]"):
        one_hot(["a"], classes=[0, 1])
    with pytest.raises(DataError, match=r"row 0 has label None, which is not one of"):
        one_hot(np.array([None], dtype=object), classes=[0, 1])


def test_standardizer_matches_numpy_and_is_chunk_independent(rng):
    X = rng.normal(loc=[3.0, -2.0, 1e6], scale=[0.5, 4.0, 1e-3], size=(103, 3))
    whole = Standardizer().fit(X)
    chunked = Standardizer(chunk_rows=7).fit(X)
    np.testing.assert_allclose(whole.mean_, X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(whole.scale_, X.std(axis=0), rtol=1e-9)
    np.testing.assert_allclose(chunked.mean_, whole.mean_, rtol=1e-14)
    np.testing.assert_allclose(chunked.scale_, whole.scale_, rtol=1e-9)
    Xs = chunked.transform(X)
    # Column 3 is stored to about 1e6 · eps ≈ 1e-10, i.e. 1e-7 of its std: the limit here.
    np.testing.assert_allclose(Xs.mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(Xs.std(axis=0), 1.0, rtol=1e-9)
    np.testing.assert_allclose(chunked.inverse_transform(Xs), X, rtol=1e-12)
    assert chunked.n_samples_seen_ == 103 and chunked.n_features_in_ == 3


def test_standardizer_constant_column_and_float32():
    X = np.array([[0.1, 1.0], [0.1, 3.0], [0.1, 5.0]], dtype=np.float32)
    s = Standardizer().fit(X)
    assert s.scale_[0] == 1.0
    Xs = s.transform(X)
    assert Xs.dtype == np.float32
    np.testing.assert_allclose(Xs[:, 0], 0.0, atol=1e-7)


def test_standardizer_on_memmap(tmp_path, rng):
    A = rng.uniform(0, 10, size=(500, 4))
    np.save(tmp_path / "big.npy", A)
    X, _, _, _ = load_array(tmp_path / "big.npy")
    s = Standardizer(chunk_rows=64).fit(X)
    np.testing.assert_allclose(s.mean_, A.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(s.transform(X[10:20]), (A[10:20] - A.mean(0)) / A.std(0),
                               rtol=1e-10)
    assert isinstance(X, np.memmap)  # untouched


def test_standardizer_names_the_row_of_a_nan_in_a_later_block(tmp_path):
    # Row 10 lies in the second block of 7 rows: the message counts from the top of X.
    A = np.ones((20, 2))
    A[10, 1] = np.nan
    np.save(tmp_path / "nan.npy", A)
    mapped = np.load(tmp_path / "nan.npy", mmap_mode="r")  # load_array would refuse the NaN
    for X in (A, mapped):
        with pytest.raises(DataError, match=r"NaN at row 10, column 1$"):
            Standardizer(chunk_rows=7).fit(X)


def test_standardizer_dict_round_trip_through_json(rng):
    X = rng.normal(size=(20, 2))
    s = Standardizer().fit(X)
    d = json.loads(json.dumps(s.to_dict()))
    assert set(d) == {"mean", "scale"} and all(isinstance(v, float) for v in d["mean"])
    t = Standardizer.from_dict(d)
    np.testing.assert_array_equal(t.transform(X), s.transform(X))


def test_standardizer_errors(rng):
    with pytest.raises(ChainruleError, match="call fit"):
        Standardizer().transform(np.ones((2, 2)))
    with pytest.raises(ChainruleError, match="call fit"):
        Standardizer().to_dict()
    s = Standardizer().fit(rng.normal(size=(5, 2)))
    with pytest.raises(ShapeError, match="expected 2 columns"):
        s.transform(np.ones((3, 3)))
    with pytest.raises(DataError, match="NaN at row 1, column 0"):
        Standardizer().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ModelFileError, match="equal length"):
        Standardizer.from_dict({"mean": [0.0, 1.0], "scale": [1.0]})
    with pytest.raises(ModelFileError, match="scale positive"):
        Standardizer.from_dict({"mean": [0.0], "scale": [0.0]})
    with pytest.raises(ModelFileError, match="'mean' and 'scale'"):
        Standardizer.from_dict({"mean": [0.0]})


def test_split_returns_sorted_disjoint_indices(tmp_path):
    np.save(tmp_path / "m.npy", np.arange(60.0).reshape(30, 2))
    X, _, _, _ = load_array(tmp_path / "m.npy")
    train, held = split(X, np.zeros(30), fraction=0.1, random_state=0)
    assert held.size == 3 and train.size == 27  # 0.1 · 30 is 3, not 4
    assert np.intersect1d(train, held).size == 0
    np.testing.assert_array_equal(np.union1d(train, held), np.arange(30))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(held) > 0)
    again = split(X, fraction=0.1, random_state=0)
    np.testing.assert_array_equal(again[1], held)
    assert not np.array_equal(split(X, fraction=0.1, random_state=1)[1], held)
    assert isinstance(X, np.memmap) and X[held].shape == (3, 2)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.5, 1e-12, 0.95, True])
def test_split_rejects_bad_fractions(fraction):
    with pytest.raises(ConfigError, match="fraction"):
        split(np.ones((10, 2)), fraction=fraction)


def test_split_checks_rows():
    with pytest.raises(ShapeError, match="y: has 4 examples"):
        split(np.ones((5, 1)), np.ones(4))


def test_standardizer_statistics_do_not_overflow_near_the_float64_limit():
    # (1e300)² overflows float64: the sums are kept in units of a power of two instead
    X = np.array([[1e300, 2.0], [1.0, 2.0], [-3e300, 2.0]])
    s = Standardizer(chunk_rows=1).fit(X)  # the unit grows from block to block
    ref = Standardizer().fit(X / 2.0**1000)  # the same data, scaled exactly
    np.testing.assert_array_equal(s.mean_, ref.mean_ * 2.0**1000)
    np.testing.assert_array_equal(s.scale_[0], ref.scale_[0] * 2.0**1000)
    assert s.scale_[1] == 1.0 and np.isfinite(s.transform(X)).all()
    np.testing.assert_allclose(s.transform(X)[:, 0], (X[:, 0] - X[:, 0].mean())
                               / (X[:, 0] / 1e300).std() / 1e300, rtol=1e-13)
    wide = np.array([[1.7e308], [-1.7e308], [1.6e308]])
    s = Standardizer(chunk_rows=1).fit(wide)
    with pytest.raises(DataError, match=r"X: row 1, column 0: \(x − mean\) / scale of "
                                        r"-1.7e\+308 overflows float64"):
        s.transform(wide)


def test_standardizer_writes_into_out_block_by_block(rng, tmp_path):
    X = rng.normal(size=(50, 3)) * [1.0, 5.0, 0.01]
    s = Standardizer(chunk_rows=7).fit(X)
    out = np.lib.format.open_memmap(tmp_path / "out.npy", mode="w+", dtype=np.float64,
                                    shape=X.shape)
    assert s.transform(X, out=out) is out
    np.testing.assert_array_equal(out, s.transform(X))
    back = np.empty_like(X)
    assert s.inverse_transform(out, out=back) is back
    np.testing.assert_allclose(back, X, rtol=1e-12)
    with pytest.raises(ShapeError, match="out: expected a writable float array of shape"):
        s.transform(X, out=np.empty((49, 3)))


def test_csv_row_numbers_and_header(tmp_path):
    from chainrule.data import csv_header, csv_row_numbers

    p = tmp_path / "gaps.csv"
    p.write_text("\n a ,b\n1,2\n\n3,4\n5,6\n")
    assert csv_header(p) == ["a", "b"]
    assert csv_row_numbers(p) == [3, 5, 6]  # as an editor numbers the lines
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(DataError, match="is empty"):
        csv_header(empty)


def test_label_detection_reads_blocks_and_stops_early(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    from chainrule.data import encoding
    from chainrule.utils import validation

    assert encoding.looks_like_labels(np.array([[3.0], [5.0], [7.0], [3.0]]))
    assert not encoding.looks_like_labels(np.ones((4, 1)))  # one class
    assert not encoding.looks_like_labels(np.array([[0.0], [0.5]]))
    monkeypatch.setattr(validation, "BLOCK_BYTES", 800)  # blocks of 100 rows
    y = np.arange(10_000.0).reshape(-1, 1)  # whole numbers, but far too many to be classes
    np.save(tmp_path / "y.npy", y)
    blocks = []
    real = validation.row_blocks

    def counting(A, rows, name):
        for item in real(A, rows, name):
            blocks.append(rows)
            yield item

    monkeypatch.setattr(validation, "row_blocks", counting)
    assert not encoding.looks_like_labels(np.load(tmp_path / "y.npy", mmap_mode="r"))
    assert blocks == [100]  # 100 distinct values in the first block: no need to read on


# ---------------------------------------------------------------------------
# CSV through pandas: what it forgives is refused by name; the rows as an editor counts them
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, fragment", [
    ("x,y\n1_000,2\n", "row 2, column 'x': cannot read '1_000' as a number"),
    ("x,y\nTrue,2\n", "row 2, column 'x': cannot read 'True' as a number"),
    ("x,y\nNA,2\n", "row 2, column 'x': cannot read 'NA' as a number"),
    ("x,y\n1,2\n3,4,\n", "row 3 has 3 cells but the header has 2"),
    ("x,y\n1,2,\n3,4,\n", "row 2 has 3 cells but the header has 2"),  # pandas: a warning
    ("x,y\n1,2\n\n\"\"\n3,4\n", "row 4 has 1 cells but the header has 2"),
    ("x,y\n1,oops\n\n2,nan\n", "row 2, column 'y': cannot read 'oops'"),
    ("x,y\n1,2\n\n2,nan\n", "row 4, column 'y': NaN is not allowed"),
    ("x,y\n1,2\n2,-Infinity\n", "row 3, column 'y': infinity is not allowed"),
    ("x;y;z\n1;2;3\n", "every column is a target ('x;y;z'); need at least one feature column "
                       "(is the file separated by ';'? pass delimiter=';')"),
])
def test_csv_cells_pandas_would_forgive_are_refused_by_name(tmp_path, text, fragment):
    path = _write(tmp_path / "d.csv", text)
    with pytest.raises(DataError) as err:
        load_csv(path)
    assert fragment in str(err.value)


def test_csv_numbers_are_the_bits_python_reads(tmp_path, rng):
    values = rng.normal(size=(200, 2)) * 10.0 ** rng.integers(-300, 300, size=(200, 2))
    path = _write(tmp_path / "d.csv", "a,b\n" + "".join(f"{u!r},{v!r}\n" for u, v in
                                                       values.tolist()))
    X, y, _, _ = load_csv(path)
    assert X[:, 0].tobytes() == values[:, 0].tobytes()
    assert y[:, 0].tobytes() == values[:, 1].tobytes()
    with pytest.raises(ConfigError, match="delimiter: expected one character"):
        load_csv(path, delimiter=";;")


def test_label_column_tells_numbers_from_words(tmp_path):
    from chainrule.data import Source
    from chainrule.data.encoding import label_column

    src = Source("f.csv", ["kind"])
    y, text = label_column(np.array(["1", "2.5", "3"]), src)
    assert not text and y.tolist() == [[1.0], [2.5], [3.0]]
    y, text = label_column(np.array(["cat", "inf", "dog"]), src)
    assert text and y.tolist() == ["cat", "inf", "dog"]  # 'inf' among words is a word
    with pytest.raises(DataError, match=r"f.csv: row 1, column 'kind': cannot read 'dog' as a "
                                        r"number \(for text class labels"):
        label_column(np.array(["1", "dog"]), src)
    assert label_column(np.array(["1", "dog"]), src, classification=True)[1]
    with pytest.raises(DataError, match="row 1, column 'kind': 'NaN' is a missing value"):
        label_column(np.array(["cat", "NaN"]), src)
    with pytest.raises(DataError, match="row 0, column 'kind': infinity is not allowed"):
        label_column(np.array(["inf", "2"]), src)


def test_class_targets_name_the_row_and_keep_the_models_order():
    from chainrule.data import Source, class_targets

    Y, classes = class_targets(np.array(["b", "a", "b"]), ["b", "a"])
    assert classes == ["b", "a"] and Y.tolist() == [[1, 0], [0, 1], [1, 0]]
    Y, classes = class_targets(np.array([3.0, 5.0, 5.0]), single_output=True)
    assert classes == [3, 5] and Y.tolist() == [[0], [1], [1]]  # 3.0 is the label 3
    rows = Source("f.csv", row_names=lambda k: f"row {k + 2}")
    with pytest.raises(DataError, match=r"f\.csv: row 3: label 'c' is not one of the model's"):
        class_targets(np.array(["a", "c"]), ["a", "b"], source=rows)
    with pytest.raises(DataError, match="the target has only one class"):
        class_targets(np.array(["a", "a"]))
    with pytest.raises(ConfigError, match="has 3 classes; a single output tells exactly 2"):
        class_targets(np.array(["a", "b", "c"]), single_output=True)


def test_standardizer_statistics_do_not_depend_on_the_memory_layout(rng):
    X = rng.normal(size=(500, 3)) * [1.0, 1e3, 1e-3] + [5.0, -7.0, 1e6]
    C, F = Standardizer().fit(np.ascontiguousarray(X)), Standardizer().fit(np.asfortranarray(X))
    assert C.mean_.tobytes() == F.mean_.tobytes() and C.scale_.tobytes() == F.scale_.tobytes()


@pytest.mark.parametrize("text, row", [
    ("x,y\n1,2,3\n4,5,6\n", 2),  # every row one number too long: pandas takes it for labels
    ("x,y\n1,2,\n3,4\n", 2),
    ("x,y\n1,2\n3,4,5\n", 3),
])
def test_csv_rows_longer_than_the_header_are_refused(tmp_path, text, row):
    path = _write(tmp_path / "d.csv", text)
    for labels in (False, True):
        with pytest.raises(DataError, match=f"row {row} has 3 cells but the header has 2"):
            load_csv(path, labels=labels)


@pytest.mark.parametrize("make", [
    lambda labels: np.array(labels, dtype=object),
    lambda labels: __import__("pandas").Series(labels),
], ids=["object array", "pandas Series"])
def test_one_hot_names_the_row_of_an_unknown_text_label_in_an_object_array(make):
    classes = np.array(["setosa", "versicolor", "virginica"])
    with pytest.raises(DataError, match=r"row 1 has label 'rose', which is not one of"):
        one_hot(make(["setosa", "rose", "virginica"]), classes)
    # a number among text labels is named too, not a dtype clash
    with pytest.raises(DataError, match=r"row 2 has label 5, which is not one of"):
        one_hot(make(["setosa", "virginica", 5]), classes)
    Y, _ = one_hot(make(["virginica", "setosa"]), classes)
    assert Y.tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
