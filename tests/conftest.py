"""Shared fixtures: a seeded generator, Agg plotting, and derandomised Hypothesis in CI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import settings

matplotlib.use("Agg")

# The fuzz harness (fuzz/, run by `make fuzz`) lends its mutations to the tests.
ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.append(ROOT)

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator for each test."""
    return np.random.default_rng(0)


@pytest.fixture
def dispatch(monkeypatch: pytest.MonkeyPatch):
    """scikit-learn's array_api_dispatch on (it asks for SCIPY_ARRAY_API=1 first)."""
    import sklearn

    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with sklearn.config_context(array_api_dispatch=True):
        yield


@pytest.fixture(scope="session")
def executed_tutorial(tmp_path_factory: pytest.TempPathFactory):
    """The tutorial notebook run once for the whole session (its tests and the site's build)."""
    from docs_support import run_tutorial

    return run_tutorial(tmp_path_factory.mktemp("tutorial") / "tutorial.ipynb")
