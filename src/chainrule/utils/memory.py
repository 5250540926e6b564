"""How much memory the machine has, and refusing work that could never fit in it.

A network of ``--hidden 100000,100000`` needs 10¹⁰ weights: NumPy would try to
allocate them and fail with a bare ``MemoryError`` (or, with memory overcommitted,
succeed and let the system kill the process half way).  Work whose size is known
before it starts is compared with the machine's memory first, and refused with the
number of bytes it would need.
"""

from __future__ import annotations

import contextlib
import os

from ..errors import ConfigError

__all__ = ["check_memory", "format_bytes", "physical_memory"]

# Work smaller than this is never refused (nor is the machine asked about its memory).
SMALL = 64 * 2**20
# Where a Linux container's memory limit is written (cgroup v2, then v1).
_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def physical_memory() -> int | None:
    """The memory this process may use, in bytes: the machine's RAM, or a container's
    smaller limit; None where the system does not say."""
    total = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in _CGROUP_LIMITS:
        with contextlib.suppress(OSError, ValueError), open(path, encoding="ascii") as f:
            limit = int(f.read().strip())  # "max" (no limit) is not a number
            if total is None or 0 < limit < total:
                total = limit
    return total if total is not None and total > 0 else None


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units: ``'298 GiB'``, ``'1.5 MiB'``, ``'512 bytes'``."""
    if n < 1024:
        return f"{int(n)} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        n /= 1024
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
    raise AssertionError("unreachable")


def check_memory(n_bytes: int, argument: str, what: str, why: str = "") -> None:
    """Refuse, before allocating anything, work that needs more than the machine's memory.

    Parameters
    ----------
    n_bytes : int
        The memory the work needs (at least).
    argument : str
        The argument or option that set its size, to start the message.
    what : str
        The work, e.g. "a 2-100000-1 network".
    why : str, optional
        Where the bytes go, e.g. "300,001 parameters, float64: its weights and gradients".

    Raises
    ------
    ConfigError
        ``"{argument}: {what} needs about {size} ({why}), more than the {total} of
        memory this machine has"``.
    """
    if n_bytes < SMALL:
        return
    total = physical_memory()
    if total is not None and n_bytes > total:
        detail = f" ({why})" if why else ""
        raise ConfigError(f"{argument}: {what} needs about {format_bytes(n_bytes)}{detail}, "
                          f"more than the {format_bytes(total)} of memory this machine has")
