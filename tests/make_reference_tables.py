"""Write tests/data/reference_tables.json: hashes of the tables of a seeded batch of every shipped scenario.

``tests/test_model.py::test_seeded_tables_match_the_reference`` recomputes these hashes; a refactoring
must leave them unchanged. After a deliberate change of the model's behaviour, regenerate the file with
``python -m tests.make_reference_tables`` (from the repository root) and commit it with the change.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

from sim.runner import simulate
from sim.scenario import list_scenarios

N_WORLDS = 1000
SEED = 7
REFERENCE = Path(__file__).parent / "data" / "reference_tables.json"


def table_hash(df: pd.DataFrame) -> str:
    """SHA-256 of a table's values (categories as strings), index, column names and dtypes."""
    df = df.astype({c: str for c in df.columns if str(df[c].dtype) == "category"})
    return hashlib.sha256(
        pd.util.hash_pandas_object(df, index=True).values.tobytes()
        + ",".join(map(str, df.columns)).encode()
        + ",".join(map(str, df.dtypes)).encode()
    ).hexdigest()


def scenario_hashes(name: str) -> dict[str, object]:
    """Hashes and row counts of the events, series and outcomes of one scenario's reference batch."""
    result = simulate(name, n_worlds=N_WORLDS, seed=SEED)
    hashes: dict[str, object] = {}
    for table in ("events", "series", "outcomes"):
        df = getattr(result, table)
        hashes[table] = table_hash(df)
        hashes[table + "_rows"] = len(df)
    return hashes


def reference_hashes(verbose: bool = False) -> dict[str, dict[str, object]]:
    """Hashes of every shipped scenario's reference batch, by scenario name."""
    out = {}
    for info in list_scenarios():
        out[info.name] = scenario_hashes(info.name)
        if verbose:
            print(info.name, out[info.name], flush=True)
    return out


def main(path: Path = REFERENCE) -> None:
    """Recompute the hashes and write them to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as file:
        json.dump(reference_hashes(verbose=True), file, indent=1)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REFERENCE)
