"""Process lifecycle of `escalation batch`: no worker outlives the command, the lock never blocks a resume.

Real processes throughout (Linux: /proc is read to find them). The SIGKILL test kills the parent at
seeded random moments, 3 times by default; ``ESCALATION_KILL_TRIALS=20 pytest tests/test_lifecycle.py
-k sigkill -n 0 -s`` runs the long version and prints one line per trial (the seed is
``ESCALATION_KILL_SEED``, default 20240601).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import analysis

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; SIGKILL semantics")

# 800 baseline worlds of 180 days in chunks of 30 with series: about 5 s on two workers.
COMMAND = ["batch", "baseline", "--worlds", "800", "--days", "180", "--chunk-size", "30", "--series", "--workers", "2"]
KILL_WINDOW = (0.3, 4.5)  # seconds after the start at which the parent is killed
GRACE = 5.0  # seconds within which every process of the run must be gone


def _command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "analysis.cli.main", *COMMAND, "--out", str(out), *extra]


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, process group, state) of every process, from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        table[int(entry)] = (int(fields[1]), int(fields[2]), fields[0].decode())
    return table


def _members(root: int, known: set[int] = frozenset()) -> set[int]:
    """Live processes of the run started as ``root`` in its own session: its descendants, anything
    still in its process group, and the previously recorded ``known`` (zombies count as gone)."""
    table = _processes()
    found = {pid for pid, (_, group, _) in table.items() if group == root} | set(known)
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _, _) in table.items():
            if ppid == parent and pid not in found:
                found.add(pid)
                frontier.append(pid)
    return {pid for pid in found if pid in table and table[pid][2] not in ("Z", "X") and pid != root}


def _wait_until_gone(root: int, known: set[int], timeout: float = GRACE) -> set[int]:
    deadline = time.monotonic() + timeout
    while True:
        alive = _members(root, known)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _describe(pids: set[int]) -> str:
    lines = []
    for pid in sorted(pids):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
        except OSError:
            cmdline = "?"
        lines.append(f"{pid}: {cmdline}")
    return "; ".join(lines)


def _start(out: Path, log: Path, *extra: str) -> subprocess.Popen:
    # Output goes to files: a process left holding a pipe would otherwise hang the test, not fail it.
    with open(log, "ab") as stream:
        return subprocess.Popen(_command(out, *extra), stdout=stream, stderr=stream, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=out.parent)


def _watch(process: subprocess.Popen, seconds: float, known: set[int]) -> None:
    """Record the run's processes for ``seconds`` (or until it exits)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        known |= _members(process.pid)
        time.sleep(0.02)


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    results = analysis.open_results(path)
    return {"outcomes": results.outcomes().sort_values("world", kind="stable").reset_index(drop=True),
            "series": results.series().sort_values(["world", "day"], kind="stable").reset_index(drop=True)}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The same command, uninterrupted."""
    out = tmp_path_factory.mktemp("reference") / "store"
    done = subprocess.run(_command(out, "--quiet"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return _tables(out)


def _finish_and_compare(out: Path, reference: dict[str, pd.DataFrame]) -> None:
    resumed = subprocess.run(_command(out), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert "another escalation process" not in resumed.stderr
    assert len([line for line in resumed.stderr.splitlines() if "taking over" in line]) <= 1
    tables = _tables(out)
    for name, frame in reference.items():
        pd.testing.assert_frame_equal(tables[name], frame, obj=name)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["finished_at"]


def test_sigkill_of_the_parent_at_random_moments_leaves_no_process_and_the_rerun_resumes(reference, tmp_path):
    """Each trial reruns the command on the store and SIGKILLs it; once a store is complete it is
    compared with the uninterrupted run and the next trial starts a new one."""
    trials = int(os.environ.get("ESCALATION_KILL_TRIALS", "3"))
    rng = random.Random(int(os.environ.get("ESCALATION_KILL_SEED", "20240601")))
    stores = 0
    out = tmp_path / f"store-{stores}"
    report = []
    for trial in range(trials):
        log = tmp_path / f"trial-{trial}.log"
        process = _start(out, log)
        delay = rng.uniform(*KILL_WINDOW)
        known: set[int] = set()
        _watch(process, delay, known)
        finished = process.poll() is not None
        if not finished:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        clock = time.monotonic()
        alive = _wait_until_gone(process.pid, known)
        gone_after = time.monotonic() - clock
        worlds = analysis.open_results(out).worlds_done if (out / "manifest.json").exists() else 0
        report.append(f"trial {trial}: store {stores}, killed at {delay:.2f}s{' (had finished)' if finished else ''}, "
                      f"{len(known)} child processes seen, none alive {gone_after:.2f}s after, {worlds} worlds stored")
        text = log.read_text(errors="replace")
        assert not alive, f"trial {trial}: still alive {GRACE}s after SIGKILL of the parent: {_describe(alive)}"
        assert "another escalation process" not in text, text
        assert "Traceback" not in text, text
        if worlds == 800:
            _finish_and_compare(out, reference)
            stores += 1
            out = tmp_path / f"store-{stores}"
    print("\n".join(report))
    if (out / "manifest.json").exists() or stores == 0:
        _finish_and_compare(out, reference)


def _workers_started(process: subprocess.Popen, count: int, timeout: float = 20.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before its workers started"
        children = {pid for pid, (ppid, _, state) in _processes().items() if ppid == process.pid and state != "Z"}
        if len(children) >= count:
            return children
        time.sleep(0.05)
    raise AssertionError("the workers did not start")


def test_sigterm_ends_the_parent_and_its_workers_and_a_worker_exits_on_sigterm(tmp_path):
    out = tmp_path / "store"
    log = tmp_path / "run.log"
    process = _start(out, log)
    workers = _workers_started(process, 2)
    time.sleep(0.7)  # chunks running
    known = _members(process.pid)
    os.kill(process.pid, signal.SIGTERM)
    code = process.wait(timeout=GRACE)
    assert code == 130, log.read_text()
    assert "interrupted; only complete results were kept" in log.read_text()
    assert not _wait_until_gone(process.pid, known | workers)

    # SIGTERM to one worker (what `kill PID` does) ends it; the command then stops with a clear error
    # and leaves nothing behind; the stored chunks are kept.
    process = _start(out, log)
    workers = _workers_started(process, 2)
    time.sleep(0.7)
    known = _members(process.pid)
    victim = min(workers)
    os.kill(victim, signal.SIGTERM)
    deadline = time.monotonic() + 2.0
    while victim in _members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert victim not in _members(process.pid), "a worker outlived SIGTERM by 2 s"
    code = process.wait(timeout=GRACE)
    assert code != 0
    text = log.read_text()
    assert f"worker {victim} was killed by SIGTERM" in text, f"victim {victim}, workers {sorted(workers)}:\n{text}"
    assert not _wait_until_gone(process.pid, known | workers)


def test_sigkill_of_the_parent_leaves_no_dask_worker_of_a_local_cluster(tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "store"
    log = tmp_path / "run.log"
    process = _start(out, log, "--dask")
    deadline = time.monotonic() + 60
    while not list((out / "outcomes").glob("part-*")) and time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        time.sleep(0.05)
    known = _members(process.pid)
    parents = {pid: row[0] for pid, row in _processes().items()}
    # the cluster's worker processes (nannies run in the parent): spawned, or forked by the fork server
    workers = [pid for pid in known if "spawn_main" in _describe({pid}) or (
        "multiprocessing.forkserver" in _describe({pid}) and "multiprocessing.forkserver" in _describe({parents.get(pid, -1)}))]
    assert len(workers) >= 2, _describe(known)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    alive = _wait_until_gone(process.pid, known)
    assert not alive, f"still alive {GRACE}s after SIGKILL of the parent: {_describe(alive)}"


def _holder_script(lock: Path, record: dict) -> str:
    return textwrap.dedent(f"""
        import fcntl, json, os, sys, time
        fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        record = {record!r}
        record.setdefault("pid", os.getpid())
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\\n").encode(), 0)
        print("locked", flush=True)
        time.sleep(60)
    """)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_stale_lock_is_taken_over_with_a_notice_and_a_live_one_is_refused(tmp_path):
    out = tmp_path / "store"
    small = [sys.executable, "-m", "analysis.cli.main", "batch", "baseline", "--worlds", "20", "--days", "20",
             "--workers", "1", "--quiet", "--out", str(out)]
    first = subprocess.run(small, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert (out / ".lock").read_text() == ""  # released cleanly: no record left
    host = socket.gethostname()

    # 1. Left by a writer killed with -9: the record names a dead PID, nobody holds the flock.
    dead = _dead_pid()
    (out / ".lock").write_text(json.dumps({"pid": dead, "start": "1", "host": host, "since": "then"}) + "\n")
    again = subprocess.run(small, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    notices = [line for line in again.stderr.splitlines() if line.strip()]
    assert len(notices) == 1 and f"taking over the writer lock left by PID {dead}" in notices[0], again.stderr

    # 2. Held (flock) by a process the dead writer left behind, which inherited the descriptor.
    holder = subprocess.Popen([sys.executable, "-c", _holder_script(out / ".lock", {"pid": dead, "host": host,
                                                                                   "since": "then"})],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        taken = subprocess.run(small, capture_output=True, text=True, timeout=60)
        assert taken.returncode == 0, taken.stderr
        notices = [line for line in taken.stderr.splitlines() if line.strip()]
        assert len(notices) == 1 and f"PID {dead}" in notices[0] and "taking it over" in notices[0], taken.stderr
    finally:
        holder.kill()
        holder.wait()

    # 3. Held by a live writer: refused in one line, naming it.
    holder = subprocess.Popen([sys.executable, "-c", _holder_script(out / ".lock", {"host": host, "since": "now"})],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        refused = subprocess.run(small, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2
        assert f"another escalation process is writing to this directory (PID {holder.pid}" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    finally:
        holder.kill()
        holder.wait()


MEMORY_PROBE = """
import gc, json, os, sys

