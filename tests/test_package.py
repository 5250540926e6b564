"""Packaging promises: the core imports only NumPy, and the package ships its type marker."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

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


def test_docstring_examples_run():
    # every >>> example in the package's docstrings is executed and must print what it shows
    import doctest
    import importlib
    import pkgutil

    attempted = 0
    for info in pkgutil.walk_packages(chainrule.__path__, "chainrule."):
        if info.name == "chainrule.__main__":
            continue  # importing it runs the command line
        module = importlib.import_module(info.name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
        assert result.failed == 0, info.name
        attempted += result.attempted
    result = doctest.testmod(chainrule)
    assert result.failed == 0
    assert attempted + result.attempted >= 5  # the examples of landscape and __init__
