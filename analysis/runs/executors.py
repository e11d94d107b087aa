"""Where chunks of worlds run: in this process, in a local process pool, or on a Dask cluster.

Every executor has ``imap_unordered(function, tasks)`` yielding ``(task, result)`` as chunks finish,
with a bounded number of chunks in flight, and ``close()``. Results never depend on the executor:
each world's history depends only on its scenario, parameter values and seed.

Dask (an optional extra, ``pip install "escalation-sim[dask]"``): ``DaskExecutor(address=...)``
connects to a running scheduler; ``DaskExecutor(local=True)`` starts a ``LocalCluster`` on
127.0.0.1. Model code reaches the workers as follows: the executor compares a fingerprint of the
``sim`` and ``analysis`` sources on each worker with the local one; if a worker lacks the package
or runs other code, the local packages are zipped and sent with ``Client.upload_file`` (also to
workers that join later), stale modules are dropped from the workers, and the fingerprints are
checked again. A worker that still differs is an error, never a silent mix of model versions.
A local cluster runs its nannies in this process and each worker in a spawned process that exits when
this process's pipe to it closes (``distributed``'s own parent watch), so its workers die with the command.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import importlib
import importlib.util
import multiprocessing
import os
import pkgutil
import signal
import sys
import tempfile
import threading
import time
import types
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sim.errors import InputError

CODE_PACKAGES = ("sim", "analysis", "scenarios")


def _probe_code(packages: tuple[str, ...], refresh: bool = False) -> dict[str, str]:
    """SHA-256 of each module's source in the given packages, as this interpreter would import them.

    Self-contained (imports inside) because it is also sent by value to Dask workers that may not
    have the packages. It imports none of the packages' modules: it walks them with the finders that
    the next import would use (files on disk or an uploaded zip), so fingerprinting ``sim`` does not
    pay for importing Mesa. With ``refresh``, cached modules of the packages are dropped first so the
    next import comes from whatever is now first on the path (e.g. an uploaded zip).
    """
    import hashlib
    import importlib
    import importlib.util
    import pkgutil
    import sys

    if refresh:
        for name in list(sys.modules):
            if name.split(".")[0] in packages:
                del sys.modules[name]
        importlib.invalidate_caches()

    def digest(spec) -> str | None:
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "get_source"):
            return None
        try:
            source = loader.get_source(spec.name)
        except (ImportError, OSError):
            return None
        return None if source is None else hashlib.sha256(source.encode()).hexdigest()

    def walk(locations, prefix: str):
        # every module at any depth (sim.actors.militia, sim.scenario.sections, ...), found without importing
        for info in pkgutil.iter_modules(locations, prefix):
            spec = info.module_finder.find_spec(info.name)
            if spec is None:
                continue
            yield info.name, spec
            if info.ispkg and spec.submodule_search_locations:
                yield from walk(list(spec.submodule_search_locations), f"{info.name}.")

    prints: dict[str, str] = {}
    for package_name in packages:
        try:
            package = importlib.util.find_spec(package_name)
        except (ImportError, ValueError) as error:
            return {"<import error>": repr(error)}
        if package is None:
            return {"<import error>": repr(ModuleNotFoundError(f"No module named {package_name!r}"))}
        found = [(package_name, package)]
        if package.submodule_search_locations:
            found += sorted(walk(list(package.submodule_search_locations), f"{package_name}."), key=lambda pair: pair[0])
        for name, spec in found:
            value = digest(spec)
            if value is not None:
                prints[name] = value
    return prints


def _by_value(function: Callable) -> Callable:
    """A copy of a self-contained function that cloudpickle sends by value (workers need not import us)."""
    clone = types.FunctionType(function.__code__, {"__builtins__": __builtins__}, function.__name__,
                               function.__defaults__, function.__closure__)
    clone.__module__ = "__main__"
    return clone


def code_fingerprint(packages: Iterable[str] = CODE_PACKAGES) -> dict[str, str]:
    """SHA-256 of each module's source in the given packages, as this interpreter resolves them."""
    prints = _probe_code(tuple(packages))
    if "<import error>" in prints:
        raise ImportError(prints["<import error>"])
    return prints


def fingerprint_digest(prints: dict[str, str]) -> str:
    """One digest for a fingerprint mapping."""
    return hashlib.sha256(repr(sorted(prints.items())).encode()).hexdigest()[:16]


