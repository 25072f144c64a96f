"""Reviewing a 2,000-attendee plan in Chromium: load time, finding people, edits and refusals.

The plan is stored seated by hand (the plan factory) so that the test spends its time in the
review page, not in the matcher. The figures it prints (page load, one edit) are the issue's:
the review opens in under a second and an edit answers in well under one.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from service.config import get_settings
from service.db import session_scope
from service.models import Plan
from service.plans import edits
from service.plans.engine import plan_state

pytestmark = pytest.mark.browser

PEOPLE = 2000
LUNCH_SIZE = 8
DINNER_SEATS = 10  # a dinner table holds 10 and seats 8: there is room to move someone
LOAD_LIMIT_MS = 2000  # the goal is 1 s; twice that is the bound on a busy two-core test machine
EDIT_LIMIT_MS = 1000  # the goal is 300 ms; the same margin for a busy machine
EDIT_WAIT = 60_000
FIRST = ["Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Guido", "Hedy", "Ivan", "Joan"]
LAST = ["Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Rossum", "Lamarr"]
TOPICS = ["packaging", "testing", "Django", "numpy", "async IO", "type hints", "teaching", "GIL"]


@pytest.fixture
def fast_embeddings(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The map embeds profiles by feature hashing: no model to load."""
    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()


def person(i: int) -> dict[str, Any]:
    return {
        "external_id": f"T-{i:04d}",
        # Every name is different: messages must name the person, and the test finds them.
        "name": f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]} {i:04d}",
        "email": f"p{i}@example.org",
        "affiliation": f"Company {i % 150}",
        "interests": f"{TOPICS[i % len(TOPICS)]}, {TOPICS[(i * 7) % len(TOPICS)]}",
        "hometown": f"Town {i % 40}",
        "solo": i % 5 == 0,
        "dinner": i % 2 == 0,
    }


