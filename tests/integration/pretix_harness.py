"""A real pretix on 127.0.0.1 for integration tests: its own virtualenv, SQLite, no broker.

The slow part (virtualenv, ``pip install pretix``, ``migrate``, ``rebuild``: about two and a half
minutes) is done once per machine into a folder under the system's temporary directory
(``hallway-pretix-<version>``, never the checkout or the home folder), guarded by a lock and a
marker written last, so an interrupted build is redone rather than trusted. Each test then gets
a copy of the migrated database in its own folder, organizers and events seeded through Django
with pretix's own Python (``pretix_seed.py``), and ``runserver`` on a free loopback port, stopped
by its process id. Facts about running pretix here: ``../shared/integrations/pretix.md``.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PRETIX_VERSION = "2026.8.0"
SEED_SCRIPT = Path(__file__).with_name("pretix_seed.py")
# A fixed API token per seeded organizer: the tests talk to pretix's REST API with it.
TOKEN = "hallwaytestpretixtoken0123456789abcdefghijklmnopqrstu"
# What an organizer ticks for Hallway: an attendee's name or e-mail changed is "modified"
# (the order change endpoint, which swaps or cancels tickets, logs "changed.*").
ORDER_ACTIONS = (
    "pretix.event.order.placed",
    "pretix.event.order.paid",
    "pretix.event.order.modified",
    "pretix.event.order.changed.*",
    "pretix.event.order.canceled",
)


class PretixUnavailable(RuntimeError):
    """pretix could not be installed, migrated or started on this machine."""


def cache_root() -> Path:
    return Path(tempfile.gettempdir()) / f"hallway-pretix-{PRETIX_VERSION}"


def _config(data_dir: Path, url: str, mail_port: int) -> str:
    return f"""[pretix]
