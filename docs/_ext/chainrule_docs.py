"""Sphinx helpers for chainrule's documentation site.

* ``.. api-names:: MODULE``: one entry per name in ``MODULE.__all__`` (class,
  exception, function or data), after a summary table of them, so that every
  public name is documented exactly once, imported constants included.
* ``.. api-root::``: the table of the names the package itself exports, each
  linked to where it is documented.

* ``.. command-help::``: ``chainrule COMMAND --help`` for every command, as printed.
* :func:`read_tutorial`: myst-nb's reader of the jupytext tutorial, which hands
  Sphinx the notebook with its outputs (see ``notebook_run.py``).
* ``missing-reference``: a cross-reference to a chainrule object by any of its
  import paths (``Network``, ``chainrule.Network``, ``chainrule.nn.network.Network``)
  resolves to the place where that object is documented, when there is exactly one (a
  bare name, to the one documented object of that name);
  a module that is not documented on its own (``chainrule.nn.layers``) resolves to
  the documented package above it.  Anything else stays a warning (an error in CI).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from numpydoc.docscrape import ClassDoc
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode, nested_parse_with_titles

PACKAGE = "chainrule"
logger = logging.getLogger(__name__)


def _lookup(path: str) -> Any:
    """The object a dotted path names, or None."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return None
        return obj
    return None


def _key(obj: Any) -> int:
    """Identity of an object; a bound method is its function (each lookup makes a new one)."""
    return id(getattr(obj, "__func__", obj))


def _documented_by_identity(env: BuildEnvironment) -> dict[int, list[str]]:
    """Documented chainrule objects keyed by identity, built once per build."""
    cache = getattr(env, "_chainrule_by_id", None)
    if cache is None:
        cache = {}
        objects = env.get_domain("py").objects
        for name in objects:
            if name.startswith(PACKAGE + ".") and not objects[name].aliased:
                obj = _lookup(name)
                if obj is not None and not isinstance(obj, (int, float, str, bool, type(None))):
                    cache.setdefault(_key(obj), []).append(name)
        env._chainrule_by_id = cache  # type: ignore[attr-defined]
    return cache


def _candidates(target: str, node: pending_xref) -> list[str]:
    """Dotted paths that the reference may mean, most specific first."""
    if target.startswith(PACKAGE + "."):
        return [target]
    context = ".".join(p for p in (node.get("py:module"), node.get("py:class")) if p)
    parts = context.split(".") if context else []
    return [".".join([*parts[:cut], target]) for cut in range(len(parts), 0, -1)] + [
        target, f"{PACKAGE}.{target}"]


def _link(app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.Element,
          name: str, title: str) -> nodes.reference:
    entry = env.get_domain("py").objects[name]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode,
                        title)


def _documented(env: BuildEnvironment, obj: Any) -> str | None:
    names = _documented_by_identity(env).get(_key(obj), [])
    return names[0] if len(names) == 1 else None


def _described_attribute(env: BuildEnvironment, path: str) -> str | None:
    """The documented class whose docstring describes ``path``'s last part as an attribute
    (its Attributes section, or its Parameters, which such a class keeps as attributes)."""
    owner, _, attr = path.rpartition(".")
    cls = _lookup(owner) if owner else None
    name = _documented(env, cls) if isinstance(cls, type) else None
    if name is None:
        return None
    doc = ClassDoc(cls, config={"show_class_members": False})
    described = {n.strip() for section in ("Attributes", "Parameters") for p in doc[section]
                 for n in p.name.split(",")}
    return name if attr in described else None


def resolve(app: Sphinx, env: BuildEnvironment, node: pending_xref,
            contnode: nodes.Element) -> nodes.reference | None:
    """Resolve a reference to a chainrule object by the object itself (see the module)."""
    if node.get("refdomain") != "py":
        return None
    # a role broken over two lines of a docstring keeps the line break in its target
    target = re.sub(r"\s+", "", node["reftarget"]).lstrip("~.")
    reftype = node["reftype"]
    objects = env.get_domain("py").objects
    for path in _candidates(target, node):
        if reftype == "mod":
            parent = path
            while parent not in objects and "." in parent:
                parent = parent.rsplit(".", 1)[0]
            if path.startswith(PACKAGE + ".") and parent in objects and parent != PACKAGE:
                return _link(app, env, node, contnode, parent, parent)
            continue
        obj = _lookup(path)
        name = _documented(env, obj) if obj is not None else None
        if name is None and reftype == "attr":
            name = _described_attribute(env, path)
        if name is not None:
            return _link(app, env, node, contnode, name, target)
    if "." not in target:  # a bare name documented once anywhere (a summary out of context)
        found = [n for n, e in objects.items() if n.endswith("." + target) and not e.aliased
                 and n.startswith(PACKAGE + ".")]
        if len(found) == 1:
            return _link(app, env, node, contnode, found[0], target)
    return None


