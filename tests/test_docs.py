"""Documentation examples are tests: the docstring examples and the README's Python snippet run."""

import doctest
import re

import sim.runner


def test_docstring_examples_run():
    failures, attempted = doctest.testmod(sim.runner)
    assert attempted > 0 and failures == 0


def test_readme_python_snippet_runs(repo_root):
    readme = (repo_root / "README.md").read_text()
    snippet = re.search(r"```python\n(from sim\.runner import simulate.*?)```", readme, re.S).group(1)
    snippet = snippet.replace("n_worlds=2000", "n_worlds=50")
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert len(result.outcomes) == 50 and not result.events.query("world == 0 and rung >= 3").empty