@pytest.fixture
def big_plan(
    admin_key: str,
    live_server: str,
    key_factory: Any,
    plan_factory: Any,
    fast_embeddings: None,
) -> Iterator[dict[str, Any]]:
    """2,000 attendees, a lunch at tables of 8 and a dinner for the 1,000 opt-ins, seated."""
    admin = httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {admin_key}"})
    conference = admin.post(
        "/v1/conferences",
        json={"slug": "bigconf", "name": "BigConf", "timezone": "Europe/Berlin"},
    ).json()
    key = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write", "ingest"])
    api = httpx.Client(
        base_url=f"{live_server}/v1/conferences/{conference['id']}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )
    people = [person(i) for i in range(1, PEOPLE + 1)]
    for start in range(0, PEOPLE, 500):
        answer = api.post("/attendees:batch", json={"attendees": people[start : start + 500]})
        assert answer.status_code == 200, answer.text
    lunch = api.post(
        "/rounds",
        json={
            "name": "Lunch 1",
            "kind": "lunch",
            "table_size": 8,
            "starts_at": "2027-04-14T12:30",
        },
    )
    assert lunch.status_code == 201, lunch.text
    diners = [p["external_id"] for p in people if p["dinner"]]
    dinner_tables = len(diners) // LUNCH_SIZE
    dinner = api.post(
        "/rounds",
        json={
            "name": "Dinner 1",
            "kind": "dinner",
            "capacities": [DINNER_SEATS] * dinner_tables,
            "starts_at": "2027-04-14T19:00",
        },
    )
    assert dinner.status_code == 201, dinner.text
    ids = [p["external_id"] for p in people]
    random.Random(7).shuffle(ids)
    chunk = lambda xs: [xs[i : i + LUNCH_SIZE] for i in range(0, len(xs), LUNCH_SIZE)]  # noqa: E731
    plan_id = plan_factory(
        conference,
        {"Lunch 1": chunk(ids), "Dinner 1": chunk(diners)},
        capacities={"Dinner 1": [DINNER_SEATS] * dinner_tables},
        publish=False,
    )
    # As a matcher run stores them: the rounds this plan seated (so both take edits) and the
    # plan's report, which an edit then measures again only where it changed.
    with session_scope() as session:
        row = session.get_one(Plan, plan_id)
        row.params = {"round_ids": [lunch.json()["id"], dinner.json()["id"]]}
        state = plan_state(session, plan=row)
        _, row.report = edits.remeasure(
            state, stored=None, round_=state.rounds[0], touched=[], encoder=None
        )
    # The web process that takes the edits has not fitted this plan's text model: the worker
    # process that made the plan did.
    edits.forget_fitted()
    yield {"conference": conference, "key": key, "plan_id": str(plan_id), "people": people}
    api.close()
    admin.close()


def watch_console(page: Page) -> tuple[list[str], list[str]]:
    """Console errors and uncaught exceptions of the page, and the refused edits apart.

    Chromium itself logs every 4xx answer as "Failed to load resource"; the two refusals this
    test provokes (422 from …/edits) are counted apart so that they are the only ones allowed.
    """
    errors: list[str] = []
    refusals: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if "status of 422" in message.text and url.endswith("/edits"):
            refusals.append(url)
        else:
            errors.append(f"{message.text} ({url})")

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors, refusals


def mark(page: Page, name: str) -> float:
    """Milliseconds of the dashboard's last performance entry of that name."""
    value = page.evaluate(
        "name => { const e = performance.getEntriesByName(name); "
        "return e.length ? e[e.length - 1].duration || e[e.length - 1].startTime : null; }",
        name,
    )
    assert value is not None, f"the dashboard recorded no {name}"
    return float(value)


def test_review_of_2000_people_opens_fast_finds_people_and_edits_in_place(
    page: Page, live_server: str, big_plan: dict[str, Any]
) -> None:
    errors, refusals = watch_console(page)
    page.on("dialog", lambda dialog: dialog.accept())
    names = {p["external_id"]: p["name"] for p in big_plan["people"]}

    page.goto(f"{live_server}/dashboard")
    page.get_by_label("API key").fill(big_plan["key"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="BigConf")).to_be_visible()

    # Open the review page afresh (a new document): the load time is the browser's own clock.
    page.goto(f"{live_server}/dashboard#/review/{big_plan['plan_id']}")
    page.reload()
    cards = page.locator(".table-card")
    expect(cards.first).to_be_visible()
    load_ms = mark(page, "hallway:review-ready")
    print(f"\nreview page of {PEOPLE} attendees ready in {load_ms:.0f} ms")
    assert load_ms < LOAD_LIMIT_MS
    expect(page.locator("#review-page-info")).to_contain_text("of 250")
    expect(cards).to_have_count(20)

    # The map tells 250 tables apart: table 17 has table 1's colour but another shape; picking
    # it in the legend highlights its card and its people, who then say their names on focus.
    dots = page.locator("#map .scatter .dot")
    expect(dots).to_have_count(PEOPLE, timeout=EDIT_WAIT)
    shape = "el => el.tagName.toLowerCase()"
    assert page.locator('#map .scatter .dot[data-table="1"]').first.evaluate(shape) == "circle"
    assert page.locator('#map .scatter .dot[data-table="17"]').first.evaluate(shape) == "rect"
    page.locator('.legend button[data-table="17"]').click()
    expect(page.locator('.table-card[data-table="17"]')).to_have_class(re.compile("selected"))
    picked = page.locator('#map .scatter .dot.picked[data-table="17"]')
    expect(picked).to_have_count(LUNCH_SIZE)
    picked.first.focus()
    expect(page.locator("#map-caption")).to_contain_text("· Table 17")

    # Find someone by company and id, and jump to their dinner table (on a later page).
    finder = page.get_by_label("Find a person: name, company or id")
    finder.fill("T-1998")
    found = page.locator("#review-find-results li")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(names["T-1998"])
    found.get_by_role("button", name=re.compile("^Dinner 1: table")).click()
    expect(page.locator("#review-round")).to_have_value(
        page.locator("#review-round option", has_text="Dinner 1").get_attribute("value") or ""
    )
    row = page.locator('.member[data-attendee="T-1998"]')
    expect(row).to_be_focused()
    expect(row).to_have_class(re.compile("found"))
    dinner_table = int(row.get_attribute("data-table") or 0)
    finder.fill("Company 149")
    expect(page.locator("#review-find-count")).to_contain_text("people match")

    # Compact list: one row per person on this page of tables.
    page.get_by_role("button", name="List", exact=True).click()
    expect(page.locator("#review-list tbody tr").first).to_be_visible()
    page.get_by_role("button", name="Cards", exact=True).click()

    # A move at dinner (tables hold 10, seat 8): only the two tables touched are redrawn.
    card = page.locator(f'.table-card[data-table="{dinner_table}"]')
    other = dinner_table - 1 if dinner_table > 1 else 2
    same_page = (other - 1) // 20 == (dinner_table - 1) // 20
    page.evaluate("document.querySelectorAll('.table-card').forEach(c => c.dataset.old = '1')")
    mover = page.locator('.member[data-attendee="T-1998"]')
    mover.get_by_label(f"Move {names['T-1998']} to table").fill(str(other))
    mover.get_by_role("button", name=f"Move {names['T-1998']}").click()
    moved = page.locator(f'.table-card[data-table="{other}"] .member[data-attendee="T-1998"]')
    expect(moved).to_be_visible(timeout=EDIT_WAIT)
    edit_ms = mark(page, "hallway:edit")
    print(f"edit (move) on {PEOPLE} attendees answered and redrawn in {edit_ms:.0f} ms")
    assert edit_ms < EDIT_LIMIT_MS
    expect(moved.get_by_role("button", name=f"Move {names['T-1998']}")).to_be_focused()
    expect(card.locator(".member")).to_have_count(7)
    # Only the touched tables on this page are new nodes; the other cards were left alone.
    on_page = cards.count()
    expect(page.locator(".table-card:not([data-old])")).to_have_count(2 if same_page else 1)
    expect(page.locator(".table-card[data-old]")).to_have_count(on_page - (2 if same_page else 1))
    expect(page.locator("#review-announce")).to_contain_text(f"Moved {names['T-1998']}")

    # Back to lunch (tables of 8, all full): a move is refused next to the row, focus kept,
    # and the message names the person.
    page.get_by_label("Round", exact=True).select_option(label="Lunch 1")
    expect(page.locator("#review-page-info")).to_contain_text("of 250")
    first = cards.first.locator(".member").first
    first_id = first.get_attribute("data-attendee") or ""
    first_table = int(first.get_attribute("data-table") or 0)
    first.get_by_label(f"Move {names[first_id]} to table").fill(str(first_table + 1))
    move = first.get_by_role("button", name=f"Move {names[first_id]}")
    move.click()
    row_error = first.locator(".row-error")
    expect(row_error).to_be_visible(timeout=EDIT_WAIT)
    expect(row_error).to_contain_text(names[first_id])
    assert first_id not in (row_error.text_content() or "")
    expect(move).to_be_focused()

    # Pin someone, then try to swap another person with them: refused, and the "Swap with …"
    # buttons go back to "Swap…" (a stale one used to throw a JavaScript error when clicked).
    pinned = cards.nth(1).locator(".member").first
    pinned_id = pinned.get_attribute("data-attendee") or ""
    pinned.get_by_role("button", name=f"Pin {names[pinned_id]}").click()
    pinned = page.locator(f'.member[data-attendee="{pinned_id}"]')
    expect(pinned.locator(".badge.pin")).to_be_visible(timeout=EDIT_WAIT)
    a = cards.nth(2).locator(".member").first
    a_id = a.get_attribute("data-attendee") or ""
    a.get_by_role("button", name=f"Swap {names[a_id]} with…").click()
    swap = pinned.get_by_role("button", name=f"Swap with {names[a_id]}: {names[pinned_id]}")
    swap.click()
    pin_error = pinned.locator(".row-error")
    expect(pin_error).to_be_visible(timeout=EDIT_WAIT)
    expect(pin_error).to_contain_text(names[pinned_id])
    expect(page.locator("#swapbar")).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile("^Swap with"))).to_have_count(0)
    expect(pinned.get_by_role("button", name=f"Swap {names[pinned_id]} with…")).to_be_focused()
    pinned.get_by_role("button", name=f"Swap {names[pinned_id]} with…").click()
    expect(page.locator("#swapbar")).to_contain_text(f"Swapping {names[pinned_id]}")
    page.get_by_role("button", name="Cancel").click()

    # A good swap across tables of lunch: both tables redrawn, focus stays on the button.
    b = cards.nth(3).locator(".member").first
    b_id = b.get_attribute("data-attendee") or ""
    a = page.locator(f'.member[data-attendee="{a_id}"]')
    a.get_by_role("button", name=f"Swap {names[a_id]} with…").click()
    b.get_by_role("button", name=f"Swap with {names[a_id]}: {names[b_id]}").click()
    expect(cards.nth(3).locator(f'.member[data-attendee="{a_id}"]')).to_be_visible(
        timeout=EDIT_WAIT
    )
    expect(cards.nth(2).locator(f'.member[data-attendee="{b_id}"]')).to_be_visible()
    swap_ms = mark(page, "hallway:edit")
    print(f"edit (swap) answered and redrawn in {swap_ms:.0f} ms")
    assert swap_ms < EDIT_LIMIT_MS
    expect(
        page.locator(f'.member[data-attendee="{b_id}"] [data-focus="swap:{b_id}"]')
    ).to_be_focused()

    assert errors == [], errors
    assert len(refusals) == 2, refusals
