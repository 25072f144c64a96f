"""File work (reading uploads, building exports) in a small pool of worker processes.

Reading a 25,000-row CSV or building an XLSX is seconds of pure-Python work. Done in a web
process it holds the interpreter lock the whole time and every other request of that process
waits; a hostile file (a decompression bomb, a sheet built to be slow) could hold it for
minutes. In a worker process it costs one core and a bounded time, and the web process keeps
answering.

* The pool starts on first use, with ``HALLWAY_FILE_WORKERS`` processes (1 by default) per web
  process, forked from a clean server process that has the parsing and rendering code loaded.
* Each task runs under a time limit kept inside the worker: at ``timeout`` seconds a timer
  raises `TookTooLong` in the task, and should C code not hand control back, a CPU-time limit
  ends the process a few seconds later (the caller gets `WorkerLost`, the pool is replaced).
* Each worker's address space is capped at `WORKER_MEMORY_BYTES`, so whatever slips past the
  checks before parsing ends in a `MemoryError` in the worker, not in the machine's memory.
* A caller waits at most twice the timeout (time in the queue included), then gets `Busy`.
* Workers end when their web process does, however it ends (they check every second).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import pickle
import resource
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as WaitTimedOut
from concurrent.futures.process import BrokenProcessPool
from types import FrameType
from typing import Any, Final, TypeVar

from service.config import get_settings

__all__ = [
    "WORKER_MEMORY_BYTES",
    "Busy",
    "TaskFailed",
    "TookTooLong",
    "WorkerLost",
    "run",
    "shutdown",
]

T = TypeVar("T")

WORKER_MEMORY_BYTES: Final = 2 * 1024**3
# CPU seconds past the timeout before the kernel ends a task stuck in C code.
_HARD_GRACE_SECONDS: Final = 5
# How often a worker checks that its web process is still there.
_OWNER_POLL_SECONDS: Final = 1.0
# Seconds a new worker may take to start (fork, import the main module).
_START_SECONDS: Final = 5
_PRELOAD: Final = ["service.attendees.parsing", "service.exports.render"]

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None
_executor_key: tuple[int, int] | None = None


class TookTooLong(Exception):
    """The task ran past its time limit and was stopped."""


class WorkerLost(Exception):
    """The worker process died before it answered (a hard limit, or a crash)."""


class TaskFailed(Exception):
    """The task raised an exception that cannot cross to the caller; this names it."""


class Busy(Exception):
    """No worker took the task up in time: every worker is busy with other files."""


def run(function: Callable[..., T], /, *args: Any, timeout: float, **kwargs: Any) -> T:
    """Run ``function(*args, **kwargs)`` in a worker process and return its result.

    The function and its arguments must be picklable (module-level functions, plain data).
    Exceptions the function raises are raised here. Like every use of multiprocessing, the
    program's main module must keep its work under ``if __name__ == "__main__":``, since the
    workers import it.

    Args:
        function: What to run.
        timeout: Seconds the task may run once a worker has taken it up.

    Raises:
        TookTooLong: the task ran longer than ``timeout``.
        WorkerLost: the worker died (a CPU or memory limit, or a crash).
        Busy: no worker was free to start the task in time.

    Example:
        >>> run(sum, [1, 2, 3], timeout=10)
        6
    """
    executor = _pool(get_settings().file_workers)
    try:
        future: Future[T] = executor.submit(
            _limited, function, timeout, _HARD_GRACE_SECONDS, args, kwargs
        )
    except BrokenProcessPool:
        # A task before this one killed its worker; start afresh.
        _discard(executor)
        executor = _pool(get_settings().file_workers)
        future = executor.submit(_limited, function, timeout, _HARD_GRACE_SECONDS, args, kwargs)
    try:
        # Room for one task ahead of this one, this one, and a worker's start.
        return future.result(timeout=2 * timeout + _HARD_GRACE_SECONDS + _START_SECONDS)
    except WaitTimedOut:
        if future.cancel():
            raise Busy(f"no file worker was free within {timeout:g} seconds") from None
        # Running past every limit: its worker is stuck, and so would the next task be.
        _discard(executor)
        raise TookTooLong(f"took longer than {timeout:g} seconds") from None
    except BrokenProcessPool as exc:
        _discard(executor)
        raise WorkerLost("the file worker stopped before it answered") from exc


def shutdown() -> None:
    """Stop the pool at once, ending any task still running; the next `run` starts a new one."""
    global _executor, _executor_key
    with _lock:
        executor, _executor, _executor_key = _executor, None, None
    if executor is not None:
        _kill(executor)


def _pool(workers: int) -> ProcessPoolExecutor:
    global _executor, _executor_key
    # A forked web process must not share its parent's pool.
    key = (os.getpid(), workers)
    with _lock:
        if _executor is not None and _executor_key == key:
            return _executor
        stale, _executor = _executor, None
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        _executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )
        if _executor_key is None:
            _at_exit(shutdown)
        _executor_key = key
    if stale is not None:
        stale.shutdown(wait=False)
    return _executor


def _discard(executor: ProcessPoolExecutor) -> None:
    global _executor, _executor_key
    with _lock:
        if _executor is executor:
            _executor, _executor_key = None, None
    _kill(executor)


def _kill(executor: ProcessPoolExecutor) -> None:
    kill_workers = getattr(executor, "kill_workers", None)
    if kill_workers is not None:  # Python 3.14 and later
        kill_workers()
        return
    # Before 3.14 the executor keeps its processes to itself; shutdown would wait for a
    # running task, which may be the hostile file that got us here.
    processes = list(getattr(executor, "_processes", None) or {})
    executor.shutdown(wait=False, cancel_futures=True)
    for pid in processes:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _at_exit(callback: Callable[[], None]) -> None:
    # Runs before concurrent.futures joins its pools at interpreter exit (it would wait for a
    # running task); the plain atexit module runs too late for that.
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        register(callback)


def _start_worker(owner: int) -> None:
    # Ctrl-C in a terminal is for the web process; it stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_follow_owner, args=(owner,), name="follow-owner", daemon=True).start()
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = (
            WORKER_MEMORY_BYTES
            if hard == resource.RLIM_INFINITY
            else min(hard, WORKER_MEMORY_BYTES)
        )
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        # Some systems (macOS) do not limit the address space; the time limits still hold.
        pass


def _follow_owner(owner: int) -> None:
    """End this worker once the web process that started it is gone.

    A web server may end on a signal without running exit handlers (uvicorn re-raises SIGTERM
    after its graceful shutdown), and a worker forked by the fork server is not its child, so
    nothing else would stop it.
    """
    while True:
        time.sleep(_OWNER_POLL_SECONDS)
        if not _running(owner):
            os._exit(0)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # The number belongs to another user's process now: ours is gone.
        return False
    try:
        # A process that ended but was not reaped yet ("zombie") is gone too.
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _limited(
    function: Callable[..., T],
    timeout: float,
    grace: float,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> T:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise TookTooLong(f"took longer than {timeout:g} seconds")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu_cap = math.ceil(usage.ru_utime + usage.ru_stime + timeout + grace)
    if hard != resource.RLIM_INFINITY:
        cpu_cap = min(cpu_cap, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_cap, hard))
    try:
        return function(*args, **kwargs)
    except Exception as error:
        # An exception that cannot be rebuilt in the caller would break the whole pool.
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:
            raise TaskFailed(f"{type(error).__name__}: {error}") from None
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
