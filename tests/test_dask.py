"""Dask execution: a real LocalCluster and a real `dask scheduler` + `dask worker` on 127.0.0.1.

Skipped when Dask is not installed, unless ESCALATION_REQUIRE_DASK=1 (CI), which makes that a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pandas as pd
import pytest

import analysis
from analysis.cli.dashboard import free_port

try:
    import distributed
except ImportError:
    if os.environ.get("ESCALATION_REQUIRE_DASK") == "1":
        pytest.fail("ESCALATION_REQUIRE_DASK=1 but dask.distributed is not installed "
                    '(pip install ".[dask]")', pytrace=False)
    pytest.skip("dask.distributed is not installed", allow_module_level=True)

SPEC = {
    "name": "on_dask",
    "scenarios": ["baseline"],
    "parameters": {
        "quds_force.leash_strength": {"lo": 0.3, "hi": 0.9, "levels": 3},
        "united_states.hawkishness": {"values": [-1.0, 1.0]},
    },
    "design": {"kind": "grid"},
    "replicates": 20,
    "days": 45,
    "seed": 5,
}
CHUNK = 25


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory):
    """The sweep on the default local executor."""
    return analysis.sweep(SPEC, out=tmp_path_factory.mktemp("local") / "out", workers=1, chunk_size=1000,
                          events=True, quiet=True)


def _assert_same(left, right):
    pd.testing.assert_frame_equal(left.outcomes(), right.outcomes(), check_exact=True)
    pd.testing.assert_frame_equal(left.events(), right.events(), check_exact=True)


def test_local_cluster_gives_the_local_tables(local_reference, tmp_path):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        results = analysis.sweep(SPEC, out=tmp_path / "out", scheduler=cluster.scheduler_address,
                                 chunk_size=CHUNK, events=True, quiet=True)
    assert results.manifest["runs"][-1]["executor"].startswith(f"Dask scheduler {cluster.scheduler_address}")
    _assert_same(results, local_reference)


def test_dask_flag_starts_a_loopback_cluster(local_reference, tmp_path):
    results = analysis.sweep(SPEC, out=tmp_path / "out", dask=True, workers=2, chunk_size=CHUNK, events=True,
                             quiet=True)
    assert results.manifest["runs"][-1]["executor"].startswith("local Dask cluster tcp://127.0.0.1:")
    _assert_same(results, local_reference)


def _malloc_trim_threshold():
    import os

    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_the_local_cluster_does_not_impose_dask_s_malloc_trim_threshold(monkeypatch):
    """Dask's default MALLOC_TRIM_THRESHOLD_=65536 made every numpy temporary cost system time (2.6x slower
    than the pool at 100k worlds); the local cluster's workers keep glibc's default.

    An in-process nanny copies its workers' environment into this process's os.environ, so a cluster
    started by an earlier test leaves the variable behind: it is removed first, as a fresh command has it.
    """
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    import dask

    from analysis.runs.executors import DaskExecutor

    assert dask.config.get("distributed.nanny.pre-spawn-environ").get("MALLOC_TRIM_THRESHOLD_") is not None
    executor = DaskExecutor(local=True, workers=1)
    try:
        assert set(executor.client.run(_malloc_trim_threshold).values()) == {None}
    finally:
        executor.close()


FORK_SERVER_CHECK = """
import json, os, sys
from analysis.runs.executors import DaskExecutor

def state():
    import sys, time, dask
    return {"model_imported": "sim.runner" in sys.modules, "cpu_seconds": time.process_time(),
            "profiler": dask.config.get("distributed.worker.profile.enabled"), "parent": os.getppid()}

first = DaskExecutor(local=True, workers=2)
workers = first.client.run(state)
first.close()
second = DaskExecutor(local=True, workers=1)  # the first one's fork server was stopped: a fresh one
again = second.start_method
second.close()
print(json.dumps({"method": first.start_method, "again": again, "workers": list(workers.values()),
                  "me": os.getpid()}))
