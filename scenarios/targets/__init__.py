"""Calibration targets shipped with the package (YAML data, no code)."""
