"""Fuzzing chainrule's loaders and command line with mutated files (make fuzz; not run in CI)."""
