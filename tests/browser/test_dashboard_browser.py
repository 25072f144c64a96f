"""The organizer dashboard, driven in Chromium against the real app, database and plan worker."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from service.config import get_settings

pytestmark = pytest.mark.browser

# The server computes reports and maps on the fly; on a busy two-core machine that takes seconds.
SLOW = 30_000
SHOTS = Path(os.environ.get("HALLWAY_TEST_SCREENSHOTS", "/tmp"))
INTERESTS = [
    "pytest fixtures, packaging wheels",
    "Django ORM performance, PostgreSQL",
    "numba kernels, numpy, scientific computing",
    "type hints, mypy plugins",
    "async IO, FastAPI, websockets",
    "data science with pandas and polars",
    "teaching Python to kids",
    "CPython internals, the GIL",
    "machine learning, embeddings, transformers",
    "packaging, uv, dependency resolution",
]
TOWNS = ["Berlin", "Lyon", "Porto", "Kraków", "Leeds"]


def people_csv(path: Path) -> Path:
    """Twenty good rows (half of them dining) and one row with a bad 'solo' value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["id", "name", "email", "affiliation", "interests", "hometown", "solo", "dinner"]
    )
    for i in range(20):
        writer.writerow(
            [
                f"p-{i:02d}",
                f"Person {i:02d}",
                f"person{i}@example.org",
                f"Company {i % 7}",
                INTERESTS[i % len(INTERESTS)],
                TOWNS[i % len(TOWNS)],
                "yes" if i % 4 == 0 else "no",
                "yes" if i % 2 == 0 else "no",
            ]
        )
        if i == 9:
            writer.writerow(["p-bad", "Bad Row", "bad@example.org", "X", "", "", "maybe", "no"])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def fast_embeddings(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Profiles embedded by feature hashing: no model to load, so a run takes seconds."""
    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()


@pytest.fixture
def plan_worker(settings_env: str, fast_embeddings: None, tmp_path: Path) -> Iterator[None]:
    """A plan worker process on the test's database, as ``hallway serve`` starts one."""
    env = {**os.environ, "HALLWAY_DATABASE_URL": settings_env}
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "service.plans.worker"], env=env, stdout=log, stderr=log
    )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def organizer(admin_key: str, live_server: str, key_factory: Any) -> dict[str, Any]:
    """A conference and an organizer key (read and write) for it."""
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {admin_key}"}) as c:
        conference = c.post(
            "/v1/conferences",
            json={
                "slug": "pyconf-2027",
                "name": "PyConf 2027",
                "timezone": "Europe/Berlin",
                "location": "Darmstadt",
            },
        ).json()
    key = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write"])
    return {"conference": conference, "key": key}


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"dashboard-{name}.png"), full_page=True)


def sign_in(page: Page, live_server: str, key: str) -> None:
    page.goto(f"{live_server}/dashboard")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Sections")).to_be_visible()


def accept_dialogs(page: Page) -> None:
    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)


