"""Fixtures for integration tests against real third-party software on 127.0.0.1.

``make test-integration`` runs them (``pytest -m integration``); ``make test`` leaves them out
(the first run installs and migrates pretix, about two and a half minutes). When pretix cannot be
installed or started the tests skip with the reason, unless ``HALLWAY_INTEGRATION_REQUIRED`` is
set or ``CI`` is true (``make test-integration`` and ``.ci/run``): then they fail, so a broken
set-up can never pass as skipped.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.integration.pretix_harness import (
    Pretix,
    PretixInstall,
    PretixUnavailable,
    ensure_installed,
    run_pretix,
)
from tests.integration.support import TIMINGS, Hallway, record_timing
from tests.serving import free_port, hallway_serve


def integration_required() -> bool:
    flag = os.environ.get("HALLWAY_INTEGRATION_REQUIRED", "")
    return flag not in ("", "0") or os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Fail when integration tests are required here, else skip with the reason."""
    if integration_required():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.section("integration timings")
        for what, seconds in TIMINGS:
            terminalreporter.write_line(f"{seconds:7.2f} s  {what}")


class _Sink:
    """Accepts every message: pretix may mail, the tests never read it."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture(scope="session")
def mail_port() -> Iterator[int]:
    """An SMTP server on 127.0.0.1 for pretix's mail host."""
    port = free_port()
    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def pretix_install() -> PretixInstall:
    started = time.monotonic()
    try:
        install = ensure_installed()
    except PretixUnavailable as exc:
        unavailable(f"pretix could not be installed: {exc}")
        raise
    took = time.monotonic() - started
    if took > 5:
        record_timing("pretix installed, migrated and rebuilt (once per machine)", took)
    return install


@pytest.fixture
def pretix(pretix_install: PretixInstall, mail_port: int, tmp_path: Path) -> Iterator[Pretix]:
    """A running pretix with its own copy of the migrated database (nothing seeded yet)."""
    started = time.monotonic()
    try:
        with run_pretix(pretix_install, tmp_path / "pretix", free_port(), mail_port) as running:
            record_timing("pretix runserver ready", time.monotonic() - started)
            yield running
    except PretixUnavailable as exc:
        unavailable(f"pretix could not be started: {exc}")


@pytest.fixture
def hallway(
    settings_env: str,
    admin_key: str,
    key_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Hallway]:
    """The real service on a free loopback port, on this test's database (SQLite or PostgreSQL)."""
    monkeypatch.setenv("HALLWAY_ALLOW_HTTP_LOOPBACK", "true")
    with hallway_serve(settings_env, tmp_path, processes=1, worker=True) as (base, _proc, log):
        response = httpx.post(
            f"{base}/v1/conferences",
            json={"slug": "pycon-pretix", "name": "PyCon (pretix)", "timezone": "UTC"},
            headers={"Authorization": f"Bearer {admin_key}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        conference_id = response.json()["id"]
        key = key_factory(conference_id=uuid.UUID(conference_id), scopes=["read", "write"])
        yield Hallway(base, conference_id, key, log)
