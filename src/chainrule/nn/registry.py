"""Looking a named building block up in its table (activations, costs).

Model files store names, never code, so every activation and cost is found by
name in a dict; :func:`look_up` is that search, with aliases and an error that
lists the known names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from ..errors import ConfigError

__all__ = ["look_up"]

T = TypeVar("T")


def look_up(kind: str, name: object, table: Mapping[str, T], aliases: Mapping[str, str],
            cls: type[T]) -> T:
    """The entry of ``table`` called ``name`` (or an alias of it); an instance passes through.

    Parameters
    ----------
    kind : str
        What is looked up, for the message (``'activation'``, ``'cost'``).
    name : str or T
        A key of ``table``, a key of ``aliases``, or an instance of ``cls``.
    table, aliases : mapping
        The entries by name, and other names for some of them.
    cls : type
        The type of the entries.

    Raises
    ------
    ConfigError
        If the name is unknown; the message lists the known names.
    """
    if isinstance(name, cls):
        return name
    key = aliases.get(name, name) if isinstance(name, str) else name
    try:
        return table[key]  # type: ignore[index]
    except (KeyError, TypeError):
        known = ", ".join(sorted(table))
        raise ConfigError(f"{kind}: unknown name {name!r}; expected one of {known}") from None