def test_sign_in_keeps_the_key_in_the_tab_only(
    page: Page, live_server: str, organizer: dict[str, Any]
) -> None:
    page.goto(f"{live_server}/dashboard")
    page.get_by_label("API key").fill("hw_not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not accepted")
    sign_in(page, live_server, organizer["key"])
    expect(page.get_by_role("heading", name="PyConf 2027")).to_be_visible()
    assert organizer["key"] not in page.url
    stored = page.evaluate("[sessionStorage.getItem('hallway.key'), localStorage.length]")
    assert stored == [organizer["key"], 0]
    page.set_viewport_size({"width": 820, "height": 1180})
    expect(page.locator("#stat-attendees .value")).to_have_text("0")
    shot(page, "overview-tablet")
    # A reload in the same tab stays signed in; signing out forgets the key.
    page.reload()
    expect(page.get_by_role("heading", name="PyConf 2027")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('hallway.key')") is None


def test_organizer_imports_plans_reviews_publishes_and_prints(
    plan_worker: None,
    page: Page,
    live_server: str,
    organizer: dict[str, Any],
    tmp_path: Path,
) -> None:
    accept_dialogs(page)
    key, conference = organizer["key"], organizer["conference"]
    api = httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {key}"})
    base = f"/v1/conferences/{conference['id']}"
    sign_in(page, live_server, key)
    expect(page.locator("#stat-attendees .value")).to_have_text("0")

    # Attendees: the check shows the bad row and writes nothing; then the good rows go in.
    page.get_by_role("link", name="Attendees").click()
    page.get_by_label("Attendee file").set_input_files(people_csv(tmp_path / "people.csv"))
    page.get_by_role("button", name="Check file").click()
    problems = page.locator("#import-problems tbody tr")
    expect(problems).to_have_count(1, timeout=SLOW)
    expect(problems.first.locator("td").nth(0)).to_have_text("12")
    expect(problems.first.locator("td").nth(1)).to_have_text("solo")
    expect(page.locator("#import-counts")).to_contain_text("20")
    shot(page, "import-check")
    assert api.get(f"{base}/attendees").json()["items"] == []
    page.get_by_role("button", name="Import the 20 good rows").click()
    expect(page.locator("#import-done")).to_contain_text("20 created")
    expect(page.locator("#attendee-table tbody tr")).to_have_count(20)
    assert len(api.get(f"{base}/attendees", params={"limit": 100}).json()["items"]) == 20

    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#stat-attendees .value")).to_have_text("20")
    expect(page.locator("#stat-solo .value")).to_have_text("5")
    expect(page.locator("#stat-dinner .value")).to_have_text("10")

    # Rounds: a lunch with a table size, a dinner with listed capacities, one added and deleted.
    page.get_by_role("link", name="Rounds").click()
    for name, kind, starts, place in (
        ("Lunch 1", "lunch", "2027-04-14T12:30", "Hall B"),
        ("Dinner 1", "dinner", "2027-04-14T19:00", "Ratskeller"),
        ("Spare", "lunch", "", ""),
    ):
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Kind").select_option(kind)
        if starts:
            page.get_by_label("Starts (venue time)").fill(starts)
        page.get_by_label("Place").fill(place)
        if kind == "dinner":
            page.get_by_label("Listed capacities").check()
            page.get_by_label("Capacities, in table order").fill("8, 8")
        else:
            page.get_by_label("People per table").fill("5")
        page.get_by_role("button", name="Add round").click()
        expect(page.locator("#round-table tbody")).to_contain_text(name)
    rows = page.locator("#round-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("2027-04-14 12:30")
    expect(rows.nth(1)).to_contain_text("8, 8")
    page.get_by_role("button", name="Delete Spare").click()
    expect(rows).to_have_count(2)

    # Seating rules: an unknown id is named; a good rule is listed, sent to the API, deleted.
    page.get_by_label("Rule", exact=True).select_option("keep_together")
    page.get_by_label("Attendee ids, two or more").fill("p-01, p-nobody")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#rule-error")).to_contain_text("p-nobody")
    page.get_by_label("Attendee ids, two or more").fill("p-01, p-02")
    page.locator("#rule-form").get_by_label("Note").fill("interpreter")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#rule-table tbody")).to_contain_text("Keep together")
    expect(page.locator("#rule-table tbody")).to_contain_text("p-01, p-02")
    assert [r["attendees"] for r in api.get(f"{base}/rules").json()] == [["p-01", "p-02"]]
    shot(page, "rounds")
    # (Deleted again so that the edits below may move anyone.)
    page.get_by_role("button", name="Delete the rule for p-01, p-02").click()
    expect(page.locator("#rule-table tbody")).to_contain_text("No rules yet.")
    assert api.get(f"{base}/rules").json() == []

    # Plans: start a run and watch it reach ready.
    page.get_by_role("link", name="Plans").click()
    # The seed and the time budget are advanced options, folded away until asked for.
    expect(page.get_by_label("Seed (optional)")).to_be_hidden()
    page.get_by_text("Advanced options").click()
    page.get_by_label("Seed (optional)").fill("7")
    page.get_by_label("Time budget, seconds (optional)").fill("1")
    page.get_by_role("button", name="Start matching").click()
    review_link = page.get_by_role("link", name="Review this plan")
    expect(review_link).to_be_visible(timeout=60_000)
    assert page.locator("#plan-progress").evaluate("el => el.value") == 1
    expect(page.locator("#plan-table tbody tr").first).to_contain_text("Ready to review")
    shot(page, "plans")

    # Review: summary figures, the lunch tables with their members, topics and why.
    review_link.click()
    expect(page.locator("#review-status")).to_have_text("Ready to review", timeout=SLOW)
    expect(page.locator("#review-summary")).to_contain_text("Co-worker pairs")
    expect(page.locator("#review-round-figures")).to_contain_text("Lunch 1: 20 of 20 seated")
    cards = page.locator(".table-card")
    expect(cards).to_have_count(4, timeout=SLOW)
    expect(page.locator(".member")).to_have_count(20)
    expect(page.locator(".table-card .chip").first).to_be_visible()
    expect(page.locator(".member .why").first).to_be_visible()
    expect(page.locator("#map .scatter .dot")).to_have_count(20, timeout=SLOW)
    title = page.locator("#map .scatter .dot title").first.text_content() or ""
    assert re.fullmatch(r"Person \d\d · Table \d", title), title
    shot(page, "review-lunch")

    # Moving one person off a lunch table breaks the equal sizes: the rule is named.
    first = cards.first.locator(".member").first
    first.get_by_role("button", name="Move").click()
    expect(page.locator("#review-error")).to_be_visible(timeout=SLOW)
    expect(page.locator("#review-error")).not_to_be_empty()
    shot(page, "review-rule-broken")
    assert "412" not in (page.locator("#review-error").text_content() or "")

    # Swapping two people of different tables keeps every rule.
    a_name = first.locator(".name").text_content()
    b_name = cards.nth(1).locator(".member .name").first.text_content()
    first.get_by_role("button", name=f"Swap {a_name} with…").click()
    expect(page.locator("#swapbar")).to_contain_text(f"Swapping {a_name}")
    cards.nth(1).locator(".member").first.get_by_role(
        "button", name=re.compile(f"^Swap with {a_name}:")
    ).click()
    expect(cards.nth(1).locator(".member .name", has_text=a_name or "")).to_have_count(
        1, timeout=SLOW
    )
    expect(cards.first.locator(".member .name", has_text=b_name or "")).to_have_count(1)

    # Pinning marks the person.
    pinned = cards.first.locator(".member").first
    pinned.get_by_role("button", name=re.compile("^Pin ")).click()
    expect(cards.first.locator(".member").first.locator(".badge.pin")).to_be_visible(timeout=SLOW)

    # Dinner: move someone from the fuller table to the other one.
    page.get_by_label("Round", exact=True).select_option(label="Dinner 1")
    expect(page.locator(".member")).to_have_count(10, timeout=SLOW)
    sizes = [cards.nth(i).locator(".member").count() for i in range(2)]
    source, target = (0, 1) if sizes[0] >= sizes[1] else (1, 0)
    mover = cards.nth(source).locator(".member").first
    mover_name = mover.locator(".name").text_content() or ""
    mover.get_by_label(f"Move {mover_name} to table").select_option(label=f"Table {target + 1}")
    mover.get_by_role("button", name="Move").click()
    expect(cards.nth(target).locator(".member")).to_have_count(sizes[target] + 1, timeout=SLOW)
    expect(cards.nth(target)).to_contain_text(mover_name)
    shot(page, "review-dinner")

    # Someone else edits the plan meanwhile: the next edit here is refused as stale.
    plan_id = api.get(f"{base}/plans").json()[0]["id"]
    current = api.get(f"{base}/plans/{plan_id}")
    other = cards.nth(1).locator(".member").first
    other_id = other.get_attribute("data-attendee")
    changed = api.post(
        f"{base}/plans/{plan_id}/edits",
        json={
            "op": "pin",
            "round_id": page.locator("#review-round").input_value(),
            "attendee": other_id,
            "pinned": True,
        },
        headers={"If-Match": current.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    cards.first.locator(".member").first.get_by_role("button", name=re.compile("^Pin ")).click()
    expect(page.get_by_text("Someone else changed this plan")).to_be_visible(timeout=SLOW)
    page.get_by_role("button", name="Reload").click()
    expect(page.locator("#review-stale")).to_be_hidden(timeout=SLOW)
    expect(cards.nth(1).locator(".member").first.locator(".badge.pin")).to_be_visible(timeout=SLOW)

    # Publish, then download the export and print the cards.
    # Publishing asks with the plan's summary: the manual edits above are named.
    page.get_by_role("button", name="Publish").click()
    confirm = page.get_by_role("dialog", name=re.compile("^Publish"))
    expect(confirm).to_be_visible(timeout=SLOW)
    expect(confirm.locator(".summary-messages li, .success").first).to_be_visible()
    confirm.get_by_role("button", name="Publish now").click()
    expect(page.locator("#review-status")).to_have_text("Published", timeout=SLOW)
    expect(page.locator("#review-locked")).to_be_visible()
    expect(page.locator(".member-actions")).to_have_count(0)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == "pyconf-2027-plan.csv"
    exported = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8-sig"))))
    assert len(exported) == 30
    dinner_rows = [r for r in exported if r["round"] == "Dinner 1"]
    assert {r["table"] for r in dinner_rows if r["name"] == mover_name} == {str(target + 1)}

    page.get_by_role("button", name="Print table cards").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=SLOW)
    frame = page.frame_locator("#cards-frame")
    expect(frame.locator("section.card")).to_have_count(2)
    expect(frame.locator("section.card").nth(target)).to_contain_text(f"Table {target + 1}")
    expect(frame.locator("section.card").nth(target)).to_contain_text(mover_name)
    expect(frame.locator("section.card").first).to_contain_text("Ratskeller")
    shot(page, "cards")
    page.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    api.close()