def model_fingerprint() -> str:
    """Digest of the ``sim`` modules that decide results (recorded in the manifest; a change refuses resume)."""
    return fingerprint_digest(code_fingerprint(("sim",)))


class InlineExecutor:
    """Runs chunks one after another in this process (small jobs, ``--workers 1``, tests)."""

    kind = "inline"
    workers = 1

    def imap_unordered(self, function: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        """Yield ``(task, function(task))`` in task order."""
        for task in tasks:
            yield task, function(task)

    def close(self, cancel: bool = False) -> None:
        """Nothing to release."""

    def describe(self) -> str:
        """A short human description."""
        return "in-process"


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCHDOG_INTERVAL = 0.5  # seconds between a worker's checks that its parent still runs


def _set_parent_death_signal(signum: int) -> bool:
    """Linux: have the kernel send ``signum`` to this process when its parent dies (prctl)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _parent_watchdog(parent_pid: int, sentinel: int | None) -> None:
    # Exit at once when the parent is gone: re-parented (getppid changes; with forkserver the parent is
    # the fork server, which exits with the main process) or the parent's end of the pipe is closed.
    from multiprocessing.connection import wait

    while True:
        if sentinel is not None:
            try:
                if wait([sentinel], timeout=WATCHDOG_INTERVAL):
                    os._exit(1)
            except OSError:
                os._exit(1)
        else:
            threading.Event().wait(WATCHDOG_INTERVAL)
        if os.getppid() != parent_pid:
            os._exit(1)


def _worker_init(main_pid: int, method: str) -> None:
    """Pool worker initializer: die with the parent, exit on SIGTERM, leave Ctrl-C to the parent."""
    # Ctrl-C goes to the whole process group: the parent handles it and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the command's SIGTERM handler (raise KeyboardInterrupt), which the pool
    # would catch and report as the chunk's error while the worker lives on: restore the default.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _set_parent_death_signal(signal.SIGKILL)
    parent_pid = os.getppid()
    if method == "fork" and parent_pid != main_pid:
        os._exit(1)  # the parent died before the death signal was armed
    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None) if parent is not None else None
    threading.Thread(target=_parent_watchdog, args=(parent_pid, sentinel), name="escalation-parent-watchdog",
                     daemon=True).start()


def _exit_code(process: Any, timeout: float = 2.0) -> int | None:
    """A finished pool worker's exit code, waiting up to ``timeout`` for it.

    The broken pool's own thread joins its workers at the same moment; when it reaps a worker first,
    ``Process.exitcode`` reads None for an instant although the worker is dead, so poll until it is set.
    """
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            process.join(timeout=0.1)
        code = process.exitcode
        if code is not None or time.monotonic() > deadline:
            return code
        time.sleep(0.02)


class WorkerLost(RuntimeError):
    """A worker process of the local pool died while chunks were running."""


def _bounded(submit: Callable, wait_first: Callable, tasks: Iterable, window: int) -> Iterator[tuple[Any, Any]]:
    pending: dict[Any, Any] = {}
    iterator = iter(tasks)
    exhausted = False
    while True:
        while not exhausted and len(pending) < window:
            try:
                task = next(iterator)
            except StopIteration:
                exhausted = True
                break
            pending[submit(task)] = task
        if not pending:
            return
        for future in wait_first(list(pending)):
            task = pending.pop(future)
            yield task, future.result()


class ProcessExecutor:
    """A local pool of worker processes (the default; nothing to start by hand).

    No worker outlives this process: each arms a parent-death signal (Linux ``prctl``) and runs a
    watchdog thread that exits when it is re-parented or the parent's pipe closes (within
    ``WATCHDOG_INTERVAL``); SIGTERM ends a worker at once; workers never hold the results store's lock.

    Args:
        workers: number of processes (default: the number of CPUs).
    """

    kind = "process"

    def __init__(self, workers: int | None = None):
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        # fork (Linux, single-threaded parent): workers inherit the imported model at once and never
        # re-run the caller's unguarded script or notebook; with other threads alive (e.g. a Dask
        # client in a notebook) fork is unsafe, so workers start from a clean forkserver instead.
        # Either way workers die with this process (see _worker_init) and never hold the store's lock
        # (its descriptor is closed in every fork child, and forkserver children never see it).
        method = "fork" if (sys.platform == "linux" and threading.active_count() == 1) else "forkserver"
        if method not in multiprocessing.get_all_start_methods():
            method = "spawn"
        self.start_method = method
        context = multiprocessing.get_context(method)
        self._pool = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_worker_init,
                                            initargs=(os.getpid(), method))
        self._started: dict[int, Any] = {}

    def imap_unordered(self, function: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        """Yield ``(task, result)`` as chunks finish; at most two chunks per worker in flight.

        Raises:
            WorkerLost: a worker process died (killed, e.g. by the out-of-memory killer).
        """

        def wait_first(futures):
            done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
            return done

        def submit(task):
            future = self._pool.submit(function, task)
            self._started.update(getattr(self._pool, "_processes", None) or {})
            return future

        try:
            yield from _bounded(submit, wait_first, tasks, 2 * self.workers)
        except cf.process.BrokenProcessPool as error:
            raise WorkerLost(self._lost_workers()) from error

    def _lost_workers(self) -> str:
        # The pool terminates (SIGTERM) the other workers once one dies: name the others only if every
        # worker ended by SIGTERM.
        ended = {}
        for pid, process in self._started.items():
            code = _exit_code(process)
            if code not in (None, 0):
                ended[pid] = code
        if any(code != -signal.SIGTERM for code in ended.values()):
            ended = {pid: code for pid, code in ended.items() if code != -signal.SIGTERM}
        lost = []
        for pid, code in ended.items():
            try:
                lost.append(f"worker {pid} was killed by {signal.Signals(-code).name}" if code < 0 else
                            f"worker {pid} exited with code {code}")
            except ValueError:
                lost.append(f"worker {pid} exited with code {code}")
        what = "; ".join(lost) or "a worker process ended unexpectedly"
        return (f"{what} (out of memory? a signal?); the chunks stored so far are kept and running the same "
                f"command again resumes")

    def close(self, cancel: bool = False) -> None:
        """Shut the pool down; with ``cancel``, stop running chunks at once (their results are dropped)."""
        if cancel:
            processes = list(getattr(self._pool, "_processes", {}).values())
            result_queue = getattr(self._pool, "_result_queue", None)  # shutdown forgets it: kept for below
            # Terminate before shutting down: a worker still writing a large result into a pipe the
            # shutdown closes would otherwise print a BrokenPipeError traceback on the user's terminal.
            for process in processes:
                with contextlib.suppress(Exception):
                    process.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                with contextlib.suppress(Exception):
                    process.join(timeout=5)
            # A worker terminated while it was writing a result leaves half a message in the result pipe; the
            # pool's own thread then waits for the rest forever, and the interpreter waits for that thread at
            # exit, so the command never ends. With the workers dead, this process holds the pipe's only
            # write end: closing it ends that read (end of file), the thread sees a broken pool and finishes.
            with contextlib.suppress(Exception):
                result_queue._writer.close()
        else:
            self._pool.shutdown(wait=True)

    def describe(self) -> str:
        """A short human description."""
        return f"local process pool, {self.workers} workers"


def _zip_packages(packages: Iterable[str], directory: str) -> str:
    digest = fingerprint_digest(code_fingerprint(tuple(packages)))
    path = os.path.join(directory, f"escalation_code_{digest}.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for package_name in packages:
            root = Path(importlib.import_module(package_name).__path__[0])
            for file in sorted(root.rglob("*")):
                if file.is_file() and "__pycache__" not in file.parts and file.suffix in (".py", ".yaml", ".yml"):
                    archive.write(file, f"{package_name}/{file.relative_to(root).as_posix()}")
    return path


FORK_SERVER_PRELOAD = ("distributed", "numpy", "pandas", "pyarrow", "sim.runner", "analysis.runs.execute")


_warmed_fork_server_pid: int | None = None  # the fork server warm_fork_server started for this command


def _fork_server_running() -> bool:
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    return server is None or getattr(server, "_forkserver_pid", 0) is not None


def _fork_server_is_ours() -> bool:
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    return pid is not None and pid == _warmed_fork_server_pid


def _worker_start_method() -> str:
    """How a local cluster starts its worker processes: ``forkserver`` when this process has none running yet.

    A fork server started now (or by :func:`warm_fork_server` at the start of this command) imports the
    model from the same files as this process a moment ago; one started earlier (by an earlier cluster, a
    process pool, another library) may hold modules imported before the sources changed, so then each
    worker is spawned as a fresh interpreter (Dask's default).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return "spawn"
    if _fork_server_is_ours():
        return "forkserver"
    return "spawn" if _fork_server_running() else "forkserver"


def _set_fork_server_preload() -> None:
    """Have the fork server (not running yet) import Dask's packages and the model before it forks workers."""
    from multiprocessing import forkserver

    dask_list = list(getattr(getattr(forkserver, "_forkserver", None), "_preload_modules", None) or [])
    dask_list = [name for name in dask_list if name != "__main__"]  # multiprocessing's default, not Dask's
    forkserver.set_forkserver_preload(list(dict.fromkeys([*dask_list, *FORK_SERVER_PRELOAD])))


def warm_fork_server() -> bool:
    """Start the local Dask cluster's fork server now, so it imports while this command does other work.

    The fork server spends about a second importing Dask, numpy, pandas and the model before it can fork
    the first worker; started when a command that will run a local cluster begins (before the command's
    own imports, scenario loading and store checks, which run on the other core), that second is no longer
    added to the command's time. Returns whether a server was started; :func:`stop_fork_server` (called
    when the command ends, whatever its outcome) stops it.
    """
    global _warmed_fork_server_pid
    if "forkserver" not in multiprocessing.get_all_start_methods() or _fork_server_running():
        return False
    from multiprocessing import forkserver

    _set_fork_server_preload()
    forkserver.ensure_running()
    _warmed_fork_server_pid = forkserver._forkserver._forkserver_pid
    return True


def _preload_fork_server() -> None:
    """Set the fork server's preload list before the local cluster starts one (Dask's list and the model)."""
    import distributed.utils

    distributed.utils.get_mp_context()  # sets Dask's own preload list once per process: extend it
    _set_fork_server_preload()


def stop_fork_server() -> None:
    """Stop this process's fork server at once and reap it (its CPU time then counts for this process's children).

    It is killed rather than asked to exit: by now its workers are gone, it holds nothing to save, and a
    clean interpreter exit after importing pandas and Dask costs about 0.4 s of the command's time.
    """
    global _warmed_fork_server_pid
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    lock = getattr(server, "_lock", None)
    if server is None or lock is None:
        return
    with lock:
        pid = getattr(server, "_forkserver_pid", None)
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                server._stop_unlocked()
    _warmed_fork_server_pid = None


def dask_available() -> bool:
    """Whether ``dask.distributed`` can be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


class DaskExecutor:
    """Chunks on a Dask cluster: a running scheduler (``address``) or a local cluster on 127.0.0.1.

    Args:
        address: scheduler address, e.g. ``tcp://127.0.0.1:8786``.
        local: start a ``LocalCluster`` (processes, one thread each) bound to 127.0.0.1.
        workers: number of local workers (``local`` only; default: the number of CPUs).
        timeout: seconds to wait for the scheduler.
    """

    kind = "dask"

    def __init__(self, address: str | None = None, local: bool = False, workers: int | None = None,
                 timeout: float = 10.0):
        if not dask_available():
            raise InputError('Dask is not installed; install the extra: pip install "escalation-sim[dask]"')
        from distributed import Client, LocalCluster

        self._cluster = None
        self.start_method: str | None = None  # a local cluster's: forkserver or spawn
        self._own_fork_server = False
        if address:
            try:
                self.client = Client(address, timeout=f"{timeout}s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as error:
                reason = " ".join(str(error).split())[:160] or type(error).__name__
                raise InputError(f"cannot reach the Dask scheduler at {address} ({reason})", key="--scheduler") from None
        elif local:
            n = max(1, int(workers or os.cpu_count() or 1))
            import dask

            # Dask's nannies give workers MALLOC_TRIM_THRESHOLD_=65536, which returns freed memory to the
            # system after every numpy temporary: measured 2.6x slower than the pool at 100k worlds (24.7 s of
            # system time). Workers of this cluster keep glibc's default instead (None unsets it: Dask's
            # documented way); a value the user exported is still passed on. Dask's statistical profiler
            # (a stack sample of the running chunk every 10 ms) is off, and workers fork from a fork server
            # that imported Dask, numpy, pandas and the model once, instead of importing them each in a
            # spawned interpreter (see _worker_start_method); each worker has one thread, no dashboard.
            method = _worker_start_method()
            settings = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                        "distributed.worker.profile.enabled": False,
                        "distributed.worker.multiprocessing-method": method,
                        # housekeeping wakes each event loop (and takes the GIL from a running chunk) less often:
                        # the blocked-loop watchdog every 20 ms -> 1 s, resource and memory polls -> 1 s
                        "distributed.admin.tick.interval": "1s",
                        "distributed.admin.system-monitor.interval": "1s",
                        "distributed.worker.memory.monitor-interval": "1s"}
            with dask.config.set(settings):
                if method == "forkserver":
                    _preload_fork_server()
                self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                             dashboard_address=None, silence_logs=40)
            self.start_method = method
            self._own_fork_server = method == "forkserver"
            # results come from the workers directly, not relayed through the scheduler
            self.client = Client(self._cluster, set_as_default=False, direct_to_workers=True)
        else:
            raise ValueError("DaskExecutor needs an address or local=True")
        self.address = self.client.scheduler.address
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            self.close()
            raise InputError(f"the Dask scheduler at {self.address} has no workers", key="--scheduler") from None
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))
        self._temp = tempfile.TemporaryDirectory(prefix="escalation-code-")
        self.shipped_code = False
        self._ensure_code()

    def _ensure_code(self) -> None:
        local = code_fingerprint(CODE_PACKAGES)
        probe = _by_value(_probe_code)
        remote = self.client.run(probe, CODE_PACKAGES, False)
        if all(prints == local for prints in remote.values()):
            return
        archive = _zip_packages(CODE_PACKAGES, self._temp.name)
        self.client.upload_file(archive, load=True)  # puts the zip first on the workers' sys.path
        remote = self.client.run(probe, CODE_PACKAGES, True)
        stale = {worker: prints for worker, prints in remote.items() if prints != local}
        if stale:
            worker, prints = next(iter(stale.items()))
            differing = sorted(name for name in set(prints) | set(local) if prints.get(name) != local.get(name))
            self.close()
            raise InputError(f"Dask worker {worker} (and {len(stale) - 1} more) runs different code for "
                             f"{', '.join(differing[:3])} even after the local code was sent; restart the workers",
                             key="--scheduler")
        self.shipped_code = True

    def imap_unordered(self, function: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        """Yield ``(task, result)`` as chunks finish; at most two chunks per worker thread in flight."""
        from distributed import as_completed

        iterator = iter(tasks)
        pending: dict[Any, Any] = {}
        completed = as_completed(loop=self.client.loop)

        def submit_next() -> None:
            for task in iterator:
                future = self.client.submit(function, task, pure=False)
                pending[future] = task
                completed.add(future)
                return

        for _ in range(2 * self.workers):
            submit_next()
        try:
            for future in completed:
                task = pending.pop(future)
                result = future.result()
                future.release()
                submit_next()
                yield task, result
        finally:
            for future in pending:
                future.cancel()

    def close(self, cancel: bool = False) -> None:
        """Disconnect (and stop the local cluster, if this executor started one)."""
        with contextlib.suppress(Exception):
            self.client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            if self._own_fork_server:  # the next local cluster starts a fresh one (with the code as it is then)
                stop_fork_server()
                self._own_fork_server = False
        temp = getattr(self, "_temp", None)
        if temp is not None:
            with contextlib.suppress(Exception):
                temp.cleanup()

    def describe(self) -> str:
        """A short human description."""
        where = "local Dask cluster" if self._cluster is not None else "Dask scheduler"
        shipped = ", model code sent to workers" if self.shipped_code else ""
        return f"{where} {self.address}, {self.workers} worker threads{shipped}"


def make_executor(workers: int | None = None, scheduler: str | None = None, dask: bool = False,
                  total_chunks: int | None = None, timeout: float = 10.0) -> InlineExecutor | ProcessExecutor | DaskExecutor:
    """Pick the executor: Dask when asked, inline for one worker or one chunk, else a process pool."""
    if workers is not None and workers < 1:
        raise InputError(f"expected a positive number of workers, got {workers}", key="--workers")
    if scheduler:
        return DaskExecutor(address=scheduler, timeout=timeout)
    if dask:
        return DaskExecutor(local=True, workers=workers, timeout=timeout)
    n = workers or os.cpu_count() or 1
    if n == 1 or (total_chunks is not None and total_chunks <= 1):
        return InlineExecutor()
    return ProcessExecutor(min(n, total_chunks) if total_chunks else n)
