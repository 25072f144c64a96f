"""The import preview in the dashboard: a 2,000-row Eventbrite-style export, one question the
headers do not give away mapped by hand, placeholder rows flagged, then the import."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_dashboard_browser import shot, sign_in

pytestmark = pytest.mark.browser

SLOW = 30_000
ROWS = 2000
ALONE = "Attending without colleagues?"
HEADER = [
    "Order #", "Order Date", "First Name", "Last Name", "Email", "Quantity", "Ticket Type",
    "Attendee #", "Barcode #", "Buyer Last Name", "Buyer First Name", "Buyer Email",
    "Attendee Status", "Company", "What would you like to talk about at lunch?", ALONE,
    "Will you join the dinner?",
]  # fmt: skip


def eventbrite_export(path: Path) -> tuple[Path, int, int]:
    """2,000 tickets; every 7th came alone, every 100th has no details yet ("Info Requested").

    Returns the file, how many came alone and how many are placeholders.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    solo = placeholders = 0
    for i in range(ROWS):
        alone = i % 7 == 0
        placeholder = i % 100 == 50
        first, last, email = (
            ("Info Requested", "Info Requested", "Info Requested")
            if placeholder
            else (f"Given{i}", f"Family{i}", f"person{i}@example.org")
        )
        solo += alone and not placeholder
        placeholders += placeholder
        writer.writerow(
            [
                f"70{i // 2:05d}", "2026-03-02 10:14:55-05:00", first, last, email, "1",
                "Full Conference", f"9{i:06d}", f"9{i:06d}001", f"Buyer{i // 2}", "Pat",
                f"buyer{i // 2}@example.org", "Attending", f"Company {i % 40}",
                "packaging, testing" if i % 3 else "", "Yes" if alone else "No",
                "Yes" if i % 2 else "No",
            ]
        )  # fmt: skip
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return path, solo, placeholders


@pytest.fixture
def organizer(admin_key: str, live_server: str, key_factory: Any) -> dict[str, Any]:
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {admin_key}"}) as c:
        conference = c.post(
            "/v1/conferences", json={"slug": "bigconf", "name": "BigConf", "timezone": "UTC"}
        ).json()
    key = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write"])
    return {"conference": conference, "key": key}


def test_organizer_fixes_the_alone_question_in_the_preview_and_imports(
    page: Page, live_server: str, organizer: dict[str, Any], tmp_path: Path
) -> None:
    key, conference = organizer["key"], organizer["conference"]
    api = httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {key}"})
    base = f"/v1/conferences/{conference['id']}"
    export, solo, placeholders = eventbrite_export(tmp_path / "eventbrite.csv")
    sign_in(page, live_server, key)
    page.get_by_role("link", name="Attendees").click()

    page.get_by_label("Attendee file").set_input_files(export)
    page.get_by_role("button", name="Check file").click()

    counts = page.locator("#import-counts")
    expect(counts).to_contain_text(str(ROWS), timeout=SLOW)
    alone = page.get_by_label(ALONE, exact=True)
    expect(alone).to_have_value("extra")
    expect(page.get_by_label("Will you join the dinner?", exact=True)).to_have_value("dinner")
    expect(page.locator("#import-flagged tbody tr")).to_have_count(placeholders)
    expect(page.get_by_label("“Info Requested” placeholders")).to_have_value("needs_details")
    solo_count = counts.locator("dt:text-is('Solo') + dd")
    expect(solo_count).to_have_text("0")

    alone.select_option("solo")

    expect(solo_count).to_have_text(str(solo), timeout=SLOW)
    expect(page.get_by_label(ALONE, exact=True)).to_have_value("solo")
    shot(page, "import-mapping")
    assert api.get(f"{base}/attendees").json()["items"] == []
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-done")).to_contain_text(f"{ROWS} created", timeout=SLOW)

    people = api.get(
        f"{base}/attendees", params={"solo": "true", "status": "registered", "limit": 1000}
    ).json()
    assert len(people["items"]) == solo
    waiting = api.get(f"{base}/attendees", params={"status": "needs-details"}).json()
    assert len(waiting["items"]) == placeholders
    saved = api.get(f"{base}/attendees/import-mapping").json()
    assert saved["columns"][ALONE] == "solo"
    # The same export again: the saved mapping is used without asking.
    page.get_by_label("Attendee file").set_input_files(export)
    page.get_by_role("button", name="Check file").click()
    expect(counts).to_contain_text(str(ROWS), timeout=SLOW)
    expect(page.get_by_label(ALONE, exact=True)).to_have_value("solo")
    expect(solo_count).to_have_text(str(solo))
