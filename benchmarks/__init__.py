"""Benchmarks of chainrule against a plain NumPy loop, scikit-learn and PyTorch.

Run ``python -m benchmarks`` (or ``--quick``) from the repository root; see
:mod:`benchmarks.run` for the options and ``benchmarks/RESULTS.md`` for the
figures of this machine.  Importing the package imports nothing heavy: each
task module loads what it needs.
"""
