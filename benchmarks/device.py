"""``python -m benchmarks --device cuda``: chainrule on PyTorch's tensors against PyTorch's loop.

Two tasks, float32, batch 1024, SGD with momentum (the same step in both): 784-256-10
and 784-2048-2048-10 (relu, softmax and cross-entropy), on random rows of MNIST's shape.
Contenders, interleaved in one process, each from the same starting weights (chainrule's
initialisation, copied into PyTorch's ``nn.Linear`` layers):

* ``chainrule-device``: :func:`chainrule.train.fit` on tensors of the device (the network
  moves there; nn.portable's passes);
* ``pytorch``: ``torch.nn.Sequential`` trained by its own loop (autograd,
  ``torch.optim.SGD``) on the same device;
* ``chainrule-numpy``: chainrule's NumPy engine on the host (the CPU baseline).

The table gives the median seconds per epoch and the ratios chainrule-device / pytorch
(target ≤ 1.1) and chainrule-device / chainrule-numpy.  ``--device cpu`` runs the same on
PyTorch's CPU tensors, where no GPU is.  No CUDA device: a line says so, and the exit
status is 2.  The first lines name the device, the versions (chainrule's too) and the
threads in use.

Each timed call starts after a pause (``SETTLE`` seconds): OpenBLAS's worker threads
spin for about 0.1 s after NumPy's last product, and on a small machine they took the
cores from the PyTorch contender timed next (chainrule on torch-CPU measured 5.7× PyTorch's
loop that way, 1.3× with the pause; benchmarks/RESULTS.md).  With the defaults a run on a
GPU machine takes a minute or two, most of it chainrule's NumPy baseline of the wide task.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

TASKS = {"784-256-10": [784, 256, 10], "784-2048-2048-10": [784, 2048, 2048, 10]}
BATCH, LR, MOMENTUM = 1024, 0.01, 0.9
SETTLE = 0.3  # seconds of pause before each timed call: idle BLAS threads stop spinning


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _device(text: str) -> str:
    """An argparse type: 'cpu', 'cuda' or 'cuda:N' (checked against the machine later)."""
    kind, _, index = text.partition(":")
    if text == "cpu" or (kind == "cuda" and (not index or index.isdigit())):
        return text
    raise argparse.ArgumentTypeError(f"expected cpu, cuda or cuda:N (N a GPU's number), "
                                     f"got {text!r}")


def _tasks(text: str) -> list[str]:
    """An argparse type: task names separated by commas, each one of TASKS."""
    names = [t for t in text.split(",") if t]
    unknown = [t for t in names if t not in TASKS]
    if unknown or not names:
        given = ", ".join(unknown) if unknown else repr(text)
        raise argparse.ArgumentTypeError(f"unknown task(s) {given}; "
                                         f"expected some of {', '.join(TASKS)}")
    return names


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks",
                                description="chainrule on PyTorch tensors against "
                                "PyTorch's own training loop on the same device.")
    p.add_argument("--device", type=_device, default="cuda",
                   help="cuda (default), cuda:N or cpu")
    p.add_argument("--rows", type=_positive, default=16384,
                   help="training rows (default 16384)")
    p.add_argument("--epochs", type=_positive, default=3,
                   help="epochs per measurement (default 3)")
    p.add_argument("--rounds", type=_positive, default=5,
                   help="rounds; the median is kept (default 5)")
    p.add_argument("--tasks", type=_tasks, default=list(TASKS),
                   help=f"comma-separated task names (default {','.join(TASKS)})")
    p.add_argument("--no-numpy", action="store_true", help="leave out the CPU baseline")
    return p.parse_args(argv)


def _sync(torch, device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def start(sizes: list[int], seed: int):
    """The starting network every contender trains from (float32, relu, softmax)."""
    from chainrule.nn import Network

    return Network(sizes, "relu", cost="cross_entropy", dtype="float32", random_state=seed)


def _chainrule(net, X, Y, epochs, seed):
    from chainrule.train import fit

    return lambda: fit(net, X, Y, epochs=epochs, batch_size=BATCH, optimizer="sgd",
                       learning_rate=LR, optimizer_options={"momentum": MOMENTUM},
                       random_state=seed)


def pytorch_model(torch, net, device):
    """``torch.nn.Sequential`` of Linear and ReLU layers holding ``net``'s W and b (a copy)."""
    layers = []
    for i, (W, b) in enumerate(zip(net.W, net.b)):  # W: (n_l, n_{l-1}), nn.Linear's layout
        linear = torch.nn.Linear(W.shape[1], W.shape[0], device=device)
        with torch.no_grad():
            linear.weight.copy_(torch.asarray(W))
            linear.bias.copy_(torch.asarray(b))
        layers.append(linear)
        if i < net.n_layers - 1:  # relu between layers; the softmax is in the cost
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def _pytorch(torch, net, X, Y, epochs, seed):
    model = pytorch_model(torch, net, X.device)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    labels = Y.argmax(dim=1)
    gen = torch.Generator().manual_seed(seed)

    def run():
        for _ in range(epochs):
            perm = torch.randperm(X.shape[0], generator=gen).to(X.device)
            for start in range(0, X.shape[0], BATCH):
                sel = perm[start:start + BATCH]
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.cross_entropy(model(X[sel]), labels[sel])
                loss.backward()
                opt.step()
            float(loss.detach())  # the epoch's last cost, read as chainrule reads its costs
    return run


