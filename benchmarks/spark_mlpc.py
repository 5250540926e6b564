"""Spark MLlib's MultilayerPerceptronClassifier against chainrule on Dask: same data, same
layers, L-BFGS, two cores each, time to the same training loss.

Benchmark only (``pip install pyspark``, Java 17): never part of the tests.  Spark runs
in local mode on 2 cores (``local[2]``); chainrule on a local Dask cluster of 2 worker
processes, one thread each.  Spark's MLPC has sigmoid hidden layers and a softmax output
with the mean cross-entropy, which is chainrule's ``["logistic", "softmax"]`` with
``cost="cross_entropy"``.  The two start from different random weights, so they are
compared by time to a loss: Spark's after ``iterations`` L-BFGS iterations, which
chainrule's L-BFGS then has to reach (a callback stops it there).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from chainrule import Network, distributed, fit

from .dask_task import HIDDEN, N_IN, N_OUT, make_data


def spark_run(X: np.ndarray, labels: np.ndarray, iterations: int) -> dict[str, Any]:
    """Seconds of ``MultilayerPerceptronClassifier.fit`` and its loss per iteration."""
    import pandas as pd
    from pyspark.ml.classification import MultilayerPerceptronClassifier
    from pyspark.ml.feature import VectorAssembler
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("chainrule-bench")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "4g")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(N_IN)])
        frame["label"] = labels.astype(float)
        df = VectorAssembler(inputCols=list(frame.columns[:-1]), outputCol="features") \
            .transform(spark.createDataFrame(frame)).select("features", "label") \
            .repartition(2).cache()
        df.count()  # the rows are in the executors' memory before the clock starts
        mlpc = MultilayerPerceptronClassifier(layers=[N_IN, HIDDEN, N_OUT], solver="l-bfgs",
                                              maxIter=iterations, tol=0.0, seed=0)
        t0 = time.perf_counter()
        model = mlpc.fit(df)
        seconds = time.perf_counter() - t0
        history = list(model.summary().objectiveHistory)
    finally:
        spark.stop()
    return {"seconds": seconds, "loss": history, "iterations": len(history) - 1}


def chainrule_run(X: np.ndarray, Y: np.ndarray, target: float, max_iter: int) -> dict[str, Any]:
    """Seconds of chainrule's L-BFGS on 2 Dask workers until the cost is at most ``target``."""
    import dask.array as da

    net = Network([N_IN, HIDDEN, N_OUT], ["logistic", "softmax"], cost="cross_entropy",
                  random_state=0)
    n = X.shape[0]
    with distributed.connect(workers=2, memory_limit="4GB") as client, \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
        Xd, Yd = da.from_array(X, chunks=(n // 8, N_IN)), da.from_array(Y, chunks=(n // 8, N_OUT))
        # the rows in the workers' memory before the clock starts, as Spark's are cached
        data = distributed.ClusterData.from_collections(Xd, Yd, client, n_inputs=N_IN,
                                                        n_outputs=N_OUT)
        t0 = time.perf_counter()
        history = fit(net, data, None, optimizer="lbfgs", epochs=max_iter, tol=0.0,
                      callbacks=[lambda info: info.cost <= target])
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "loss": list(history.cost), "iterations": len(history.cost)}


def compare(n: int, iterations: int = 100) -> dict[str, Any]:
    """Both on the same ``n`` rows; chainrule's time to Spark's loss after ``iterations``."""
    X, Y = make_data(n)
    spark = spark_run(X, Y.argmax(axis=1), iterations)
    target = spark["loss"][-1]
    ours = chainrule_run(X, Y, target, max_iter=10 * iterations)
    reached = ours["loss"][-1] <= target
    text = (f"Spark MLlib MLPC (local[2]) vs chainrule on 2 Dask workers, {n:,} rows, "
            f"L-BFGS to loss {target:.4f}: Spark {spark['seconds']:.1f} s "
            f"({spark['iterations']} iterations), chainrule {ours['seconds']:.1f} s "
            f"({ours['iterations']} iterations{'' if reached else ', not reached'}); "
            f"ratio {spark['seconds'] / ours['seconds']:.2f}×")
    return {"rows": n, "target": target, "spark": spark, "chainrule": ours, "text": text}
