"""The package's version, in one place (the package root, the CLI and file metadata read it)."""

__version__ = "0.1.0"
