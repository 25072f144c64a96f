"""Running the service: web processes and a plan worker, stopped in bounded time.

``hallway serve`` starts two children and watches them: the web server (uvicorn's supervisor
with one web process per CPU core by default, ``HALLWAY_WEB_PROCESSES``) and, unless told not to,
one plan worker. On SIGTERM or SIGINT every child is asked to stop and whatever has not stopped
after ``SHUTDOWN_SECONDS`` is killed, so the service always ends in bounded time, whatever its
requests are doing. The supervisor itself does no work, so it never wedges.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import time
from copy import deepcopy
from typing import Any

#: Seconds web processes get to finish the requests they hold when asked to stop.
GRACEFUL_SECONDS = 4
#: Seconds after SIGTERM before any child still running is killed.
SHUTDOWN_SECONDS = 8.0

_TOKEN_PATH = re.compile(r"(/me/)[^/?\s\"]+")


class MaskTokens(logging.Filter):
    """Keep attendee link tokens out of the access log: ``/me/<token>`` is logged as ``/me/…``.

    Example:
        >>> record = logging.LogRecord("a", 20, "", 0, "%s", ("GET /me/s3cr3t/calendar.ics",), None)
        >>> MaskTokens().filter(record), record.args
        (True, ('GET /me/…/calendar.ics',))
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_PATH.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _TOKEN_PATH.sub(r"\1…", record.msg)
        return True


def log_config() -> dict[str, Any]:
    """Uvicorn's logging, with link tokens masked in every line it writes."""
    from uvicorn.config import LOGGING_CONFIG

    config = deepcopy(LOGGING_CONFIG)
    config["filters"] = {"mask_tokens": {"()": MaskTokens}}
    for handler in config["handlers"].values():
        handler["filters"] = ["mask_tokens"]
    return config


def web_processes() -> int:
    """How many web processes to run: the setting, or one per CPU core."""
    from service.config import get_settings

    configured = get_settings().web_processes
    return configured or max(1, len(os.sched_getaffinity(0)))


def run_web(*, host: str, port: int, processes: int) -> None:
    """Serve the app with ``processes`` web processes (blocks until stopped)."""
    import uvicorn

    uvicorn.run(
        "service.app:app",
        host=host,
        port=port,
        workers=processes if processes > 1 else None,
        log_config=log_config(),
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        # No server header: nothing to tell a scanner.
        server_header=False,
    )


def supervise(children: list[subprocess.Popen[bytes]]) -> int:
    """Wait until a stop signal or a child's exit, then stop every child within the deadline."""
    stopping: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    code = 0
    while not stopping:
        exited = [c for c in children if c.poll() is not None]
        if exited:
            code = exited[0].returncode or 1
            break
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + SHUTDOWN_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        # Whatever the child started (web processes, file workers) goes with it: each child
        # leads a process group of its own.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
    return 0 if stopping else code


def serve(*, host: str, port: int, plan_workers: int) -> int:
    """Start the web processes and ``plan_workers`` plan workers; supervise them until stopped."""
    processes = web_processes()
    web = [sys.executable, "-m", "service.server", "--host", host, "--port", str(port)]
    # Each child leads a process group, so a stop can end everything it started; the
    # supervisor passes on Ctrl-C and SIGTERM itself.
    children = [subprocess.Popen([*web, "--processes", str(processes)], start_new_session=True)]
    # Plans run in processes of their own, never in a web process.
    children += [
        subprocess.Popen([sys.executable, "-m", "service.plans.worker"], start_new_session=True)
        for _ in range(plan_workers)
    ]
    return supervise(children)


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - the web child of serve
    parser = argparse.ArgumentParser(description="Hallway's web processes.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args(argv)
    run_web(host=args.host, port=args.port, processes=args.processes)


if __name__ == "__main__":  # pragma: no cover
    main()
