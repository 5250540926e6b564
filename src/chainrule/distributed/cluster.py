"""Where the work runs: an existing Dask cluster by address, or a local one made for a run.

chainrule's distributed training needs ``dask`` and ``distributed`` (``pip install
'chainrule[dask]'``); nothing here is imported until a cluster is asked for, so the rest
of the library never needs them.

A local cluster is the same machinery as a real one, worker processes talking over TCP on
the loopback address, so what works on ``workers=2`` works on a cluster of many machines
reached by ``tcp://HOST:PORT``.  Each worker runs one thread (its BLAS too): a chunk's
gradient is then computed the same way wherever and whenever it runs, which is what makes a
run reproducible bit for bit, even after a worker is lost and its chunks are recomputed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from ..errors import ChainruleError, ConfigError

__all__ = ["ClusterError", "connect", "current_client", "require_dask"]

INSTALL_HINT = "pip install 'chainrule[dask]'"


class ClusterError(ChainruleError, RuntimeError):
    """The cluster failed a run: the scheduler was lost, or a task failed on every try.

    The network keeps the weights of the last completed step; a run with a checkpoint
    resumes from it (``resume=True``, or ``chainrule train ... --resume``).
    """


def require_dask() -> Any:
    """Import ``dask`` (and check that ``distributed`` is there), or say how to install them."""
    try:
        import dask
        import dask.array
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"distributed training needs Dask ({exc.name} is missing): "
                          f"{INSTALL_HINT}") from None
    return dask


def current_client() -> Any:
    """The Dask client this process made last (``distributed.Client(...)``), as Dask's own
    collections find it.

    Raises
    ------
    ConfigError
        If there is none, saying how to make one.
    """
    require_dask()
    import distributed

    try:
        return distributed.default_client()
    except ValueError:
        raise ConfigError("Dask inputs: no Dask client in this process; start one first, "
                          "e.g. distributed.Client('tcp://HOST:PORT') or "
                          "distributed.Client(distributed.LocalCluster())") from None


@contextlib.contextmanager
def connect(cluster: object = None, *, workers: int | None = None,
            memory_limit: str | int | None = "auto",
            timeout: float = 30.0) -> Iterator[Any]:
    """A ``distributed.Client`` for the run, closed at the end if it was made here.

    Parameters
    ----------
    cluster : Client, str or None
        A client to use as it is (it is not closed), or the address of a running
        scheduler (``'tcp://HOST:PORT'``).  None: start a local cluster of ``workers``.
    workers : int, optional
        Worker processes of the local cluster (default 2), one thread each, on
        127.0.0.1 (the scheduler's HTTP port chosen free); stopped when the block ends.
    memory_limit : str or int, default 'auto'
        Memory of each local worker (Dask's ``memory_limit``: ``'2GB'``, bytes, or
        ``'auto'``, the machine's memory shared out).
    timeout : float, default 30
        Seconds to wait for a scheduler at ``cluster`` (and for local workers to start).

    Raises
    ------
    ClusterError
        If no scheduler answers at the address.
    ConfigError
        For both ``cluster`` and ``workers``, or a number of workers that is not positive.
    """
    require_dask()
    import distributed

    if cluster is not None and workers is not None:
        raise ConfigError("workers: give either a cluster address or a number of local "
                          "workers, not both")
    if isinstance(cluster, distributed.Client):
        yield cluster
        return
    if cluster is not None:
        with _client_at(distributed, str(cluster), timeout) as client:
            yield client
        return
    n = 2 if workers is None else workers
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"workers: expected a positive number of workers, got {workers!r}")
    with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                  # the scheduler serves HTTP whatever is asked; on a free
                                  # port, not Dask's 8787, which another cluster may hold
                                  host="127.0.0.1", dashboard_address=":0",
                                  # a task's error comes back to the client, which says it
                                  # in one line; the workers' own log of it (with its
                                  # traceback) is not for the user's stderr
                                  silence_logs=logging.CRITICAL,
                                  memory_limit=memory_limit) as local, \
            distributed.Client(local, timeout=timeout) as client:
        yield client


@contextlib.contextmanager
def _client_at(distributed: Any, address: str, timeout: float) -> Iterator[Any]:
    if "://" not in address:
        raise ConfigError(f"cluster: expected a scheduler address such as "
                          f"'tcp://HOST:PORT', got {address!r}")
    try:
        client = distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cluster: no Dask scheduler answered at {address} within "
                           f"{timeout:g} s ({exc})") from None
    try:
        yield client
    finally:
        # a client whose scheduler is gone would wait out its reconnection timeout
        client.close(timeout=timeout if client.status == "running" else 1)
