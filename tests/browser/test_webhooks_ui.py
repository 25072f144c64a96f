"""The Webhooks view in Chromium: create a webhook to a real receiver on 127.0.0.1, the secret
shown once, a delivery in the log and sent again, disabling and a webhook disabled by failures,
a refused URL beside its field, and axe-core on a desktop and a 390 px phone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from standardwebhooks.webhooks import Webhook

from service.config import get_settings
from service.webhooks import sender
from tests.browser.pagechecks import Console, axe_violations
from tests.service.receiver import Answer, Received, Receiver, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    # The CSP is bypassed only so that the test can inject axe-core.
    return {
        "viewport": {"width": 1280, "height": 900},
        "permissions": ["clipboard-read", "clipboard-write"],
        "bypass_csp": True,
    }


@pytest.fixture
def loopback(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let webhooks go to http://127.0.0.1, as an operator may for tests."""
    monkeypatch.setenv("HALLWAY_ALLOW_HTTP_LOOPBACK", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def receiver(loopback: None) -> Iterator[Receiver]:
    with serve() as running:
        running.respond = lambda _request: Answer(204, b"")
        yield running


@pytest.fixture
def conference(live_server: str, admin_key: str) -> dict[str, Any]:
    with httpx.Client(
        base_url=live_server, headers={"Authorization": f"Bearer {admin_key}"}
    ) as admin:
        made = admin.post("/v1/conferences", json={"slug": "hookconf", "name": "Hook Conf"})
        assert made.status_code == 201, made.text
        conference: dict[str, Any] = made.json()
        return conference


def open_view(page: Page, live_server: str, key: str) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/dashboard")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()


def add_attendee(live_server: str, key: str, conference: dict[str, Any], external_id: str) -> None:
    response = httpx.put(
        f"{live_server}/v1/conferences/{conference['id']}/attendees/{external_id}",
        json={"name": "Ada Lovelace", "email": "ada@engines.example"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code in (200, 201), response.text


def fixed(moment: datetime) -> Callable[[], datetime]:
    """The sender's clock stopped at ``moment``."""
    return lambda: moment


def create_webhook(page: Page, url: str, events: list[str]) -> None:
    form = page.locator("#webhook-form")
    form.get_by_label("Receiver URL").fill(url)
    for event in events:
        form.get_by_role("checkbox", name=event).check()
    form.get_by_role("button", name="Create webhook").click()


def test_create_shows_the_secret_once_and_a_delivery_is_sent_again(
    page: Page,
    receiver: Receiver,
    live_server: str,
    admin_key: str,
    conference: dict[str, Any],
) -> None:
    console = Console(page)
    open_view(page, live_server, admin_key)
    url = receiver.url("/hallway")
    create_webhook(page, url, ["attendee.created"])
    secret_box = page.locator("#webhook-secret")
    expect(secret_box).to_contain_text("whsec_")
    secret = secret_box.inner_text().strip()
    expect(page.locator("#webhook-new-title")).to_be_focused()
    page.get_by_role("button", name="Copy secret").click()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    item = page.locator("#webhook-list > li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(url)
    expect(item).to_contain_text("enabled")
    expect(item).to_contain_text("attendee.created")
    page.get_by_role("button", name="I have kept it").click()
    expect(page.locator("#webhook-new")).to_be_hidden()
    page.reload()
    page.get_by_role("link", name="Webhooks").click()
    expect(item).to_have_count(1)
    assert secret not in page.content()

    add_attendee(live_server, admin_key, conference, "A-1")
    assert sender.run_pending() == 1
    page.get_by_role("button", name=f"Delivery log of {url}").click()
    delivery = page.locator("#webhook-log-list > li")
    expect(delivery).to_have_count(1)
    expect(delivery).to_contain_text("attendee.created")
    expect(delivery).to_contain_text("delivered")
    expect(delivery).to_contain_text("answered 204")
    expect(page.locator("#webhook-log-title")).to_be_focused()

    resend = delivery.get_by_role("button", name="Send again: attendee.created")
    resend.click()
    expect(delivery).to_contain_text("pending")
    expect(resend).to_be_focused()
    assert sender.run_pending() == 1
    # The log is watched while a delivery waits: it turns delivered on its own.
    expect(delivery).to_contain_text("delivered")
    expect(delivery.locator("dd").first).to_have_text("2")
    expect(item.locator("dd").last).to_have_text("1 delivered")
    posts: list[Received] = [r for r in receiver.received if r.method == "POST"]
    assert len(posts) == 2
    assert posts[0].headers["webhook-id"] == posts[1].headers["webhook-id"]
    for post in posts:
        event = Webhook(secret).verify(post.body, post.headers)
        assert event["type"] == "attendee.created"

    page.get_by_role("button", name=f"Disable {url}").click()
    expect(item).to_contain_text("disabled")
    expect(item.locator(".alert")).to_contain_text("Disabled by")
    expect(page.get_by_role("button", name=f"Enable {url}")).to_be_focused()
    # A disabled webhook's delivery is not sent again: the 409 shows beside the button.
    resend.click()
    expect(delivery.locator(".row-error")).to_contain_text("disabled")
    page.get_by_role("button", name=f"Enable {url}").click()
    expect(item.locator(".badge")).to_have_text("enabled")
    assert [e for e in console.errors if "status of 409" not in e] == []


def test_a_new_secret_is_shown_once_and_the_old_one_signs_beside_it_for_a_day(
    page: Page,
    receiver: Receiver,
    live_server: str,
    admin_key: str,
    conference: dict[str, Any],
) -> None:
    console = Console(page)
    open_view(page, live_server, admin_key)
    url = receiver.url("/hallway")
    create_webhook(page, url, ["attendee.created"])
    old = page.locator("#webhook-secret").inner_text().strip()
    page.get_by_role("button", name="I have kept it").click()

    page.get_by_role("button", name=f"New secret for {url}").click()
    expect(page.locator("#webhook-new-title")).to_have_text(f"New signing secret for {url}")
    expect(page.locator("#webhook-new-title")).to_be_focused()
    expect(page.locator("#webhook-new")).to_contain_text("signed with the old secret too")
    new = page.locator("#webhook-secret").inner_text().strip()
    assert new.startswith("whsec_") and new != old
    expect(page.locator("#webhook-list > li")).to_contain_text("old signing secret also signs")

    add_attendee(live_server, admin_key, conference, "A-1")
    assert sender.run_pending() == 1
    post = next(r for r in receiver.received if r.method == "POST")
    for secret in (old, new):
        assert Webhook(secret).verify(post.body, post.headers)["type"] == "attendee.created"
    page.get_by_role("button", name="I have kept it").click()
    page.reload()
    page.get_by_role("link", name="Webhooks").click()
    expect(page.locator("#webhook-list > li")).to_have_count(1)
    assert new not in page.content() and old not in page.content()
    assert console.errors == []


def test_a_webhook_disabled_by_failures_says_why(
    page: Page,
    receiver: Receiver,
    live_server: str,
    admin_key: str,
    conference: dict[str, Any],
) -> None:
    receiver.respond = lambda _request: Answer(503, b"receiver is down")
    console = Console(page)
    open_view(page, live_server, admin_key)
    url = receiver.url("/down")
    create_webhook(page, url, ["attendee.created", "attendee.updated"])
    expect(page.locator("#webhook-secret")).to_contain_text("whsec_")
    add_attendee(live_server, admin_key, conference, "A-2")
    start = datetime.now(UTC)
    for attempt in range(8):  # each retry is due within 11 hours of the one before
        sender.run_pending(clock=fixed(start + timedelta(hours=11 * attempt)))
    page.reload()
    page.get_by_role("link", name="Webhooks").click()
    item = page.locator("#webhook-list > li")
    expect(item.locator(".badge")).to_have_text("disabled")
    expect(item.locator(".alert")).to_contain_text("503")
    expect(page.locator("#webhook-disabled-note")).to_contain_text("disabled")
    page.get_by_role("button", name=f"Delivery log of {url}").click()
    delivery = page.locator("#webhook-log-list > li")
    expect(delivery).to_contain_text("failed")
    expect(delivery).to_contain_text("answered 503")
    expect(delivery.locator("dd").first).to_have_text("8")
    assert console.errors == []


def test_refused_url_shows_the_error_beside_the_url_field(
    page: Page, receiver: Receiver, live_server: str, admin_key: str, conference: dict[str, Any]
) -> None:
    console = Console(page, allowed=("/webhooks",))
    open_view(page, live_server, admin_key)
    create_webhook(page, "https://10.0.0.7/hooks", ["plan.published"])
    url_field = page.locator("#webhook-form").get_by_label("Receiver URL")
    expect(page.locator("#webhook-url-error")).to_be_visible()
    expect(page.locator("#webhook-url-error")).not_to_be_empty()
    expect(url_field).to_have_attribute("aria-invalid", "true")
    expect(url_field).to_be_focused()
    expect(page.locator("#webhook-list > li")).to_have_count(0)
    expect(page.locator("#webhook-new")).to_be_hidden()
    assert console.refusals and console.errors == []

    # Fixed, it goes through and the error is gone.
    url_field.fill(receiver.url("/fixed"))
    page.locator("#webhook-form").get_by_role("button", name="Create webhook").click()
    expect(page.locator("#webhook-list > li")).to_have_count(1)
    expect(page.locator("#webhook-url-error")).to_be_hidden()
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name=f"Delivery log of {receiver.url('/fixed')}").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    assert console.errors == []
