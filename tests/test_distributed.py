"""Sums over chunks on a local Dask cluster equal the sums over all rows on one machine.

The cluster is real: two worker processes talking over TCP on 127.0.0.1
(``LocalCluster(processes=True)``), one thread each, a memory limit each, stopped at the
end of the module.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from chainrule import Network, distributed, fit
from chainrule.distributed import (
    ClusterData,
    ClusterTable,
    connect,
    read_csv,
    read_data,
    read_npy,
)
from chainrule.errors import ConfigError, DataError, ShapeError

UNEVEN = (301, 699, 450, 550)  # 2000 rows in chunks of four different sizes


@pytest.fixture(scope="module")
def client():
    with connect(workers=2, memory_limit="1GB") as c:
        yield c


def _data(n=2000, n_in=5, n_out=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.normal(size=(n, n_out))


def _cluster_data(client, X, Y, chunks=UNEVEN, **kw):
    Xd = da.from_array(X, chunks=(chunks, X.shape[1]))
    Yd = da.from_array(Y, chunks=(chunks, Y.shape[1]))
    return ClusterData.from_collections(Xd, Yd, client, n_inputs=X.shape[1],
                                        n_outputs=Y.shape[1], **kw)


@pytest.mark.parametrize("persist", [True, False])
def test_the_full_pass_is_the_gradient_of_the_mean_cost(client, persist):
    X, Y = _data()
    net = Network([5, 8, 2], "tanh", random_state=0)
    data = _cluster_data(client, X, Y, persist=persist)
    assert data.lengths.tolist() == list(UNEVEN)
    total, _, grad = data.terms(net)
    C, G = net.cost_and_gradient(X, Y)
    assert total / 2000 == pytest.approx(C, rel=1e-13)
    np.testing.assert_allclose(grad / 2000, G, rtol=1e-12, atol=1e-15)


def test_a_batch_pass_sums_the_batch_rows_of_every_chunk(client):
    X, Y = _data()
    net = Network([5, 8, 2], "logistic", cost="squared_error", random_state=1)
    data = _cluster_data(client, X, Y)
    sel = np.random.default_rng(2).permutation(2000)[:128]
    assert {i for i, _ in data.split_rows(sel)} == {0, 1, 2, 3}
    total, _, grad = data.terms(net, sel)
    C, G = net.cost_and_gradient(X[sel], Y[sel])
    assert total / 128 == pytest.approx(C, rel=1e-13)
    np.testing.assert_allclose(grad / 128, G, rtol=1e-12, atol=1e-15)


def test_passes_are_reproducible_bit_for_bit(client):
    X, Y = _data()
    net = Network([5, 8, 2], "relu", random_state=3)
    first = _cluster_data(client, X, Y, fan_in=2).terms(net)[2]
    again = _cluster_data(client, X, Y, fan_in=2).terms(net)[2]
    assert np.array_equal(first, again)


def test_correct_rows_are_counted(client):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(1000, 3))
    Y = np.eye(3)[rng.integers(0, 3, 1000)]
    net = Network([3, 4, 3], "tanh", cost="cross_entropy", random_state=0)
    data = _cluster_data(client, X, Y, chunks=(100, 400, 500))
    _, correct, _ = data.terms(net, gradient=False, count_correct=True)
    assert correct == int(np.sum(net.predict(X).argmax(1) == Y.argmax(1)))


def test_a_nan_names_its_partition_and_row(client):
    X, Y = _data()
    X[301 + 699 + 17, 3] = np.nan  # partition 2, row 17
    with pytest.raises(DataError, match=r"X: partition 2, row 17: NaN in column 3"):
        _cluster_data(client, X, Y)


def test_shards_of_the_wrong_width_are_named(tmp_path):
    X, _ = _data(n=30)
    np.save(tmp_path / "a.npy", X[:10])
    np.save(tmp_path / "b.npy", X[10:20, :4])
    with pytest.raises(ShapeError, match=r"partition 1 \(b\.npy\), row 0: has 4 columns, "
                                         r"expected 5"):
        read_npy(tmp_path)


def test_npy_shards_train_where_they_lie(client, tmp_path):
    X, Y = _data(n=60)
    XY = np.hstack([X, Y])
    for i, (a, b) in enumerate([(0, 7), (7, 40), (40, 60)]):
        np.save(tmp_path / f"part-{i}.npy", XY[a:b])
    src = read_data(tmp_path)
    assert src.kind == "npy" and src.data.chunks[0] == (7, 33, 20)
    data = ClusterData.from_source(src, client, target=2)
    assert (data.n_inputs, data.n_outputs) == (5, 2)
    net = Network([5, 3, 2], "tanh", random_state=0)
    np.testing.assert_allclose(data.terms(net)[2] / 60, net.cost_and_gradient(X, Y)[1],
                               rtol=1e-12)


def _write_csvs(folder, frames):
    for i, text in enumerate(frames):
        (folder / f"part-{i}.csv").write_text(text)
    return str(folder / "part-*.csv")


def test_a_csv_line_with_too_many_fields_is_named(client, tmp_path):
    pattern = _write_csvs(tmp_path, ["a,b,y\n1,2,0\n3,4,1\n", "a,b,y\n1,2,0\n3,4,1,9\n"])
    src = read_csv(pattern)
    with pytest.raises(DataError, match=r"partition 1 \(part-1\.csv\): .*line 3"):
        ClusterData.from_collections(src.data[["a", "b"]], src.data["y"], client,
                                     n_inputs=2, n_outputs=1, sources=src.files)


def test_a_csv_line_with_too_few_fields_is_named(client, tmp_path):
    pattern = _write_csvs(tmp_path, ["a,b,y\n1,2,0\n3,4,1\n", "a,b,y\n1,2,0\n3,4,1\n5,6\n"])
    src = read_data(pattern)
    with pytest.raises(DataError, match=r"y: partition 1 \(.*part-1\.csv\), row 2: NaN in "
                                        r"column 'y'"):
        ClusterData.from_source(src, client, target="y")


def test_counting_distinct_targets_stops_past_the_limit(client, tmp_path):
    # 2000 distinct values over four partitions: with limit 20 no more than the 21 smallest
    # come back (each partition sends at most 21), enough to say "more than 20 classes"
    y = np.random.default_rng(3).permutation(2000).astype(np.float64)
    column = da.from_array(y, chunks=UNEVEN)
    np.testing.assert_array_equal(distributed.lazy_unique(column, limit=20), np.arange(21.0))
    np.testing.assert_array_equal(distributed.lazy_unique(column), np.arange(2000.0))
    few = da.from_array(y % 5, chunks=UNEVEN)  # at most the limit: all of them
    np.testing.assert_array_equal(distributed.lazy_unique(few, limit=20), np.arange(5.0))
    lines = "".join(f"{k % 7},{k % 11},{k},{'cat' if k % 2 else 'dog'}\n" for k in range(60))
    pattern = _write_csvs(tmp_path, ["a,b,y,t\n" + lines[:400], "a,b,y,t\n" + lines[400:]])
    numbers, is_text = ClusterTable(read_data(pattern), client, target="y").target_values(20)
    assert not is_text and numbers.tolist() == list(range(21))
    words, is_text = ClusterTable(read_data(pattern), client, target="t").target_values(1)
    assert is_text and words.tolist() == ["cat", "dog"]  # text: every class, whatever limit


def test_a_table_picks_its_inputs_by_features_and_ignore(client, tmp_path):
    pattern = _write_csvs(tmp_path, ["id,a,b,y\nr1,1,2,0\nr2,3,4,1\n"])
    src = read_data(pattern)
    assert ClusterTable(src, client, target="y", ignore=["id"]).feature_names == ["a", "b"]
    assert ClusterTable(src, client, target="y", features=["b"]).feature_names == ["b"]
    with pytest.raises(DataError, match=r"part-0\.csv: no column named 'c' \(ignore\)"):
        ClusterTable(src, client, target="y", ignore=["c"])
    with pytest.raises(ConfigError, match=r"features: 'y' is the target"):
        ClusterTable(src, client, target="y", features=["a", "y"])
    np.save(tmp_path / "s.npy", np.zeros((3, 3)))
    with pytest.raises(ConfigError, match=r"ignore: \.npy shards have no column names"):
        ClusterTable(read_npy(tmp_path), client, ignore=["x0"])


def test_parquet_partitions_are_read_lazily(client, tmp_path):
    import pandas as pd
    X, Y = _data(n=50, n_in=2, n_out=1)
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": Y[:, 0]})
    (tmp_path / "ds").mkdir()
    frame.iloc[:20].to_parquet(tmp_path / "ds" / "p0.parquet")
    frame.iloc[20:].to_parquet(tmp_path / "ds" / "p1.parquet")
    src = read_data(tmp_path / "ds")
    assert src.kind == "parquet" and src.columns == ["a", "b", "y"]
    data = ClusterData.from_collections(src.data[["a", "b"]], src.data["y"], client,
                                        n_inputs=2, n_outputs=1, sources=src.files)
    assert data.lengths.tolist() == [20, 30]
    net = Network([2, 3, 1], "tanh", random_state=0)
    np.testing.assert_allclose(data.terms(net)[2] / 50, net.cost_and_gradient(X, Y)[1],
                               rtol=1e-12)


# -- training: the one engine, its rows on the cluster ----------------------------------


def _train_both(client, X, Y, *, sizes=(5, 8, 2), activation="tanh", chunks=UNEVEN,
                **options):
    """The same network trained on one machine and on the cluster (uneven chunks)."""
    one = Network(list(sizes), activation, random_state=0)
    h_one = fit(one, X, Y, **options)
    two = Network(list(sizes), activation, random_state=0)
    Xd = da.from_array(X, chunks=(chunks, X.shape[1]))
    Yd = da.from_array(Y, chunks=(chunks, Y.shape[1]))
    h_two = distributed.fit(two, Xd, Yd, client=client, **options)
    return (one, h_one), (two, h_two)


def _relative(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("optimizer, options", [
    ("gd", {"learning_rate": 0.5, "batch_size": None, "epochs": 40}),
    ("lbfgs", {"epochs": 40, "tol": 0.0}),
])
def test_full_batch_training_equals_one_machine(client, optimizer, options):
    X, Y = _data()
    (one, h_one), (two, h_two) = _train_both(client, X, Y, optimizer=optimizer, **options)
    assert len(h_two.cost) == len(h_one.cost) == 40
    assert _relative(two.params, one.params) < 1e-10
    np.testing.assert_allclose(h_two.cost, h_one.cost, rtol=1e-10)


def test_minibatch_adam_is_reproducible_and_equals_one_machine(client):
    X, Y = _data()
    options = {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 128, "epochs": 3,
               "random_state": 0}
    (one, _), (two, _) = _train_both(client, X, Y, **options)
    (_, _), (again, _) = _train_both(client, X, Y, **options)
    assert np.array_equal(two.params, again.params)  # the same batches, the same sums
    assert _relative(two.params, one.params) < 1e-10  # the same batch plan as one machine


def test_validation_l2_and_early_stopping_work_as_on_one_machine(client):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(1500, 4))
    Y = np.eye(3)[np.argmax(X[:, :3] + 0.5 * rng.normal(size=(1500, 3)), axis=1)]
    options = {"optimizer": "sgd", "learning_rate": 0.1, "batch_size": 100, "epochs": 60,
               "random_state": 3, "validation_split": 0.2, "l2": 0.01,
               "early_stopping": True, "patience": 3}
    (one, h_one), (two, h_two) = _train_both(client, X, Y, sizes=(4, 6, 3),
                                             chunks=(400, 700, 400), **options)
    assert h_one.stopped_early and h_two.stopped_early
    assert h_two.best_epoch == h_one.best_epoch
    np.testing.assert_allclose(h_two.val_cost, h_one.val_cost, rtol=1e-10)
    np.testing.assert_allclose(h_two.accuracy, h_one.accuracy, rtol=0, atol=0)
    assert _relative(two.params, one.params) < 1e-10
