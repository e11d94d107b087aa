"""The walkthrough notebook runs: docs/notebooks/walkthrough.ipynb, executed top to bottom with nbclient.

* The kernel is ``python3`` on this interpreter: the test writes a kernel spec whose argv is
  ``sys.executable -m ipykernel_launcher`` and puts it first on ``JUPYTER_PATH`` (the spec an environment
  installs says ``python``, which is whatever comes first on ``PATH``), with this checkout first on
  ``PYTHONPATH``, so the notebook uses the code and environment under test.
* It runs from ``docs/notebooks`` (where Jupyter would start it), writes its stores into the test's
  temporary folder (``WALKTHROUGH_WORK``), and each cell has ``CELL_TIMEOUT`` seconds; the whole notebook
  takes about 20-30 s on two cores.
* The notebook is stored without outputs (no local paths, no images in the diff): clear them before
  committing.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook test needs the test extras (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="the notebook test needs the test extras (nbclient)")
pytest.importorskip("ipykernel", reason="the notebook test needs the test extras (ipykernel)")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebooks" / "walkthrough.ipynb"
CELL_TIMEOUT = 180  # seconds per cell: far above any cell's time; only a hang trips it


def test_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    with_outputs = [i for i, cell in enumerate(notebook.cells)
                    if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not with_outputs, f"cells {with_outputs} of {NOTEBOOK.name} hold outputs: clear them before committing"


def test_notebook_runs(tmp_path, monkeypatch):
    kernels = tmp_path / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("PYTHONPATH", ":".join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    monkeypatch.setenv("WALKTHROUGH_WORK", str(tmp_path / "work"))
    monkeypatch.setenv("MPLBACKEND", "Agg")

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    start = time.monotonic()
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    seconds = time.monotonic() - start

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "a code cell did not run"
    images = sum(1 for cell in code for output in cell.outputs if "image/png" in output.get("data", {}))
    assert images >= 3, f"expected the outcome-share, fan and heatmap figures, got {images} images"
    text = "".join(output.get("text", "") for cell in code for output in cell.outputs)
    assert 'Thesis "provocation, not confrontation"' in text, "the thesis test printed nothing"
    assert any((tmp_path / "work").iterdir()), "the notebook wrote its stores somewhere else"
    print(f"\nwalkthrough.ipynb: {len(code)} code cells in {seconds:.0f} s")
