"""Reaching attendees from the dashboard, in Chromium: find a person, copy their link, preview
and send the invitation through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from service.config import get_settings
from service.mail import sender

pytestmark = pytest.mark.browser


class Inbox:
    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.recipients += list(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def inbox(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    handler = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("HALLWAY_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("HALLWAY_MAIL_FROM", "PyConf <team@pyconf.example>")
    monkeypatch.setenv("HALLWAY_MAIL_PER_MINUTE", "1000")
    get_settings.cache_clear()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    return {
        "viewport": {"width": 1280, "height": 900},
        "permissions": ["clipboard-read", "clipboard-write"],
    }


def test_find_copy_link_preview_and_send_invitation(
    page: Page, inbox: Inbox, live_server: str, admin_key: str, key_factory: Any
) -> None:
    with httpx.Client(
        base_url=live_server, headers={"Authorization": f"Bearer {admin_key}"}
    ) as api:
        conference = api.post(
            "/v1/conferences", json={"slug": "pyconf", "name": "PyConf 2027"}
        ).json()
        base = f"/v1/conferences/{conference['id']}"
        for i in range(150):
            api.put(
                f"{base}/attendees/T-{i:04d}",
                json={"name": f"Person {i:04d}", "email": f"p{i}@example.org"},
            )
        api.put(
            f"{base}/attendees/T-9999",
            json={"name": "Grace Hopper", "email": "grace@navy.example"},
        )
        link = api.get(f"{base}/attendees/T-9999").json()["link"]
    key = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write"])

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)
    page.goto(f"{live_server}/dashboard")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Attendees").click()
    page.get_by_label("Search name, e-mail, company or id").fill("hopper")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#attendee-count")).to_have_text("1 person matches.")
    row = page.locator("#attendee-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Grace Hopper")
    expect(row).to_contain_text("not yet")
    page.get_by_role("button", name="Copy link of Grace Hopper").click()
    assert page.evaluate("navigator.clipboard.readText()") == link

    page.get_by_role("link", name="E-mail").click()
    expect(page.locator("#mail-setup")).to_contain_text("Sending through smtp://127.0.0.1")
    page.get_by_label("Preview for attendee id").fill("T-9999")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#mail-preview-text")).to_contain_text(link)
    expect(page.locator("#mail-preview-headers")).to_contain_text("grace@navy.example")
    assert inbox.recipients == []
    page.get_by_role("button", name="Send to everyone who has not had it").click()
    expect(page.locator("#mail-log tbody tr")).to_have_count(151)
    assert sender.run_pending() == 151
    assert sorted(inbox.recipients)[:1] == ["grace@navy.example"]
    assert len(inbox.recipients) == 151
    page.reload()
    page.get_by_role("link", name="E-mail").click()
    expect(page.locator("#mail-log tbody tr").filter(has_text="Grace Hopper")).to_contain_text(
        "sent"
    )
