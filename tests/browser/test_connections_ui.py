"""The Registration view in Chromium: connect Tito and Eventbrite, the webhook URL shown once,
a delivery in the log, a refusal beside its field, a full sync's counts, and axe-core."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from playwright.sync_api import Dialog, Page, expect

from service import net
from service.connections import worker
from tests.browser.pagechecks import Console, axe_violations

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent.parent / "fixtures" / "platforms"
TITO_TOKEN = "tito-token-from-the-dashboard-7f3e"
TITO_SECRET = "tito-security-token-5c1d"
EVENTBRITE_TOKEN = "EVENTBRITEDASHBOARDTOKEN99"
EVENTBRITE = "https://www.eventbriteapi.com/v3"


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    # The CSP is bypassed only so that the test can inject axe-core; the page's own scripts
    # load as always.
    return {
        "viewport": {"width": 1280, "height": 900},
        "permissions": ["clipboard-read", "clipboard-write"],
        "bypass_csp": True,
    }


@pytest.fixture
def conference(live_server: str, admin_key: str) -> Iterator[dict[str, Any]]:
    with httpx.Client(
        base_url=live_server, headers={"Authorization": f"Bearer {admin_key}"}
    ) as admin:
        made = admin.post("/v1/conferences", json={"slug": "regconf", "name": "Reg Conf"})
        assert made.status_code == 201, made.text
        yield made.json()


def open_view(page: Page, live_server: str, key: str) -> None:
    page.goto(f"{live_server}/dashboard")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Registration").click()
    expect(page.get_by_role("heading", name="Registration systems")).to_be_visible()


def tito_signature(body: bytes) -> str:
    return base64.b64encode(hmac.new(TITO_SECRET.encode(), body, hashlib.sha256).digest()).decode()


def test_tito_connection_shows_its_url_once_and_a_delivery_in_the_log(
    page: Page, live_server: str, admin_key: str, conference: dict[str, Any]
) -> None:
    console = Console(page)
    open_view(page, live_server, admin_key)
    form = page.locator("#connection-form")
    page.get_by_label("Platform").select_option("tito")
    # Only Tito's fields are shown.
    expect(form.get_by_label("Organizer short form")).to_be_hidden()
    expect(form.get_by_label("Event id")).to_be_hidden()
    form.get_by_label("Label (optional)").fill("Tito shop")
    form.get_by_label("Account slug").fill("hallway-org")
    form.get_by_label("Event slug").fill("hallway-conf-27")
    form.get_by_label("Webhook security token").fill(TITO_SECRET)
    form.get_by_label("API token").fill(TITO_TOKEN)
    form.get_by_role("button", name="Connect").click()

    url_box = page.locator("#connection-url")
    expect(url_box).to_contain_text("/v1/hooks/")
    webhook_url = url_box.inner_text().strip()
    expect(page.locator("#connection-new")).to_contain_text("ticket.completed")
    page.get_by_role("button", name="Copy URL").click()
    assert page.evaluate("navigator.clipboard.readText()") == webhook_url
    item = page.locator("#connection-list > li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Tito Tito shop")
    expect(item).to_contain_text("hallway-org/hallway-conf-27")
    expect(item).to_contain_text("Nothing received yet")
    # Shown once: gone when dismissed, and not in the list or after a reload.
    page.get_by_role("button", name="I have pasted it").click()
    expect(page.locator("#connection-new")).to_be_hidden()
    page.reload()
    page.get_by_role("link", name="Registration").click()
    expect(item).to_have_count(1)
    content = page.content()
    assert webhook_url not in content
    assert TITO_TOKEN not in content and TITO_SECRET not in content

    body = (FIXTURES / "tito_webhook_ticket_completed.json").read_bytes()
    delivered = httpx.post(
        live_server + webhook_url.removeprefix("http://hallway.test"),
        content=body,
        headers={"Tito-Signature": tito_signature(body), "X-Webhook-Name": "ticket.completed"},
    )
    assert delivered.status_code == 202, delivered.text

    page.get_by_role("button", name="Read the log of Tito Tito shop").click()
    log = page.locator("#connection-log-list > li")
    expect(log.first).to_contain_text("received")
    expect(log.first).to_contain_text("ticket.completed")
    expect(log.last).to_contain_text("connection")
    expect(page.locator("#connection-log-title")).to_be_focused()
    page.get_by_role("link", name="Registration").click()
    page.reload()
    page.get_by_role("link", name="Registration").click()
    expect(item).to_contain_text("1 delivery waiting")

    # A new URL: shown once, the old one refused from now on.
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Make a new webhook URL for Tito Tito shop").click()
    expect(page.locator("#connection-new")).to_contain_text("The old URL stopped working")
    expect(url_box).not_to_have_text(webhook_url)
    new_url = url_box.inner_text().strip()
    assert new_url.startswith(webhook_url.rsplit("/", 1)[0])
    for url, status in ((webhook_url, 401), (new_url, 202)):
        answer = httpx.post(
            live_server + url.removeprefix("http://hallway.test"),
            content=body,
            headers={"Tito-Signature": tito_signature(body)},
        )
        assert answer.status_code == status, answer.text
    assert console.errors == []


def test_refused_connection_shows_the_error_beside_the_event_field(
    page: Page, live_server: str, admin_key: str, conference: dict[str, Any]
) -> None:
    console = Console(page, allowed=("/connections",))
    open_view(page, live_server, admin_key)
    form = page.locator("#connection-form")
    page.get_by_label("Platform").select_option("tito")
    # An account slug holding a slash makes the event "a/b/c", which the API refuses.
    form.get_by_label("Account slug").fill("hallway-org/extra")
    form.get_by_label("Event slug").fill("conf")
    form.get_by_label("Webhook security token").fill(TITO_SECRET)
    form.get_by_label("API token").fill(TITO_TOKEN)
    form.get_by_role("button", name="Connect").click()
    event = form.get_by_label("Event slug")
    expect(page.locator("#connection-tito-event-error")).to_contain_text("account-slug/event-slug")
    expect(event).to_have_attribute("aria-invalid", "true")
    expect(event).to_be_focused()
    expect(page.locator("#connection-list li")).to_have_count(0)
    assert console.refusals and console.errors == []
    assert TITO_TOKEN not in page.content()


@pytest.fixture
def eventbrite_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    """Eventbrite's attendee list, replayed for the sync the test runs in this process; its
    host name resolves to a public address (no network here)."""
    monkeypatch.setattr(net, "resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")])
    pages = [
        json.loads((FIXTURES / f"eventbrite_attendees_page{n}.json").read_text()) for n in (1, 2)
    ]
    with respx.mock(assert_all_called=False) as mock:
        mock.get(url__startswith=f"{EVENTBRITE}/events/717926867587/attendees/").mock(
            side_effect=[httpx.Response(200, json=page) for page in pages]
        )
        mock.route(host="127.0.0.1").pass_through()
        yield mock


def test_eventbrite_full_sync_shows_its_counts_and_delete_asks_first(
    page: Page,
    live_server: str,
    admin_key: str,
    conference: dict[str, Any],
    eventbrite_api: respx.MockRouter,
) -> None:
    console = Console(page)
    answers: list[bool] = []
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if answers.pop(0):
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", answer)
    open_view(page, live_server, admin_key)
    form = page.locator("#connection-form")
    page.get_by_label("Platform").select_option("eventbrite")
    expect(form.get_by_label("Account slug")).to_be_hidden()
    form.get_by_label("Event id").fill("717926867587")
    form.get_by_label("API token").fill(EVENTBRITE_TOKEN)
    form.get_by_role("button", name="Connect").click()
    expect(page.locator("#connection-new")).to_contain_text("order.placed")
    name = "Eventbrite 717926867587"

    page.get_by_role("button", name=f"Start a full sync of {name}").click()
    status = page.locator("#connection-list [role=status]")
    expect(status).to_contain_text("waiting to start")
    assert worker.run_syncs() == 1
    expect(status).to_have_text(
        "Full sync done: 2 created, 0 updated, 0 cancelled, 0 unchanged, 1 ignored."
    )
    page.get_by_role("button", name=f"Read the log of {name}").click()
    sync_entry = page.locator("#connection-log-list > li").first
    expect(sync_entry).to_contain_text("sync")
    expect(sync_entry.locator(".changes")).to_contain_text("5678901234 created")

    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []

    answers.append(False)
    page.get_by_role("button", name=f"Delete {name}").click()
    expect(page.locator("#connection-list > li")).to_have_count(1)
    answers.append(True)
    page.get_by_role("button", name=f"Delete {name}").click()
    expect(page.locator("#connection-list > li")).to_have_count(0)
    expect(page.locator("#connection-empty")).to_be_visible()
    assert len(asked) == 2 and "attendees stay" in asked[0]
    assert EVENTBRITE_TOKEN not in page.content()
    assert console.errors == []