def _time(fn, torch, device) -> float:
    _sync(torch, device)
    time.sleep(SETTLE)
    t0 = time.perf_counter()
    fn()
    _sync(torch, device)
    return time.perf_counter() - t0


def _blas() -> str:
    """NumPy's BLAS libraries and their threads, as threadpoolctl reports them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    return ", ".join(f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
                     for p in threadpool_info() if p.get("user_api") == "blas") or "none found"


def _describe(torch, device, args: argparse.Namespace) -> None:
    """Print the device, the versions and the threads: what the figures were measured on."""
    if device.type == "cuda":
        name = (f"{torch.cuda.get_device_name(device)}, CUDA {torch.version.cuda}, "
                f"cuDNN {torch.backends.cudnn.version()}")
    else:
        name = "CPU (torch)"
    print(f"device: {name}")
    import chainrule

    print(f"chainrule {chainrule.__version__}, torch {torch.__version__} "
          f"({torch.get_num_threads()} intra-op threads), NumPy {np.__version__}, "
          f"BLAS: {_blas()}")
    print(f"float32, batch {BATCH}, {args.rows} rows, {args.epochs} epochs per round, "
          f"median of {args.rounds}, {SETTLE} s pause before each timed call")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        import torch
    except ImportError:
        print("benchmarks --device: PyTorch is not installed (pip install torch)",
              file=sys.stderr)
        return 2
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"benchmarks --device {args.device}: no CUDA device on this machine "
              "(torch.cuda.is_available() is False); nothing measured", file=sys.stderr)
        return 2
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        print(f"benchmarks --device {args.device}: this machine has "
              f"{torch.cuda.device_count()} CUDA device(s), numbered from 0; nothing measured",
              file=sys.stderr)
        return 2
    _describe(torch, device, args)
    rng = np.random.default_rng(0)
    print(f"{'task':<18} {'contender':<17} {'s/epoch':>9}")
    for task in args.tasks:
        sizes = TASKS[task]
        X_host = rng.random((args.rows, sizes[0]), dtype=np.float32)
        Y_host = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], args.rows)]
        X, Y = torch.asarray(X_host, device=device), torch.asarray(Y_host, device=device)
        net = start(sizes, 0)
        runs = {"chainrule-device": _chainrule(net.copy(), X, Y, args.epochs, 0),
                "pytorch": _pytorch(torch, net, X, Y, args.epochs, 0)}
        if not args.no_numpy:
            runs["chainrule-numpy"] = _chainrule(net.copy(), X_host, Y_host, args.epochs, 0)
        for fn in runs.values():  # warm-up: kernels, allocators, the network's move
            fn()
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.rounds):  # interleaved: drift of the machine hits all alike
            for k, fn in runs.items():
                times[k].append(_time(fn, torch, device) / args.epochs)
        med = {k: statistics.median(v) for k, v in times.items()}
        for k, v in med.items():
            print(f"{task:<18} {k:<17} {v:9.4f}")
        print(f"{task:<18} ratio chainrule-device / pytorch = "
              f"{med['chainrule-device'] / med['pytorch']:.3f} (target <= 1.1)")
        if "chainrule-numpy" in med:
            print(f"{task:<18} ratio chainrule-device / chainrule-numpy = "
                  f"{med['chainrule-device'] / med['chainrule-numpy']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
