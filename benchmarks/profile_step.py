"""Where the time of one training step goes, operation by operation.

``python -m benchmarks.profile_step [--quick]`` replays chainrule's step on the
problems of tasks a–d with a timer around every operation: the gathering of
the batch and the checks that :func:`chainrule.train.loop.fit` does, each layer's
matrix products, bias additions and activations, the cost, the output delta and
the optimiser.  The sum is compared with the time per step of ``fit`` itself,
measured in the same process; the difference is the rest of the training
loop's Python (bookkeeping per step and, for full-batch tasks, per epoch).
"""

from __future__ import annotations

import argparse
import math
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from chainrule import get_optimizer
from chainrule.nn.costs import output_delta
from chainrule.train import fit, n_correct

from . import problems
from .harness import fmt_seconds, table
from .problems import Problem


def _finite(cost: float, g: np.ndarray) -> bool:
    return math.isfinite(cost) and math.isfinite(float(np.sum(g)))


def profile(p: Problem, steps: int) -> dict[str, Any]:
    """Mean seconds per step of every operation, and fit's own time per step."""
    net = p.network()
    opt = get_optimizer(p.optimizer, learning_rate=p.learning_rate)
    rng = np.random.default_rng(0)
    B = p.batch_size or p.n
    full = B >= p.n
    Xb = np.empty((B, p.sizes[0]), p.dtype)
    Yb = np.empty((B, p.sizes[-1]), p.dtype)
    acts = net.activations
    classify = p.cost == "cross_entropy"
    T: dict[str, float] = defaultdict(float)
    clock = time.perf_counter

    def timed(name: str, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        t0 = clock()
        out = f(*args, **kwargs)
        T[name] += clock() - t0
        return out

    def step(sel: np.ndarray | None) -> None:
        if sel is None:
            X, Y = p.X, p.Y
        else:
            X = timed("gather X (fit)", np.take, p.X, sel, axis=0, out=Xb[:sel.size])
            Y = timed("gather Y (fit)", np.take, p.Y, sel, axis=0, out=Yb[:sel.size])
        plan = net._plan = net._get_plan(X.shape[0])
        if not plan.has_scratch:
            plan = net._plan_with_scratch(plan)
        c = net._cache = plan.cache
        c.A[0] = X
        A_prev = X
        # the operations of Network.forward, one timer each (layers.weighted_sum, then σ)
        for l, (W, b, Z, WT, ZT, sigma, A, work) in enumerate(plan.forward):
            if ZT is None:
                timed(f"Z{l + 1} = A W.T (GEMM)", np.dot, A_prev, WT, out=Z)
                timed(f"Z{l + 1} += b", np.add, Z, b, out=Z)
            else:  # the output layer, column-major
                timed(f"Z{l + 1} = A W.T (GEMM)", np.dot, W, A_prev.T, out=ZT)
                timed(f"Z{l + 1} += b", np.add, ZT, b, out=ZT)
            if A is not Z:
                timed(f"A{l + 1} = {acts[l].name}(Z{l + 1})", sigma, Z, A, work)
            A_prev = A
        per = timed("per-example cost (fit)", net.cost.per_example, c.Z[-1], c.A[-1], Y)
        cost = float(timed("sum of the cost (fit)", np.sum, per))
        cost_fn, sigma_L, Z_L, A_L, dZ_L, work_L = plan.output
        timed("output delta dZ(L)", output_delta, cost_fn, sigma_L, Z_L, A_L, Y, dZ_L, work_L)
        # the operations of Network.backward (layers.backward, then σ' of the layer below)
        for dZ, l, W, dW, db, dA, dZT, below in plan.backward:
            timed(f"dW{l + 1} = dZ.T A (GEMM)", np.dot, dZT, c.A[l], out=dW)
            timed(f"db{l + 1} = 1ᵀ dZ (GEMV)", np.dot, plan.ones, dZ, out=db)
            if below is not None:
                sigma_prime, Z_prev, A_below, work = below
                timed(f"dA{l} = dZ W (GEMM)", np.dot, dZ, W, out=dA)
                timed(f"dZ{l} = dA ⊙ {acts[l - 1].name}'", sigma_prime, dA, Z_prev, A_below,
                      work)
        timed("finiteness of cost and g (fit)", _finite, cost, net.grads)
        if classify:
            timed("accuracy count (fit)", n_correct, c.A[-1], Y)
        timed(f"{p.optimizer} step", opt.step, net.params, net.grads)

    def run_steps(n: int) -> None:
        done = 0
        while done < n:
            order = None if full else rng.permutation(p.n)
            for start in range(0, p.n, B):
                step(None if full else order[start:start + B])
                done += 1
                if done == n:
                    return

    run_steps(min(steps, 50))  # warm-up: buffers, plans, optimiser state
    T.clear()
    run_steps(steps)
    per_op = {k: v / steps for k, v in T.items()}
    # fit itself, as long, on a fresh network
    epochs = max(1, steps // len(p.batches))
    fresh = p.network()
    fit(fresh, p.X, p.Y, epochs=1, optimizer=p.optimizer, learning_rate=p.learning_rate,
        batch_size=p.batch_size, random_state=0)
    t0 = time.perf_counter()
    fit(fresh, p.X, p.Y, epochs=epochs, optimizer=p.optimizer, learning_rate=p.learning_rate,
        batch_size=p.batch_size, random_state=0)
    fit_step = (time.perf_counter() - t0) / (epochs * len(p.batches))
    return {"problem": p.describe(), "steps": steps, "per_op": per_op,
            "sum_of_ops": sum(per_op.values()), "fit_per_step": fit_step}


def report(out: dict[str, Any]) -> str:
    total = out["fit_per_step"]
    rows = [[name, fmt_seconds(s), f"{100 * s / total:.1f}%"]
            for name, s in out["per_op"].items()]
    rest = total - out["sum_of_ops"]
    rows.append(["rest of fit's loop (Python bookkeeping)", fmt_seconds(rest),
                 f"{100 * rest / total:.1f}%"])
    rows.append(["fit, per step", fmt_seconds(total), "100%"])
    return f"{out['problem']}\n" + table(["operation", "per step", "share"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_step",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    steps = 300 if args.quick else 3000
    chosen = [problems.digits("float64", 1), problems.digits("float32", 1),
              problems.synthetic(20_000, 1), problems.not_toy(1), problems.heart(1)]
    with threadpool_limits(limits=args.threads):
        for p in chosen:
            n = steps // 10 if p.key == "b" else steps * (10 if p.key in "cd" else 1)
            print(report(profile(p, n)) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
