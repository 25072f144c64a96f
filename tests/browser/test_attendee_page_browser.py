"""The attendee page on a phone, in Chromium: fill the profile, save, see the tables."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
SCREENSHOT = "/tmp/hallway-attendee-page-phone.png"


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    return {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }


@pytest.fixture
def link(admin: TestClient, conference: dict[str, Any]) -> str:
    """Three attendees and a lunch; returns the first attendee's page path."""
    base = f"/v1/conferences/{conference['id']}"
    people = {
        "P1": {"name": "Zoë Ng", "email": "zoe@example.org", "dietary": "no nuts"},
        "P2": {
            "name": "Ruth Okafor",
            "affiliation": "Tidewater Labs",
            "hometown": "Lagos",
            "interests": "Packaging, reproducible builds and cycling to work.",
            "email": "ruth@example.org",
            "dietary": "RUTH-DIETARY-NOTE",
        },
        "P3": {"name": "Mateus Lima", "hometown": "Porto Alegre", "interests": "Django, maps."},
    }
    links = {}
    for external_id, body in people.items():
        response = admin.put(f"{base}/attendees/{external_id}", json=body)
        assert response.status_code == 201, response.text
        links[external_id] = response.json()["link"].split("hallway.test", 1)[1]
    response = admin.post(
        f"{base}/rounds",
        json={
            "name": "Lunch 1",
            "kind": "lunch",
            "starts_at": "2027-04-14T12:30:00+02:00",
            "location": "Hall B, upper floor",
            "table_size": 3,
        },
    )
    assert response.status_code == 201
    return links["P1"]


def test_fill_save_and_see_tables_on_a_phone(
    page: Page,
    live_server: str,
    link: str,
    admin: TestClient,
    conference: dict[str, Any],
    plan_factory: Any,
) -> None:
    page.goto(live_server + link)
    expect(page.get_by_role("heading", name="Hi, Zoë Ng")).to_be_visible()
    counter = page.locator("#interests-count")
    expect(counter).to_have_text("0 / 1,000 characters")

    interests = page.get_by_label("What are you into?")
    interests.fill("I use Python for packaging tools and teach testing on weekends.")
    expect(counter).to_have_text("63 / 1,000 characters")
    page.get_by_role("textbox", name="Home town").fill("Wellington")
    page.get_by_label("Languages you're happy to talk in").fill("english, te reo māori")
    page.get_by_label("I'm here on my own").check()
    page.get_by_label("Yes, seat me at the dinners").check()
    page.get_by_role("button", name="Save my profile").click()

    expect(page.get_by_role("status")).to_have_text("Saved.")
    assert re.search(r"\?saved=1#profile$", page.url)
    expect(interests).to_have_value(
        "I use Python for packaging tools and teach testing on weekends."
    )
    expect(page.get_by_label("I'm here on my own")).to_be_checked()
    expect(page.get_by_label("Yes, seat me at the dinners")).to_be_checked()
    stored = admin.get(f"/v1/conferences/{conference['id']}/attendees/P1").json()
    assert stored["solo"] is True and stored["dinner"] is True
    assert stored["hometown"] == "Wellington"
    assert stored["interests"].startswith("I use Python for packaging")

    plan_factory(
        conference,
        {"Lunch 1": [["P1", "P2", "P3"]]},
        topics={"Lunch 1": [["packaging", "django"]]},
        why={("Lunch 1", "P1"): "You and Ruth Okafor both talk about packaging."},
    )
    page.goto(live_server + link)
    tables = page.locator("#tables")
    expect(tables.get_by_role("heading", name="Lunch 1 — table 1")).to_be_visible()
    expect(tables).to_contain_text("Wednesday 14 April 2027, 12:30 CEST")
    expect(tables).to_contain_text("Hall B, upper floor")
    expect(tables).to_contain_text("You and Ruth Okafor both talk about packaging.")
    mates = tables.get_by_role("list", name="Your tablemates at Lunch 1")
    expect(mates.get_by_role("listitem")).to_have_count(2)
    expect(mates).to_contain_text("Ruth Okafor")
    expect(mates).to_contain_text("Tidewater Labs · Lagos")
    expect(mates).to_contain_text("Mateus Lima")
    expect(page.locator("body")).not_to_contain_text("RUTH-DIETARY-NOTE")
    expect(page.locator("body")).not_to_contain_text("ruth@example.org")

    # Readable on a phone: nothing wider than the screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_form_works_without_javascript(
    browser: Any, live_server: str, link: str, admin: TestClient, conference: dict[str, Any]
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(live_server + link)
        expect(page.locator("#interests-count")).to_have_text("Up to 1,000 characters.")
        page.get_by_label("What are you into?").fill("Static sites, no JavaScript needed.")
        page.get_by_label("My company or organisation").uncheck()
        page.get_by_role("button", name="Save my profile").click()
        expect(page.get_by_role("status")).to_have_text("Saved.")
        expect(page.get_by_label("My company or organisation")).not_to_be_checked()
    finally:
        context.close()
    stored = admin.get(f"/v1/conferences/{conference['id']}/attendees/P1").json()
    assert stored["interests"] == "Static sites, no JavaScript needed."