"""


def test_a_fresh_process_forks_local_workers_from_a_fork_server_that_imported_the_model(tmp_path):
    """A command's local cluster starts workers with the model already imported (no per-worker interpreter start
    and imports), without Dask's profiler; the fork server is stopped when the cluster closes."""
    done = subprocess.run([sys.executable, "-c", FORK_SERVER_CHECK], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    report = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert report["method"] == "forkserver" and report["again"] == "forkserver"
    assert len(report["workers"]) == 2
    for worker in report["workers"]:
        assert worker["model_imported"] and worker["profiler"] is False
        assert worker["parent"] != report["me"]  # forked by the fork server, not by this process
        assert worker["cpu_seconds"] < 0.5  # a spawned worker spends about a second importing the model


WARMED_CHECK = """
import json, os
from analysis.runs.executors import DaskExecutor, warm_fork_server
from multiprocessing import forkserver

started = warm_fork_server()
server = forkserver._forkserver._forkserver_pid
executor = DaskExecutor(local=True, workers=2)
parents = list(executor.client.run(os.getppid).values())
method = executor.start_method
executor.close()
try:
    os.kill(server, 0)
    alive = True
except ProcessLookupError:
    alive = False
print(json.dumps({"started": started, "server": server, "parents": parents, "method": method, "alive": alive}))
"""


def test_a_fork_server_warmed_at_the_start_of_a_command_forks_the_cluster_s_workers_and_is_gone_after(tmp_path):
    """`warm_fork_server` (what a `--dask` command calls first) starts the server the local cluster then uses;
    closing the cluster kills and reaps it."""
    done = subprocess.run([sys.executable, "-c", WARMED_CHECK], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    report = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert report["started"] and report["method"] == "forkserver"
    assert report["parents"] == [report["server"]] * 2
    assert not report["alive"]


REFUSED_CHECK = """
import json, os, sys
import analysis.runs.executors as executors
from analysis.cli.main import main
from multiprocessing import forkserver

servers = []
warm = executors.warm_fork_server
def remembering():
    started = warm()
    servers.append(forkserver._forkserver._forkserver_pid)
    return started
executors.warm_fork_server = remembering
code = main(["batch", "no_such_scenario", "--worlds", "10", "--dask", "--out", sys.argv[1]])
gone = []
for pid in servers:
    try:
        os.kill(pid, 0)
        gone.append(False)
    except ProcessLookupError:
        gone.append(True)
print(json.dumps({"code": code, "servers": servers, "gone": gone}))
"""


def test_a_refused_dask_command_leaves_no_fork_server(tmp_path):
    """Bad input after the fork server was warmed: exit 2, nothing written, and the server killed and reaped."""
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", REFUSED_CHECK, str(out)], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 2 and "no_such_scenario" in done.stderr
    assert len(report["servers"]) == 1 and report["gone"] == [True]
    assert not out.exists()


FINGERPRINT_CHECK = """
import hashlib, importlib, json, pkgutil, sys
from analysis.runs.executors import CODE_PACKAGES, code_fingerprint

found = code_fingerprint(CODE_PACKAGES)
imported_mesa = "mesa" in sys.modules
# the same mapping the long way: import every package and walk it
expected = {}
for package_name in CODE_PACKAGES:
    package = importlib.import_module(package_name)
    names = [package_name] + sorted(m.name for m in pkgutil.walk_packages(package.__path__, f"{package_name}."))
    for name in names:
        source = importlib.util.find_spec(name).loader.get_source(name)
        expected[name] = hashlib.sha256(source.encode()).hexdigest()
print(json.dumps({"imported_mesa": imported_mesa, "same": found == expected, "modules": len(found)}))
"""


def test_the_code_fingerprint_covers_every_module_without_importing_the_model():
    """The fingerprint (in every manifest, and compared with each Dask worker's) hashes every module of the
    packages, as walking them by import would, but imports none of them (so not Mesa, 0.7 s)."""
    done = subprocess.run([sys.executable, "-c", FINGERPRINT_CHECK], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert report == {"imported_mesa": False, "same": True, "modules": report["modules"]}
    assert report["modules"] > 60


def _documented_dask_config() -> str:
    """The Dask configuration file docs/architecture.md tells users to give workers they start themselves."""
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text()
    blocks = [block for block in re.findall(r"```yaml\n(.*?)```", text, re.S) if "MALLOC_TRIM_THRESHOLD_" in block]
    assert len(blocks) == 1, "docs/architecture.md should show one Dask config block unsetting the trim threshold"
    return blocks[0]


def test_workers_started_as_documented_get_no_malloc_trim_threshold(tmp_path):
    """`dask worker` with the documented config file keeps glibc's default; one started without it gets 65536."""
    config = tmp_path / "dask-config"
    config.mkdir()
    (config / "escalation.yaml").write_text(_documented_dask_config())
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    base = {k: v for k, v in os.environ.items() if k not in ("MALLOC_TRIM_THRESHOLD_", "DASK_CONFIG")}
    log = open(tmp_path / "cluster.log", "w")
    processes = [subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", "127.0.0.1:0", "--no-show"], cwd=tmp_path, env=base, stdout=log, stderr=log)]
    for name, env in (("documented", dict(base, DASK_CONFIG=str(config))), ("default", base)):
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--name", name,
             "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"], cwd=tmp_path, env=env, stdout=log, stderr=log))
    try:
        with distributed.Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            names = {worker: info["name"] for worker, info in client.scheduler_info()["workers"].items()}
            # a lambda travels by value: these workers cannot import this test module
            probe = lambda: __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_")  # noqa: E731
            seen = {names[worker]: value for worker, value in client.run(probe).items()}
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
    assert seen == {"documented": None, "default": "65536"}


def _site_packages_without_the_project(view: Path) -> Path:
    """A directory of links to every installed distribution except this project (editable or not)."""
    view.mkdir()
    hidden = ("sim", "analysis", "scenarios", "escalation_sim", "__editable__")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.startswith(hidden) or entry.suffix == ".pth":
            continue
        (view / entry.name).symlink_to(entry)
    return view


@pytest.fixture
def scheduler_without_the_package(tmp_path):
    """`dask scheduler` and `dask worker` subprocesses on 127.0.0.1; the worker cannot import `sim`.

    The worker runs with ``python -S`` and a view of site-packages without this project, so however
    the project is installed, the worker cannot import it: the model code must be sent by the client.
    """
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    workdir = tmp_path / "cluster"
    workdir.mkdir()
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", "127.0.0.1:0", "--no-show"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=open(workdir / "scheduler.log", "w"))
    env = dict(os.environ, PYTHONPATH=str(_site_packages_without_the_project(tmp_path / "site")))
    worker_check = subprocess.run([sys.executable, "-S", "-c", "import sim"], cwd=workdir, env=env,
                                  capture_output=True)
    assert worker_check.returncode != 0, "the worker's interpreter should not see the project"
    worker = subprocess.Popen(
        [sys.executable, "-S", "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
         "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0", "--local-directory", str(workdir / "worker")],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / "worker.log", "w"))
    try:
        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for process in (worker, scheduler):
            process.terminate()
        for process in (worker, scheduler):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def test_scheduler_and_worker_subprocesses_get_the_model_code(local_reference, scheduler_without_the_package,
                                                              tmp_path, escalation):
    out = tmp_path / "out"
    finished = escalation("sweep", _spec_file(tmp_path), "--out", out, "--scheduler", scheduler_without_the_package,
                          "--chunk-size", CHUNK, "--events", cwd=tmp_path, timeout=180)
    assert finished.returncode == 0, finished.stderr
    results = analysis.open_results(out)
    assert "model code sent to workers" in results.manifest["runs"][-1]["executor"]
    _assert_same(results, local_reference)


def _spec_file(directory: Path) -> Path:
    import yaml

    path = directory / "on_dask.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    return path


def test_an_unreachable_scheduler_is_one_line_and_exit_2_before_anything_runs(tmp_path, escalation):
    address = f"tcp://127.0.0.1:{free_port()}"
    out = tmp_path / "out"
    started = time.monotonic()
    finished = escalation("sweep", _spec_file(tmp_path), "--out", out, "--scheduler", address, "--connect-timeout", "2",
                          cwd=tmp_path, timeout=60)
    assert finished.returncode == 2
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith(f"escalation sweep: error: --scheduler: cannot reach the Dask scheduler at {address}")
    assert not out.exists()
    assert time.monotonic() - started < 30
