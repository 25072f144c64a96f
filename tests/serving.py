"""``hallway serve`` as a real process on 127.0.0.1, for tests of the running service."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def hallway_serve(
    database_url: str, tmp_path: Path, *, processes: int = 2, worker: bool = False
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """``hallway serve`` on a free loopback port: (base URL, the process, its log file)."""
    port = free_port()
    env = {
        **os.environ,
        "HALLWAY_DATABASE_URL": database_url,
        "HALLWAY_WEB_PROCESSES": str(processes),
        "HALLWAY_CACHE_DIR": str(tmp_path / "cache"),
        "HALLWAY_BASE_URL": f"http://127.0.0.1:{port}",
    }
    cmd = [sys.executable, "-c", "from service.cli import main; main()", "serve"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--no-migrate"]
    cmd += ["--worker" if worker else "--no-worker"]
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "hallway serve did not start"
            time.sleep(0.2)
        yield base, proc, log_path
    finally:
        family = family_of(proc.pid)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for child in family:
            if child.is_running():
                child.kill()


def family_of(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
