"""Browser fixtures: the app served on 127.0.0.1 against the test's database, and Chromium.

``live_server`` is the base URL of a uvicorn server (in a thread of the test process, so it
uses the same settings and database as the test's own fixtures). ``page`` is a fresh Playwright
page in its own browser context; override ``browser_context_args`` in a test module to change
the viewport or other context options, for example a phone::

    @pytest.fixture
    def browser_context_args() -> dict[str, Any]:
        return {"viewport": {"width": 390, "height": 844}, "is_mobile": True}

Chromium is Debian's (``apt-get install chromium``), driven by the Playwright package.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = Path(os.environ.get("HALLWAY_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STARTUP_SECONDS = 15.0
# Two cores shared by every test process: a page may wait seconds for the server.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_server(settings_env: str) -> Iterator[str]:
    """Serve the app on a free port of 127.0.0.1 for this test; yields the base URL."""
    from service.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(), log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    # Handing uvicorn the bound socket leaves no window for another process to take the port.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The test server did not start.")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_SECONDS)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module.

    Not per session: Playwright's sync API keeps an event loop running in the main thread while
    it is open, and tests after the browser tests run their own loops (``asyncio.run``).
    """
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium).")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    """Options of each test's browser context; override in a module for another device."""
    return {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def page(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    """A fresh page in its own context (no cookies or storage shared between tests)."""
    context = browser.new_context(**browser_context_args)
    context.set_default_timeout(10_000)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        context.close()