import numpy as np


def rss_mib():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measured(task):
    try:
        from analysis.runs.execute import run_chunk
    except ImportError:  # before the split of analysis.runs.jobs
        from analysis.runs.jobs import run_chunk
    tables = run_chunk(task)
    gc.collect()  # reference cycles are freed on the collector's schedule; what survives this is retained
    import mesa
    return rss_mib(), len(getattr(mesa.Agent, "_ids", None) or ()), os.getpid(), tables


if __name__ == "__main__":
    try:
        from analysis.runs.plan import plan_batch
    except ImportError:
        from analysis.runs.jobs import plan_batch
    from analysis.runs.executors import ProcessExecutor

    chunks, size, days = map(int, sys.argv[1:4])
    plan = plan_batch(["baseline"], worlds=chunks * size, seed=3, days=days)
    tasks = list(plan.chunks(np.zeros(plan.total, bool), size, False, False))
    executor = ProcessExecutor(1)  # one pool worker runs every chunk, as in a long batch
    readings = [result[:3] for _, result in executor.imap_unordered(measured, tasks)]
    executor.close()
    print(json.dumps(readings))
"""

MEMORY_CHUNKS, MEMORY_WARMUP = 50, 10
MEMORY_TOLERANCE_MIB = 1.0  # after warm-up; an EscalationModel kept per chunk adds about 0.09 MiB


def test_a_pool_worker_memory_stays_flat_over_many_chunks(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(MEMORY_PROBE)
    done = subprocess.run([sys.executable, str(script), str(MEMORY_CHUNKS), "10", "60"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    readings = json.loads(done.stdout.strip().splitlines()[-1])
    rss = [reading[0] for reading in readings]
    registry = [reading[1] for reading in readings]
    assert len({reading[2] for reading in readings}) == 1  # one worker process ran them all
    growth = max(rss[MEMORY_WARMUP:]) - rss[MEMORY_WARMUP - 1]
    summary = (f"RSS after chunk {MEMORY_WARMUP}: {rss[MEMORY_WARMUP - 1]:.1f} MiB, after {len(rss)}: {rss[-1]:.1f} MiB "
               f"(max growth {growth:.2f} MiB); models in mesa.Agent._ids: {registry[MEMORY_WARMUP - 1]} -> {registry[-1]}")
    print(summary)
    assert growth <= MEMORY_TOLERANCE_MIB, summary
    assert registry[-1] <= registry[MEMORY_WARMUP - 1] + 1, summary


def test_a_child_forked_before_it_restores_sigterm_dies_of_it_without_a_traceback():
    """A pool worker terminated while it starts still has the command's SIGTERM handler (it raises
    KeyboardInterrupt): in a child the handler dies of the signal instead, so nothing is printed."""
    code = ("import os, signal, time\n"
            "from analysis.runs.execute import install_sigterm_as_interrupt\n"
            "install_sigterm_as_interrupt()\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.kill(os.getpid(), signal.SIGTERM)\n"
            "    time.sleep(5)\n"
            "    os._exit(0)\n"
            "_, status = os.waitpid(pid, 0)\n"
            "print(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "True" and done.stderr == "", done.stderr


HALF_A_RESULT = """
import os, struct, sys, threading, time
from pathlib import Path