instance_name=hallway-integration-test
url={url}
currency=EUR
datadir={data_dir}
allow_http_to_private_networks=true
ecb_rates=false
[database]
backend=sqlite3
name={data_dir / "db.sqlite3"}
[django]
secret=hallway-integration-test-secret-not-for-production-0123456789
debug=false
[mail]
from=pretix@localhost
host=127.0.0.1
port={mail_port}
[locale]
default=en
timezone=UTC
"""


def _run(cmd: list[str], *, env: dict[str, str], log: Path, timeout: float) -> None:
    started = time.monotonic()
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(cmd)}\n".encode())
        out.flush()
        try:
            done = subprocess.run(
                cmd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PretixUnavailable(f"{' '.join(cmd[:4])}: {exc}; see {log}") from exc
    took = time.monotonic() - started
    with log.open("ab") as out:
        out.write(f"[exit {done.returncode} after {took:.1f} s]\n".encode())
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise PretixUnavailable(f"{' '.join(cmd[:4])} exited {done.returncode}:\n{tail}")


def _pretix_env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PRETIX_CONFIG_FILE"] = str(config)
    env["DJANGO_SETTINGS_MODULE"] = "pretix.settings"
    return env


@dataclass(frozen=True)
class PretixInstall:
    """The cached virtualenv and a freshly migrated ``db.sqlite3`` to copy for each test."""

    root: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def python(self) -> Path:
        return self.root / "venv" / "bin" / "python"

    @property
    def template_db(self) -> Path:
        return self.root / "template" / "db.sqlite3"


def ensure_installed() -> PretixInstall:
    """The virtualenv with pretix and a migrated database template, built once per machine."""
    root = cache_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    marker = root / "complete.json"
    with (root.parent / f"{root.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = PretixInstall(root, json.loads(marker.read_text()) if marker.is_file() else {})
        # A venv whose interpreter went away (a Python upgrade) is built again, like a half one.
        if marker.is_file() and cached.python.exists() and cached.template_db.is_file():
            return cached
        if root.exists():
            shutil.rmtree(root)  # an interrupted build: start again
        root.mkdir()
        log = root / "build.log"
        timings: dict[str, float] = {}
        started = time.monotonic()
        _run(
            [sys.executable, "-m", "venv", str(root / "venv")],
            env=dict(os.environ),
            log=log,
            timeout=300,
        )
        install = PretixInstall(root)
        pip = [
            str(install.python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-cache-dir",
        ]
        _run([*pip, f"pretix=={PRETIX_VERSION}"], env=dict(os.environ), log=log, timeout=900)
        timings["install"] = time.monotonic() - started
        build = root / "template"
        build.mkdir()
        config = root / "build.cfg"
        config.write_text(_config(build, "http://127.0.0.1:8000", 9))
        env = _pretix_env(config)
        for step, limit in (("migrate", 900.0), ("rebuild", 600.0)):
            began = time.monotonic()
            _run([str(install.python), "-m", "pretix", step], env=env, log=log, timeout=limit)
            timings[step] = time.monotonic() - began
        if not install.template_db.is_file():
            raise PretixUnavailable(f"pretix migrate left no database in {build}")
        marker.write_text(json.dumps(timings))
        return PretixInstall(root, timings)


@dataclass
class Pretix:
    """A running pretix: its base URL, the seeded organizer and token, and REST helpers."""

    install: PretixInstall
    url: str
    data_dir: Path
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    organizer: str = "hallway"
    token: str = TOKEN
    events: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api/v1/organizers/{self.organizer}/",
            headers={"Authorization": f"Token {self.token}"},
            timeout=30,
        )

    def seed(self, *events: str) -> dict[str, dict[str, Any]]:
        """The organizer, the token's team and these events, each with an admission ticket."""
        request = {"organizer": self.organizer, "token": self.token, "events": list(events)}
        done = subprocess.run(
            [str(self.install.python), str(SEED_SCRIPT)],
            input=json.dumps(request).encode(),
            env=_pretix_env(self.config),
            capture_output=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise PretixUnavailable(f"seeding pretix failed:\n{done.stderr.decode()[-3000:]}")
        seeded: dict[str, dict[str, Any]] = json.loads(
            done.stdout.decode().strip().splitlines()[-1]
        )
        self.events.update(seeded)
        return seeded

    def place_order(
        self,
        event: str,
        people: list[tuple[str, str]],
        *,
        buyer: str = "buyer@example.org",
        companies: dict[int, str] | None = None,
    ) -> dict[str, Any]:
        """A pending order with one admission ticket per (attendee name, attendee e-mail).

        ``companies`` gives some tickets (by their index in ``people``) the attendee's company.
        """
        item = self.events[event]["item"]
        positions: list[dict[str, Any]] = [
            {"item": item, "attendee_name": name, "attendee_email": email} for name, email in people
        ]
        for index, company in (companies or {}).items():
            positions[index]["company"] = company
        body = {
            "email": buyer,
            "locale": "en",
            "send_email": False,
            "invoice_address": {"name_parts": {"_scheme": "full", "full_name": "Bea Buyer"}},
            "positions": positions,
        }
        with self.api as api:
            response = api.post(f"events/{event}/orders/", json=body)
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        return order

    def order(self, event: str, code: str) -> dict[str, Any]:
        with self.api as api:
            response = api.get(f"events/{event}/orders/{code}/")
        assert response.status_code == 200, response.text
        order: dict[str, Any] = response.json()
        return order

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One REST call that must succeed (2xx); its JSON answer."""
        with self.api as api:
            response = api.request(method, path, json=body)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        answer: dict[str, Any] = response.json() if response.content else {}
        return answer

    def rename(self, event: str, position_id: int, name: str, email: str) -> dict[str, Any]:
        """The attendee of one position changed (pretix logs ``pretix.event.order.modified``)."""
        body: dict[str, Any] = {
            "attendee_name_parts": {"_scheme": "full", "full_name": name},
            "attendee_email": email,
        }
        return self.call("PATCH", f"events/{event}/orderpositions/{position_id}/", body)

    def mark_paid(self, event: str, code: str) -> dict[str, Any]:
        return self.call("POST", f"events/{event}/orders/{code}/mark_paid/", {"send_email": False})

    def cancel_position(self, event: str, code: str, position_id: int) -> dict[str, Any]:
        """One ticket of an order canceled (``pretix.event.order.changed.cancel``)."""
        body = {"cancel_positions": [{"position": position_id}], "send_email": False}
        return self.call("POST", f"events/{event}/orders/{code}/change/", body)

    def cancel_order(self, event: str, code: str) -> dict[str, Any]:
        return self.call(
            "POST", f"events/{event}/orders/{code}/mark_canceled/", {"send_email": False}
        )

    def add_webhook(self, target_url: str, events: list[str]) -> dict[str, Any]:
        """A webhook for these events' order actions, delivered at once (no broker here)."""
        body = {
            "target_url": target_url,
            "enabled": True,
            "all_events": False,
            "limit_events": events,
            "action_types": list(ORDER_ACTIONS),
        }
        return self.call("POST", "webhooks/", body)


def _wait_ready(pretix: Pretix, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise PretixUnavailable(
                f"pretix runserver exited {proc.returncode}:\n"
                + pretix.log.read_text(errors="replace")[-3000:]
            )
        try:
            # Not /healthcheck/: without a configured cache it answers 503 even when all is well.
            if httpx.get(f"{pretix.url}/api/v1/organizers/", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise PretixUnavailable(f"pretix did not answer on {pretix.url} within {timeout:.0f} s")
        time.sleep(0.25)


@contextmanager
def run_pretix(install: PretixInstall, folder: Path, port: int, mail_port: int) -> Iterator[Pretix]:
    """pretix on 127.0.0.1:``port`` with a copy of the migrated database; stopped at the end."""
    data_dir = folder / "pretix-data"
    data_dir.mkdir(parents=True)
    shutil.copyfile(install.template_db, data_dir / "db.sqlite3")
    url = f"http://127.0.0.1:{port}"
    config = folder / "pretix.cfg"
    config.write_text(_config(data_dir, url, mail_port))
    pretix = Pretix(install, url, data_dir, config, folder / "pretix.log")
    cmd = [str(install.python), "-m", "pretix", "runserver", f"127.0.0.1:{port}", "--noreload"]
    with pretix.log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            env=_pretix_env(config),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pretix.process = proc
    try:
        _wait_ready(pretix, proc, timeout=90)
        yield pretix
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
