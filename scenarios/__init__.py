"""Scenario files shipped with the package (YAML data, no code)."""
