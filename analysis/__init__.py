"""Batches, sweeps, the results store, statistics, charts, reports and the command line."""

# Batches and sweeps (issue 3), imported lazily so `import analysis` stays light.
_LAZY = {
    "batch": ("analysis.runs.execute", "batch"),
    "sweep": ("analysis.runs.execute", "sweep"),
    "open_results": ("analysis.runs.store", "open_results"),
    "Results": ("analysis.runs.store", "Results"),
    "load_sweep_spec": ("analysis.runs.spec", "load_sweep_spec"),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