MARK = Path(sys.argv[1])

def half_a_result(task):
    # in a pool worker: start a result message on the pool's result pipe, then stop before finishing it
    frame = sys._getframe(1)
    while "result_queue" not in frame.f_locals:
        frame = frame.f_back
    frame.f_locals["result_queue"]._writer._send(struct.pack("!i", 1_000_000) + b"x" * 100)
    MARK.write_text("sent")
    time.sleep(60)

def drain(results):
    try:
        list(results)
    except Exception:  # the pool breaks when it is cancelled: what matters is that this process can end
        pass

if __name__ == "__main__":
    from analysis.runs.executors import ProcessExecutor

    executor = ProcessExecutor(workers=2)
    threading.Thread(target=drain, args=(executor.imap_unordered(half_a_result, [0]),), daemon=True).start()
    while not MARK.exists():
        time.sleep(0.05)
    time.sleep(0.3)  # the pool's thread is now reading the half message
    executor.close(cancel=True)
    print("closed", flush=True)
"""


def test_a_worker_cancelled_halfway_through_sending_a_result_does_not_keep_the_command_alive(tmp_path):
    """Cancelling the pool (Ctrl-C, a lost worker) terminates workers, and one may be cut off halfway through
    sending a chunk's result: the pool's thread then waited for the rest of the message for ever, and the
    command hung at exit with no worker left (seen once under load in test_ctrl_c_stops_cleanly...). The
    worker here stops halfway on purpose; the process must still end."""
    script = tmp_path / "half_a_result.py"
    script.write_text(HALF_A_RESULT)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen([sys.executable, str(script), str(tmp_path / "sent")], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"the process did not end after the pool was cancelled:\n{stdout}\n{stderr[-2000:]}")
    assert process.returncode == 0 and stdout.strip() == "closed", stderr[-2000:]
