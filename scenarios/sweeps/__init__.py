"""Sweep specifications shipped with the package (YAML data, no code)."""