def _defining_module(module: str, name: str) -> Any:
    """The submodule of ``module`` whose own ``__all__`` lists ``name`` (else ``module``)."""
    for key, sub in sorted(sys.modules.items()):
        if key.startswith(module + ".") and name in getattr(sub, "__all__", ()):
            return sub
    return sys.modules[module]


def _comment_above(source: str, name: str) -> list[str]:
    """The ``#`` lines just above ``name = ...`` (or ``name: T = ...``) in a module's source."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"{re.escape(name)}\s*(:[^=]*)?=", line):
            comment: list[str] = []
            while i > 0 and lines[i - 1].lstrip().startswith("#"):
                i -= 1
                comment.insert(0, lines[i].lstrip().lstrip("#:").strip())
            return comment
    return []


def _type_name(obj: Any) -> str:
    """The type as a cross-reference target: ``numpy.ndarray``, ``dict``, ``typer.main.Typer``."""
    cls = type(obj)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _data_entry(module: str, name: str, obj: Any) -> list[str]:
    """``.. py:data::`` for a constant: its comment in the source, else a dict's keys."""
    lines = [f".. py:data:: {name}", f"   :module: {module}", f"   :type: {_type_name(obj)}"]
    if len(repr(obj)) <= 60:
        lines.append(f"   :value: {obj!r}")
    text = _comment_above(inspect.getsource(_defining_module(module, name)), name)
    if not text and isinstance(obj, dict):
        text = ["Keys: " + ", ".join(f"``{k!r}``" for k in obj) + "."]
    return [*lines, "", *(f"   {t}" for t in text), ""]


def _entry(module: str, name: str, obj: Any) -> list[str]:
    """The directive that documents ``module.name``."""
    path = f"{module}.{name}"
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return [f".. autoexception:: {path}", ""]
    if isinstance(obj, type):
        return [f".. autoclass:: {path}", "   :members:", ""]
    if inspect.isroutine(obj):
        return [f".. autofunction:: {path}", ""]
    return _data_entry(module, name, obj)


def _summary(names: list[str]) -> list[str]:
    return [".. autosummary::", "", *(f"   {n}" for n in names), ""]


class ApiNames(SphinxDirective):
    """``.. api-names:: chainrule.nn``: every name of the module's ``__all__``."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        module = self.arguments[0]
        mod = importlib.import_module(module)
        names = [n for n in mod.__all__ if hasattr(mod, n)]
        missing = [n for n in mod.__all__ if not hasattr(mod, n)]
        if missing:
            logger.warning("%s.__all__ names %s, which %s does not define", module,
                           ", ".join(missing), module, location=self.get_location())
        lines = [f".. automodule:: {module}", "   :no-members:", ""]
        lines += _summary(names)
        for name in names:
            lines += _entry(module, name, getattr(mod, name))
        return self._parse(lines)

    def _parse(self, lines: list[str]) -> list[nodes.Node]:
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, self.get_source_info()[0]), node)
        return node.children


class ApiRoot(ApiNames):
    """``.. api-root::``: the package's own names, linked to where each is documented."""

    required_arguments = 0

    def run(self) -> list[nodes.Node]:
        mod = importlib.import_module(PACKAGE)
        lines = [f".. currentmodule:: {PACKAGE}", "", *_summary(list(mod.__all__))]
        return self._parse(lines)


class CommandHelp(ApiNames):
    """``.. command-help::``: a section per command with its ``--help``, 100 columns wide."""

    required_arguments = 0

    def run(self) -> list[nodes.Node]:
        import typer
        from typer.testing import CliRunner

        from chainrule.cli import app

        group = typer.main.get_command(app)
        lines: list[str] = []
        for name in group.commands:  # type: ignore[attr-defined]
            result = CliRunner().invoke(app, [name, "--help"],
                                        env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
            if result.exit_code != 0:
                logger.warning("chainrule %s --help failed: %s", name, result.output,
                               location=self.get_location())
            title = f"chainrule {name}"
            lines += [title, "-" * len(title), "", ".. code-block:: text", ""]
            lines += [f"   {line.rstrip()}" for line in result.output.strip("\n").splitlines()]
            lines.append("")
        return self._parse(lines)


def read_tutorial(text: str, **kwargs: Any) -> Any:
    """The tutorial notebook with its outputs, for myst-nb.

    ``CHAINRULE_TUTORIAL_IPYNB`` names a notebook already run from this very text
    (``make docs`` and the tests run it first); without it the notebook is run here.
    """
    import nbformat
    from notebook_run import execute, same_code

    path = os.environ.get("CHAINRULE_TUTORIAL_IPYNB")
    if not path:
        return execute(text)
    nb = nbformat.read(path, as_version=4)
    if not same_code(nb, text):
        raise ValueError(f"{path} was run from another version of the tutorial: run it again")
    return nb


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("api-names", ApiNames)
    app.add_directive("command-help", CommandHelp)
    app.add_directive("api-root", ApiRoot)
    app.connect("missing-reference", resolve)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
