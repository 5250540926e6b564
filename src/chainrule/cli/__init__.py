"""The ``chainrule`` command line: one module per command group, thin faces over the library."""

from .app import app, main

__all__ = ["app", "main"]
