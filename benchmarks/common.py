"""Helpers shared by the benchmarks: timing medians, peak memory of a call, markdown tables.

Example:
    >>> times = median_time(lambda: sum(range(1000)), repeats=3)
    >>> times.median > 0, len(times.runs)
    (True, 3)
    >>> print(markdown_table(["a", "b"], [[1, 2.5]]))
    | a | b |
    |---|---|
    | 1 | 2.5 |
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Timing",
    "machine_line",
    "markdown_table",
    "median_time",
    "peak_memory_subprocess",
    "peak_python_memory",
]


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall times of repeated runs of one call.

    Attributes:
        runs: Seconds of each run, in order.
        result: What the last run returned.
    """

    runs: tuple[float, ...]
    result: Any

    @property
    def median(self) -> float:
        """Median seconds over the runs."""
        return statistics.median(self.runs)


def median_time(fn: Callable[[], Any], repeats: int = 3, *, warmup: int = 0) -> Timing:
    """Time ``fn`` ``repeats`` times (after ``warmup`` untimed calls) with a monotonic clock.

    Args:
        fn: The call to time, without arguments.
        repeats: Timed runs, >= 1; report the median, which one slow run does not move.
        warmup: Untimed runs first (lazy loading, caches, JIT compilation).

    Returns:
        A :class:`Timing` with every run's seconds and the last result.

    Example:
        >>> median_time(lambda: 2 + 2, repeats=1).result
        4
    """
    if repeats < 1:
        raise ValueError(f"The 'repeats' parameter must be an int >= 1. Got {repeats!r} instead.")
    for _ in range(warmup):
        fn()
    runs: list[float] = []
    result: Any = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return Timing(tuple(runs), result)


def peak_python_memory(fn: Callable[[], Any]) -> tuple[Any, int]:
    """Peak bytes allocated through Python's allocators (numpy included) while ``fn`` runs.

    Cheap and in-process, but blind to memory that native libraries (torch, ONNX Runtime)
    allocate themselves; use :func:`peak_memory_subprocess` for those.

    Example:
        >>> _, peak = peak_python_memory(lambda: bytearray(10_000_000))
        >>> peak >= 10_000_000
        True
    """
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not already:
            tracemalloc.stop()
    return result, peak


def _child(fn: Callable[..., Any], args: tuple[Any, ...], queue: Any) -> None:
    result = fn(*args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((result, peak * (1 if sys.platform == "darwin" else 1024)))


def peak_memory_subprocess(fn: Callable[..., Any], *args: Any) -> tuple[Any, int]:
    """Run ``fn(*args)`` in a fresh process; return its result and that process's peak RSS.

    The peak is the child's resident-set high-water mark, so it counts everything (the
    interpreter, imported libraries, native buffers). ``fn``, its arguments and its result must
    be picklable; ``fn`` must be importable (defined at a module's top level).

    Args:
        fn: The function to run.
        *args: Its arguments.

    Returns:
        ``(result, peak_bytes)``.

    Example:
        >>> _, peak = peak_memory_subprocess(sum, [1, 2, 3])  # doctest: +SKIP
        >>> peak > 0  # doctest: +SKIP
        True
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(fn, args, queue))
    process.start()
    result, peak = queue.get()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"The measured process exited with code {process.exitcode}.")
    return result, int(peak)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return str(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Format rows as a GitHub-flavoured markdown table; floats get four significant digits.

    Example:
        >>> print(markdown_table(["x"], [[0.123456]]))
        | x |
        |---|
        | 0.1235 |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line() -> str:
    """One line naming the conditions of a run: cores and load, which move every timing.

    Example:
        >>> machine_line().startswith("cores:")
        True
    """
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    version = sys.version.split()[0]
    return f"cores: {cores}, load average (1 min) at start: {load:.2f}, python {version}"
