"""Layering: the model package sim/ never depends on the analysis layer built on top of it."""

import ast
import subprocess
import sys
from pathlib import Path

SIM = Path(__file__).parent.parent / "sim"


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_no_module_under_sim_imports_analysis():
    files = sorted(SIM.rglob("*.py"))
    assert files
    offenders = {str(path.relative_to(SIM.parent)): sorted(m for m in _imported_modules(path) if m.split(".")[0] == "analysis")
                 for path in files}
    assert not {path: modules for path, modules in offenders.items() if modules}


def test_importing_the_model_loads_nothing_from_analysis():
    code = ("import sim.runner, sim.model; import sys; "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'analysis'], "
            "[m for m in sys.modules if m.split('.')[0] == 'analysis']")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SIM.parent)
    assert result.returncode == 0, result.stderr
