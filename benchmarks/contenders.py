"""The contenders: chainrule (``fit`` and its estimator), the plain NumPy loop, scikit-learn,
PyTorch, and the GEMM limit.

Each ``prepare_*(problem, seed, marks)`` does the untimed set-up (building the
model, copying the shared initial weights, converting data) and returns
``run()``, which trains for ``problem.epochs`` epochs and returns the trained
``(weights, biases)`` with W of shape (n_out, n_in).  Only ``run()`` is timed.
Where the loop allows it, the minor page-fault count is appended to ``marks``
(when it is a list) at the end of every epoch, to tell the faults of the
steady state from those of the set-up inside ``run()``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from chainrule.train import EpochInfo, fit

from . import baseline
from .harness import minor_faults
from .problems import Problem

Array = np.ndarray
Params = tuple[list[Array], list[Array]]
Run = Callable[[], Params]


def prepare_chainrule(p: Problem, seed: int, marks: list[int] | None = None) -> Run:
    """chainrule's own loop: :func:`chainrule.train.fit` on a fresh network."""
    net = p.network()

    def mark(info: EpochInfo) -> None:
        marks.append(minor_faults())

    callbacks = [] if marks is None else [mark]

    def run() -> Params:
        fit(net, p.X, p.Y, epochs=p.epochs, optimizer=p.optimizer,
            learning_rate=p.learning_rate, batch_size=p.batch_size, shuffle=p.shuffle,
            random_state=seed, callbacks=callbacks)
        return net.get_weights()

    return run


ESTIMATOR_NOTE = ("the estimator contender is chainrule's MLPClassifier: it runs on the "
                  "classification tasks")


def prepare_estimator(p: Problem, seed: int, marks: list[int] | None = None) -> Run:
    """chainrule's scikit-learn face, ``MLPClassifier.fit``, from the shared initial weights.

    The weights are assigned to ``coefs_``/``intercepts_`` before fitting, and
    ``warm_start`` starts from them; ``tol=0`` and a huge ``n_iter_no_change`` make it
    run every epoch, ``alpha=0`` turns its L2 penalty off (as for scikit-learn).  The
    timed ``fit`` is the whole estimator path: scikit-learn's input checks, the label
    binarizer, the network and the engine's run.  Its loop has no per-epoch hook: no
    marks.
    """
    from sklearn.exceptions import ConvergenceWarning

    from chainrule.estimators import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=p.sizes[1:-1], activation=p.hidden,
                          solver=p.optimizer, alpha=0.0, batch_size=p.batch_size or p.n,
                          learning_rate_init=p.learning_rate, max_iter=p.epochs,
                          shuffle=p.shuffle, random_state=seed, tol=0.0,
                          n_iter_no_change=10**9, warm_start=True)
    model.coefs_ = [W.T.astype(p.dtype) for W in p.W0]  # scikit-learn's (n_in, n_out)
    model.intercepts_ = [b.astype(p.dtype) for b in p.b0]

    def run() -> Params:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(p.X, p.labels)
        return model.network_.get_weights()

    return run


def prepare_numpy(p: Problem, seed: int, marks: list[int] | None = None) -> Run:
    """The obvious NumPy loop of :mod:`benchmarks.baseline`."""
    W0 = [w.astype(p.dtype, copy=False) for w in p.W0]  # train() copies them
    b0 = [v.astype(p.dtype, copy=False) for v in p.b0]

    def run() -> Params:
        W, b, _, _ = baseline.train(W0, b0, p.X, p.Y, hidden=p.hidden, output=p.output,
                                    cost=p.cost, optimizer=p.optimizer,
                                    learning_rate=p.learning_rate, batch_size=p.batch_size,
                                    epochs=p.epochs, shuffle=p.shuffle, seed=seed, marks=marks)
        return W, b

    return run


# ---------------------------------------------------------------------------
# scikit-learn

SKLEARN_NOTE = {
    "squared_error": "nearest work: scikit-learn's regressor always has an identity output "
                     "layer, so it trains that instead of the tanh/logistic output",
}


