"""Packaging promises: the core imports only NumPy, and the package ships its type marker."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from types import ModuleType

import chainrule


def test_core_imports_only_numpy():
    code = (
        "import sys, chainrule, chainrule.nn.landscape, chainrule.nn.gradcheck\n"
        "heavy = ('scipy', 'sklearn', 'matplotlib', 'safetensors', 'rich', 'typer', 'torch')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_py_typed_and_version():
    assert resources.files("chainrule").joinpath("py.typed").is_file()
    assert chainrule.__version__.count(".") == 2
    assert set(chainrule.__all__) <= set(dir(chainrule))


def _modules() -> Iterator[ModuleType]:
    """Every module of the package but ``__main__`` (importing it runs the command line)."""
    for info in pkgutil.walk_packages(chainrule.__path__, "chainrule."):
        if info.name != "chainrule.__main__":
            yield importlib.import_module(info.name)


def test_every_name_in_all_is_defined():
    # `from chainrule.X import *` fails on a name that __all__ lists and X lacks
    checked = 0
    for module in _modules():
        missing = [n for n in getattr(module, "__all__", ()) if not hasattr(module, n)]
        assert not missing, f"{module.__name__}.__all__ names {missing}, which it does not define"
        checked += len(getattr(module, "__all__", ()))
    assert checked > 300


def test_docstring_examples_run():
    # every >>> example in the package's docstrings is executed and must print what it shows
    import doctest

    attempted = 0
    for module in _modules():
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    result = doctest.testmod(chainrule)
    assert result.failed == 0
    assert attempted + result.attempted >= 5  # the examples of landscape and __init__
