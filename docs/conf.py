"""Sphinx configuration of chainrule's documentation site (``make docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

from chainrule import __version__  # noqa: E402

project = "chainrule"
author = "chainrule developers"
copyright = "chainrule developers"
release = version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "chainrule_docs",
]

nitpicky = True
# the tutorial is a jupytext script; no other .py file here is a page
exclude_patterns = ["_build", "_ext", "conf.py", "**/.ipynb_checkpoints"]
nb_custom_formats = {".py": ["chainrule_docs.read_tutorial", {}]}
nb_execution_mode = "off"  # read_tutorial hands over the notebook already run
nb_execution_raise_on_error = True
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
html_theme = "furo"
html_title = f"chainrule {release}"

autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

autodoc_default_options = {
    "members": True,
    "undoc-members": True,
    # scikit-learn's metadata-routing setters, made for every estimator
    "exclude-members": "set_fit_request,set_partial_fit_request,set_score_request,"
                       "set_predict_request,set_transform_request",
}
# What lives in other projects cannot be linked without fetching their inventories.
nitpick_ignore_regex = [
    ("py:.*", r"(numpy|np|scipy|sklearn|pandas|pd|torch|onnx|onnxruntime|dask|distributed"
              r"|rich|matplotlib|starlette|uvicorn|typer|pathlib|os|collections|typing|array)\b.*"),
]
smartquotes = False  # help dumps and code keep their ASCII --options and quotes