def prepare_sklearn(p: Problem, seed: int, marks: list[int] | None = None) -> Run:
    """MLPClassifier / MLPRegressor doing the same epochs from the same weights.

    A one-iteration fit builds the model; then the shared initial weights are
    put in and ``warm_start`` continues from them.  ``tol=0`` and a huge
    ``n_iter_no_change`` make it run every epoch, ``alpha=0`` turns off its L2
    penalty.  Its squared loss carries a ½, so the regressor's learning rate is
    doubled to take the same steps.  Its loop has no per-epoch hook: no marks.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    common = dict(hidden_layer_sizes=p.sizes[1:-1], activation=p.hidden, alpha=0.0,
                  batch_size=p.batch_size or p.n, shuffle=p.shuffle, random_state=seed,
                  tol=0.0, n_iter_no_change=10**9, max_iter=1)
    if p.optimizer == "adam":
        common.update(solver="adam", learning_rate_init=p.learning_rate, beta_1=0.9,
                      beta_2=0.999, epsilon=1e-8)
    else:
        common.update(solver="sgd", learning_rate="constant", momentum=0.0,
                      nesterovs_momentum=False)
    if p.cost == "cross_entropy":
        model = MLPClassifier(**common)
        if p.optimizer == "gd":
            model.set_params(learning_rate_init=p.learning_rate)
        target = p.labels
    else:
        model = MLPRegressor(**common)
        if p.optimizer == "gd":
            model.set_params(learning_rate_init=2 * p.learning_rate)
        target = p.Y[:, 0] if p.Y.shape[1] == 1 else p.Y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(p.X, target)
    model.coefs_ = [W.T.astype(p.dtype) for W in p.W0]  # scikit-learn stores (n_in, n_out)
    model.intercepts_ = [b.astype(p.dtype) for b in p.b0]
    model.set_params(max_iter=p.epochs, warm_start=True)

    def run() -> Params:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(p.X, target)
        return [c.T for c in model.coefs_], list(model.intercepts_)

    return run


# ---------------------------------------------------------------------------
# PyTorch


def prepare_torch(p: Problem, seed: int, marks: list[int] | None = None) -> Run:
    """PyTorch eager on the CPU: a hand-written loop over pre-shuffled tensors.

    Each epoch draws one permutation, gathers ``X[perm]`` and the targets once,
    and slices batches from them (no DataLoader).  Cross-entropy takes the
    logits and class indices, as is usual in PyTorch.
    """
    import torch

    dt = torch.float64 if p.dtype == np.float64 else torch.float32
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "logistic": torch.nn.Sigmoid,
           "identity": torch.nn.Identity}
    layers: list[torch.nn.Module] = []
    L = len(p.W0)
    for l, (W, b) in enumerate(zip(p.W0, p.b0)):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=dt)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.asarray(W)))  # same (n_out, n_in) layout
            lin.bias.copy_(torch.from_numpy(np.asarray(b)))
        layers.append(lin)
        name = p.hidden if l < L - 1 else p.output
        if name != "softmax":  # softmax is inside cross_entropy
            layers.append(act[name]())
    model = torch.nn.Sequential(*layers)
    X = torch.from_numpy(p.X)
    classify = p.cost == "cross_entropy"
    T = torch.from_numpy(p.labels.astype(np.int64)) if classify else torch.from_numpy(p.Y)
    if p.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=p.learning_rate, betas=(0.9, 0.999),
                               eps=1e-8)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=p.learning_rate)
    gen = torch.Generator().manual_seed(seed)
    B = p.batch_size or p.n
    cross_entropy = torch.nn.functional.cross_entropy

    def run() -> Params:
        for _ in range(p.epochs):
            if p.shuffle:
                perm = torch.randperm(p.n, generator=gen)
                Xs, Ts = X[perm], T[perm]
            else:
                Xs, Ts = X, T
            for start in range(0, p.n, B):
                xb, tb = Xs[start:start + B], Ts[start:start + B]
                opt.zero_grad(set_to_none=True)
                out = model(xb)
                loss = cross_entropy(out, tb) if classify else ((out - tb) ** 2).sum(1).mean()
                loss.backward()
                opt.step()
            if marks is not None:
                marks.append(minor_faults())
        lins = [m for m in model if isinstance(m, torch.nn.Linear)]
        return ([m.weight.detach().numpy().copy() for m in lins],
                [m.bias.detach().numpy().copy() for m in lins])

    return run


# ---------------------------------------------------------------------------
# The GEMM limit


def prepare_gemm(p: Problem, seed: int, layout: str = "row-major") -> Callable[[], None]:
    """The matrix products of ``p.epochs`` epochs alone, at the step's shapes.

    Per step and layer l: ``Z(l) = A(l−1) W(l)ᵀ`` forward, ``dW(l) = dZ(l)ᵀ A(l−1)``
    and (above the first layer) ``dA(l−1) = dZ(l) W(l)`` backward: the products
    that cannot be avoided, with the same BLAS and dtype.  ``layout='chainrule'``
    stores the output layer column-major as chainrule does; the GEMM limit is the
    faster of the two.  The products are ``np.dot`` calls with ``out=``, the
    cheapest way NumPy offers.  The bias sums (matrix-vector products) are left out.
    """
    rng = np.random.default_rng(seed)
    dt = p.dtype
    sizes = p.sizes
    L = len(sizes) - 1
    W = [rng.standard_normal((sizes[l + 1], sizes[l])).astype(dt) * 0.1 for l in range(L)]
    dW = [np.empty_like(w) for w in W]
    plans = {}
    for m in set(p.batches):
        A = [rng.standard_normal((m, s)).astype(dt) for s in sizes]  # A[0] is X
        dZ = [rng.standard_normal((m, s)).astype(dt) for s in sizes]
        if layout == "chainrule":  # the output's Z and dZ as (n_L, m) C-contiguous
            A[L] = np.ascontiguousarray(A[L].T)
            dZ[L] = np.ascontiguousarray(dZ[L].T)
        plans[m] = (A, dZ)
    matmul = np.dot  # what chainrule calls; np.matmul adds overhead per call
    batches = p.batches

    def step(A: list[Array], dZ: list[Array]) -> None:
        for l in range(1, L + 1):
            if layout == "chainrule" and l == L:
                matmul(W[l - 1], A[l - 1].T, out=A[l])
            else:
                matmul(A[l - 1], W[l - 1].T, out=A[l])
        for l in range(L, 0, -1):
            if layout == "chainrule" and l == L:
                matmul(dZ[l], A[l - 1], out=dW[l - 1])
                if l > 1:
                    matmul(dZ[l].T, W[l - 1], out=dZ[l - 1])
            else:
                matmul(dZ[l].T, A[l - 1], out=dW[l - 1])
                if l > 1:
                    matmul(dZ[l], W[l - 1], out=dZ[l - 1])

    def run() -> None:
        for _ in range(p.epochs):
            for m in batches:
                step(*plans[m])

    return run
