"""Helpers every layer may use: argument and array checks, atomic file writes."""

