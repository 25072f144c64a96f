"""The rest of the organizer's job in the dashboard: conferences and keys, rounds edited in
place, plan names, a failed plan's reason and the figures explained."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from service.db import session_scope
from service.models import Plan

pytestmark = pytest.mark.browser


def sign_in(page: Page, live_server: str, key: str) -> None:
    page.goto(f"{live_server}/dashboard")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Sections")).to_be_visible()


def test_admin_creates_a_conference_and_its_keys(
    page: Page, live_server: str, admin_key: str
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, admin_key)
    # No conference yet: the page says where to make one.
    expect(page.get_by_role("heading", name="No conference")).to_be_visible()
    page.get_by_role("link", name="Conferences & keys").first.click()
    page.get_by_label("Conference name").fill("PyConf 2028")
    page.get_by_label("Short name for links").fill("Not A Slug")
    page.get_by_role("button", name="Create conference").click()
    expect(page.locator("#conference-error")).to_contain_text("slug")
    page.get_by_label("Short name for links").fill("pyconf-2028")
    page.get_by_label("Time zone of the venue").fill("Europe/Lisbon")
    page.get_by_role("button", name="Create conference").click()
    expect(page.locator("#conference-select")).to_have_value(
        page.locator("#conference-select option", has_text="PyConf 2028").get_attribute("value")
        or ""
    )
    expect(page.get_by_role("heading", name="Keys of PyConf 2028")).to_be_visible()
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {admin_key}"}) as c:
        [made] = [x for x in c.get("/v1/conferences").json() if x["slug"] == "pyconf-2028"]
    assert made["timezone"] == "Europe/Lisbon"

    # A key for the organizers: shown once, then it works against the API; revoked, it stops.
    page.locator("#key-form").get_by_label("What it is for").fill("Organizer team")
    page.locator("#key-form").get_by_label("change", exact=True).check()
    page.get_by_role("button", name="Make key").click()
    secret = page.locator("#key-secret")
    expect(secret).to_have_text(re.compile(r"^hw_\S+$"))
    key = secret.text_content() or ""
    rows = page.locator("#key-table tbody tr")
    expect(rows.filter(has_text="Organizer team")).to_contain_text("read, change")
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {key}"}) as c:
        assert c.get(f"/v1/conferences/{made['id']}/rounds").status_code == 200
    page.get_by_role("button", name="Revoke the key Organizer team").click()
    expect(rows.filter(has_text="Organizer team")).to_contain_text("revoked")
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {key}"}) as c:
        assert c.get(f"/v1/conferences/{made['id']}/rounds").status_code == 401


def test_round_edited_in_place_plan_renamed_failure_and_figures_explained(
    page: Page,
    live_server: str,
    admin: Any,
    conference: dict[str, Any],
    key_factory: Any,
    plan_factory: Any,
) -> None:
    base = f"/v1/conferences/{conference['id']}"
    people = [{"external_id": f"P-{i}", "name": f"Person {i}"} for i in range(8)]
    assert admin.post(f"{base}/attendees:batch", json={"attendees": people}).status_code == 200
    lunch = admin.post(f"{base}/rounds", json={"name": "Lunch 1", "kind": "lunch", "table_size": 4})
    assert lunch.status_code == 201, lunch.text
    plan_id = plan_factory(
        conference,
        {"Lunch 1": [["P-0", "P-1", "P-2", "P-3"], ["P-4", "P-5", "P-6", "P-7"]]},
        publish=False,
    )
    with session_scope() as session:
        session.add(
            Plan(
                conference_id=uuid.UUID(conference["id"]),
                status="failed",
                name="Tuesday run",
                error="Round 'Lunch 1' seats 6 of 8 people: add tables or seats.",
            )
        )
    key = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write"])
    sign_in(page, live_server, key)

    # A round edited in place: only the changed fields are sent, the row shows the new plan.
    page.get_by_role("link", name="Rounds").click()
    page.get_by_role("button", name="Edit Lunch 1").click()
    expect(page.get_by_label("Name of Lunch 1")).to_be_focused()
    page.get_by_label("Place of Lunch 1").fill("Hall C")
    page.get_by_label("Tables of Lunch 1").fill("3, 2, 2")
    page.get_by_role("button", name="Save").click()
    row = page.locator("#round-table tbody tr").first
    expect(row).to_contain_text("Hall C")
    expect(row).to_contain_text("3, 2, 2")
    saved = admin.get(f"{base}/rounds/{lunch.json()['id']}").json()
    assert [saved["location"], saved["capacities"], saved["table_size"]] == [
        "Hall C",
        [3, 2, 2],
        None,
    ]
    # Too few seats now: the checks say so where the organizer works (the round is saved).
    expect(page.locator("#round-warnings")).to_be_visible()
    expect(row.get_by_role("button", name="Edit Lunch 1")).to_be_focused()
    # A bad value is refused next to the row and nothing changes.
    page.get_by_role("button", name="Edit Lunch 1").click()
    page.get_by_label("Tables of Lunch 1").fill("3, 1")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("tr.editing .error")).to_be_visible()
    assert admin.get(f"{base}/rounds/{lunch.json()['id']}").json()["capacities"] == [3, 2, 2]
    page.keyboard.press("Escape")
    expect(page.locator("tr.editing")).to_have_count(0)

    # Plans: a failed plan says why; figures have plain labels explained on focus.
    page.get_by_role("link", name="Plans").click()
    failed = page.locator("#plan-table tbody tr", has_text="Tuesday run")
    expect(failed).to_contain_text("Failed")
    expect(failed.locator(".failure")).to_contain_text("seats 6 of 8 people")
    term = page.locator("#plan-table th .term", has_text="Pairs who meet again")
    term.focus()
    tip = page.locator(f"#{term.get_attribute('aria-describedby')}")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("more than one round")
    page.locator("#view-plans summary", has_text="What the figures mean").click()
    expect(page.locator("#view-plans .glossary")).to_contain_text(
        "Has someone with shared interests"
    )

    # Review: the plan's name shown and renamed.
    page.goto(f"{live_server}/dashboard#/review/{plan_id}")
    expect(page.locator(".table-card")).to_have_count(2)
    page.get_by_role("button", name="Rename").click()
    page.get_by_label("Plan name").fill("Final seating")
    page.get_by_role("button", name="Save name").click()
    expect(page.locator("#review-plan-name")).to_have_text("Final seating")
    expect(page.get_by_role("button", name="Rename")).to_be_focused()
    assert admin.get(f"{base}/plans/{plan_id}").json()["name"] == "Final seating"
    summary = page.locator("#review-summary .term", has_text="Hard rules broken")
    summary.focus()
    expect(page.locator(f"#{summary.get_attribute('aria-describedby')}")).to_be_visible()


def test_publish_asks_with_the_summary_and_a_replan_says_who_moved(
    page: Page,
    live_server: str,
    admin: Any,
    conference: dict[str, Any],
    key_factory: Any,
    plan_factory: Any,
) -> None:
    base = f"/v1/conferences/{conference['id']}"
    people = [{"external_id": f"P-{i}", "name": f"Person {i}"} for i in range(8)]
    assert admin.post(f"{base}/attendees:batch", json={"attendees": people}).status_code == 200
    lunch = admin.post(f"{base}/rounds", json={"name": "Lunch 1", "kind": "lunch", "table_size": 4})
    assert lunch.status_code == 201, lunch.text
    live = plan_factory(
        conference, {"Lunch 1": [["P-0", "P-1", "P-2", "P-3"], ["P-4", "P-5", "P-6", "P-7"]]}
    )
    # A re-plan of the live plan that swapped Person 3 and Person 4.
    replan = plan_factory(
        conference,
        {"Lunch 1": [["P-0", "P-1", "P-2", "P-4"], ["P-3", "P-5", "P-6", "P-7"]]},
        publish=False,
    )
    with session_scope() as session:
        session.get_one(Plan, replan).based_on_id = live
    key = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write"])
    sign_in(page, live_server, key)
    page.goto(f"{live_server}/dashboard#/review/{replan}")
    moves = page.locator("#review-moves")
    expect(moves).to_contain_text("2 moved")
    # Round, name, from table, to table, why.
    expect(moves.get_by_role("row", name=re.compile(r"^Lunch 1 Person 3 1 2 \S"))).to_be_visible()
    expect(moves.get_by_role("row", name=re.compile(r"^Lunch 1 Person 4 2 1 \S"))).to_be_visible()

    # Publishing shows the summary first; Cancel publishes nothing and keeps the keyboard there.
    page.get_by_role("button", name="Publish", exact=True).click()
    confirm = page.get_by_role("dialog", name=re.compile("^Publish"))
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_have_count(0)
    expect(page.get_by_role("button", name="Publish", exact=True)).to_be_focused()
    assert admin.get(f"{base}/plans/{replan}").json()["status"] == "ready"
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Publish now").click()
    expect(page.locator("#review-status")).to_have_text("Published")
    assert admin.get(f"{base}/plans/{replan}").json()["status"] == "published"
