"""Every dashboard view scanned by axe-core, on a desktop and on a 390 px phone.

axe-core (MPL-2.0, packed from the npm registry: ``npm pack axe-core``) is committed under
``fixtures/axe.min.js`` with its licence header; nothing is downloaded at test time. The page's
Content-Security-Policy allows no inline script, so the scanning context bypasses it to inject
axe; the dashboard's own scripts load as they always do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from service.config import get_settings
from tests.browser.pagechecks import AXE

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
BLOCKING = {"serious", "critical"}
VIEWS = [
    "overview",
    "attendees",
    "rounds",
    "plans",
    "review",
    "mail",
    "connections",
    "webhooks",
    "conferences",
]


@pytest.fixture
def fast_embeddings(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The map embeds profiles by feature hashing: no model to load."""
    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()


@pytest.fixture
def seated(
    admin_key: str, live_server: str, plan_factory: Any, fast_embeddings: None
) -> dict[str, Any]:
    """A conference of 24 people, a lunch and a dinner, a ready plan and a published one."""
    with httpx.Client(
        base_url=live_server, headers={"Authorization": f"Bearer {admin_key}"}, timeout=60
    ) as admin:
        conference = admin.post(
            "/v1/conferences",
            json={"slug": "a11y-conf", "name": "A11y Conf", "timezone": "Europe/Berlin"},
        ).json()
        base = f"/v1/conferences/{conference['id']}"
        people = [
            {
                "external_id": f"A-{i:02d}",
                "name": f"Person {i:02d}",
                "affiliation": f"Company {i % 5}",
                "interests": ["testing", "packaging", "numpy", "Django"][i % 4],
                "hometown": ["Lyon", "Porto", "Leeds"][i % 3],
                "solo": i % 4 == 0,
                "dinner": i % 2 == 0,
            }
            for i in range(24)
        ]
        batch = admin.post(f"{base}/attendees:batch", json={"attendees": people})
        assert batch.status_code == 200, batch.text
        for body in (
            {"name": "Lunch 1", "kind": "lunch", "table_size": 6, "location": "Hall B"},
            {"name": "Dinner 1", "kind": "dinner", "capacities": [6, 6]},
        ):
            made = admin.post(f"{base}/rounds", json=body)
            assert made.status_code == 201, made.text
    ids = [p["external_id"] for p in people]
    diners = ids[::2]
    seating = {
        "Lunch 1": [ids[i : i + 6] for i in range(0, 24, 6)],
        "Dinner 1": [diners[:6], diners[6:]],
    }
    plan_factory(conference, seating, publish=True)
    plan_factory(conference, seating, publish=False)
    return {"conference": conference, "key": admin_key}


def scan(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    violations: list[dict[str, Any]] = json.loads(result)["violations"]
    return [v for v in violations if v.get("impact") in BLOCKING]


def described(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in violations
    )


@pytest.fixture
def scanning_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page whose context lets the test inject axe-core (CSP bypassed)."""
    viewport: ViewportSize = getattr(request, "param", DESKTOP)
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def open_view(page: Page, live_server: str, key: str, view: str) -> None:
    if "/dashboard" not in page.url:
        page.goto(f"{live_server}/dashboard")
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("navigation", name="Sections")).to_be_visible()
    page.goto(f"{live_server}/dashboard#/{view}")
    expect(page.locator(f"#view-{view}")).to_be_visible()
    ready = {
        "overview": "#stat-attendees",
        "attendees": "#attendee-table tbody tr",
        "rounds": "#round-table tbody tr",
        "plans": "#plan-table tbody tr",
        "review": ".table-card",
        "mail": "#mail-setup:not(:empty)",
        "connections": "#connection-empty",
        "webhooks": "#webhook-empty",
        "conferences": "#key-table tbody tr",
    }[view]
    expect(page.locator(ready).first).to_be_visible()


@pytest.mark.parametrize("scanning_page", [DESKTOP, PHONE], indirect=True)
def test_every_view_has_no_serious_accessibility_violations(
    scanning_page: Page, live_server: str, seated: dict[str, Any]
) -> None:
    page = scanning_page
    found: dict[str, list[dict[str, Any]]] = {}
    for view in VIEWS:
        open_view(page, live_server, seated["key"], view)
        if view == "review":
            expect(page.locator("#map .scatter .dot").first).to_be_visible()
            page.locator("#view-review summary", has_text="What the figures mean").click()
            found["review (cards, glossary open)"] = scan(page)
            page.get_by_role("button", name="List", exact=True).click()
            page.get_by_label("Find a person: name, company or id").fill("Company 1")
            expect(page.locator("#review-find-results li").first).to_be_visible()
            page.locator(".legend button").first.click()
            found["review (list, finder, table picked)"] = scan(page)
        elif view == "rounds":
            page.get_by_role("button", name="Edit Lunch 1").click()
            found["rounds (editing a round)"] = scan(page)
        elif view == "plans":
            page.get_by_text("Advanced options").click()
            found["plans (advanced options open)"] = scan(page)
        else:
            found[view] = scan(page)
    blocking = {name: v for name, v in found.items() if v}
    assert not blocking, "\n".join(f"{n}:\n{described(v)}" for n, v in blocking.items())


@pytest.mark.parametrize("scanning_page", [PHONE], indirect=True)
def test_every_view_fits_a_390_px_phone(
    scanning_page: Page, live_server: str, seated: dict[str, Any]
) -> None:
    page = scanning_page
    for view in VIEWS:
        open_view(page, live_server, seated["key"], view)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{view} is {width} px wide on a {PHONE['width']} px phone"
        tab = page.get_by_role("link", name="Review & publish")
        box = tab.bounding_box()
        assert box is not None and box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"], f"'Review & publish' is off-screen: {box}"
