"""The attendee's private page: profile form, published tables, calendar, and privacy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.db import session_scope
from service.models import Attendee, AuditEvent

PEOPLE: dict[str, dict[str, Any]] = {
    "A1": {
        "name": "Ada Lovelace",
        "email": "ada.secret-mail@analytical.example",
        "affiliation": "Analytical Engines",
        "hometown": "London",
        "interests": "Compilers, numerical methods and poetry.",
        "dietary": "DIET-ADA-no-shellfish",
        "accessibility": "ACCESS-ADA-step-free",
        "solo": True,
    },
    "A2": {
        "name": "Brian Kernighan",
        "email": "brian.secret-mail@bell.example",
        "affiliation": "Bell Labs",
        "hometown": "Toronto",
        "interests": "Awk, typesetting and writing clear manuals.",
        "dietary": "DIET-BRIAN-vegan",
        "accessibility": "ACCESS-BRIAN-hearing-loop",
    },
    "A3": {
        "name": "Grace Hopper",
        "email": "grace.secret-mail@navy.example",
        "affiliation": "US Navy",
        "hometown": "New York",
        "interests": "COBOL, nanoseconds and teaching.",
        "dietary": "DIET-GRACE-halal",
        "accessibility": "ACCESS-GRACE-wheelchair",
    },
    "A4": {
        "name": "Dennis Ritchie",
        "email": "dennis.secret-mail@unix.example",
        "affiliation": "Unix Room",
        "hometown": "Bronxville",
        "interests": "Operating systems.",
        "dietary": "DIET-DENNIS-kosher",
        "accessibility": "ACCESS-DENNIS-large-print",
        "dinner": True,
    },
}
SECRET_FIELDS = ("email", "dietary", "accessibility")


@pytest.fixture
def visitor(settings_env: str) -> TestClient:
    """A browser without any API key, as an attendee opening their link."""
    from service.app import create_app

    return TestClient(create_app())


@pytest.fixture
def tokens(admin: TestClient, conference: dict[str, Any]) -> dict[str, str]:
    """Four attendees and two meals; returns each attendee's link token by external id."""
    base = f"/v1/conferences/{conference['id']}"
    out = {}
    for external_id, body in PEOPLE.items():
        response = admin.put(f"{base}/attendees/{external_id}", json=body)
        assert response.status_code == 201, response.text
        out[external_id] = response.json()["link"].rsplit("/me/", 1)[1]
    for body in (
        {
            "name": "Lunch 1",
            "kind": "lunch",
            "starts_at": "2027-04-14T12:30:00+02:00",
            "location": "Hall B",
            "table_size": 2,
        },
        {
            "name": "Dinner 1",
            "kind": "dinner",
            "starts_at": "2027-04-14T19:00:00+02:00",
            "location": "Ratskeller",
            "capacities": [4],
        },
    ):
        assert admin.post(f"{base}/rounds", json=body).status_code == 201
    return out


SEATING = {
    "Lunch 1": [["A1", "A2"], ["A3", "A4"]],
    "Dinner 1": [["A1", "A3", "A4"]],
}
WHY = {
    ("Lunch 1", "A1"): "You and Brian Kernighan both talk about manuals.",
    ("Dinner 1", "A1"): "You and Grace Hopper both talk about teaching.",
}
TOPICS = {"Lunch 1": [["writing", "compilers"], ["cobol"]], "Dinner 1": [["teaching"]]}


def text_of(html: str) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_unknown_and_revoked_links_show_a_404_page(
    admin: TestClient, visitor: TestClient, conference: dict[str, Any], tokens: dict[str, str]
) -> None:
    for response in (
        visitor.get("/me/not-a-real-token"),
        visitor.get("/me/not-a-real-token/calendar.ics"),
        visitor.post("/me/not-a-real-token", data={"interests": "x"}),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "This link doesn't work" in response.text
        assert "PyConf" not in response.text
        assert response.headers["cache-control"] == "no-store"

    old = tokens["A1"]
    assert visitor.get(f"/me/{old}").status_code == 200
    revoked = admin.post(f"/v1/conferences/{conference['id']}/attendees/A1/link:revoke")
    assert revoked.status_code == 200
    new = revoked.json()["link"].rsplit("/me/", 1)[1]
    gone = visitor.get(f"/me/{old}")
    assert gone.status_code == 404 and "Ada" not in gone.text
    assert visitor.post(f"/me/{old}", data={"interests": "hijack"}).status_code == 404
    assert visitor.get(f"/me/{new}").status_code == 200
    attendee = admin.get(f"/v1/conferences/{conference['id']}/attendees/A1").json()
    assert attendee["interests"] == PEOPLE["A1"]["interests"]


def test_erased_attendee_link_is_404(
    admin: TestClient, visitor: TestClient, conference: dict[str, Any], tokens: dict[str, str]
) -> None:
    assert admin.delete(f"/v1/conferences/{conference['id']}/attendees/A2").status_code == 204
    assert visitor.get(f"/me/{tokens['A2']}").status_code == 404


def test_page_is_private_mobile_and_labelled(visitor: TestClient, tokens: dict[str, str]) -> None:
    response = visitor.get(f"/me/{tokens['A1']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in response.headers["x-robots-tag"]
    html = response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "PyConf 2027" in html and "Hi, Ada Lovelace" in html
    for field in ("interests", "hometown", "languages", "solo", "dinner-yes", "dinner-no"):
        assert f'for="{field}"' in html and f'id="{field}"' in html
    # Without JavaScript the limit is stated in words.
    assert "Up to 1,000 characters." in html
    assert 'maxlength="1000"' in html
    assert "What do you use Python for?" in html
    assert "not published yet" in html
    # The inline script runs only with this response's nonce.
    nonce = re.search(r"script-src 'nonce-([^']+)'", response.headers["content-security-policy"])
    assert nonce is not None and f'<script nonce="{nonce.group(1)}">' in html


def test_profile_form_round_trip(
    admin: TestClient, visitor: TestClient, conference: dict[str, Any], tokens: dict[str, str]
) -> None:
    url = f"/me/{tokens['A2']}"
    form = {
        "interests": "Type systems & <b>bold</b> ideas",
        "hometown": "Kingston",
        "languages": "english, de",
        "solo": "yes",
        "dinner": "yes",
        "show_hometown": "yes",
    }
    response = visitor.post(url, data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?saved=1#profile"
    assert response.headers["cache-control"] == "no-store"

    page = visitor.get(response.headers["location"])
    assert page.status_code == 200
    html = page.text
    assert 'role="status">Saved.' in html
    assert "Type systems &amp; &lt;b&gt;bold&lt;/b&gt; ideas</textarea>" in html
    assert 'value="Kingston"' in html
    assert 'value="English, German"' in html
    assert re.search(r'id="solo"[^>]*checked', html)
    assert re.search(r'id="dinner-yes"[^>]*checked', html)
    assert re.search(r'id="show_hometown"[^>]*checked', html)
    assert not re.search(r'id="show_affiliation"[^>]*checked', html)
    assert not re.search(r'id="show_interests"[^>]*checked', html)

    stored = admin.get(f"/v1/conferences/{conference['id']}/attendees/A2").json()
    assert stored["interests"] == "Type systems & <b>bold</b> ideas"
    assert stored["hometown"] == "Kingston"
    assert stored["languages"] == ["English", "German"]
    assert stored["solo"] is True and stored["dinner"] is True
    assert stored["email"] == PEOPLE["A2"]["email"]  # untouched by the form
    with session_scope() as session:
        attendee = session.scalars(select(Attendee).where(Attendee.external_id == "A2")).one()
        assert attendee.visibility == {"affiliation": False, "hometown": True, "interests": False}
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.actor == "attendee:A2")))
    assert len(events) == 1
    assert events[0].action == "attendee.updated"
    assert set(events[0].details["fields"]) >= {"interests", "hometown", "visibility", "solo"}

    # Saving the same answers again changes nothing and logs nothing.
    assert visitor.post(url, data=form, follow_redirects=False).status_code == 303
    with session_scope() as session:
        count = len(
            list(session.scalars(select(AuditEvent).where(AuditEvent.actor == "attendee:A2")))
        )
    assert count == 1


def test_invalid_input_is_shown_next_to_the_field_and_nothing_is_lost(
    admin: TestClient, visitor: TestClient, conference: dict[str, Any], tokens: dict[str, str]
) -> None:
    too_long = "pytest " * 150 + "END-OF-MY-TEXT"
    response = visitor.post(
        f"/me/{tokens['A3']}",
        data={
            "interests": too_long,
            "hometown": "Arlington",
            "languages": "English",
            "dinner": "maybe",
        },
        follow_redirects=False,
    )
    assert response.status_code == 422
    html = response.text
    assert "Nothing was saved yet" in html
    assert re.search(
        r'id="interests-error">Please keep it to 1,000 characters; this is 1,064', html
    )
    assert "dinner-error" in html and "&#39;maybe&#39; is not a yes/no answer" in html
    assert re.search(r'aria-describedby="interests-hint interests-count interests-error"', html)
    assert too_long + "</textarea>" in html
    assert 'value="Arlington"' in html
    assert response.headers["cache-control"] == "no-store"

    stored = admin.get(f"/v1/conferences/{conference['id']}/attendees/A3").json()
    assert stored["interests"] == PEOPLE["A3"]["interests"]
    assert stored["hometown"] == "New York"
    with session_scope() as session:
        assert not list(
            session.scalars(select(AuditEvent).where(AuditEvent.actor.like("attendee:%")))
        )


def test_published_plan_shows_tables_tablemates_and_why(
    visitor: TestClient,
    conference: dict[str, Any],
    tokens: dict[str, str],
    plan_factory: Any,
) -> None:
    plan_factory(conference, SEATING, why=WHY, topics=TOPICS)
    response = visitor.get(f"/me/{tokens['A1']}")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Your tables" in text
    assert "Lunch 1 — table 1" in text and "Dinner 1 — table 1" in text
    assert text.index("Lunch 1 — table 1") < text.index("Dinner 1 — table 1")
    assert "Wednesday 14 April 2027, 12:30 CEST" in text
    assert "Wednesday 14 April 2027, 19:00 CEST" in text
    assert "Hall B" in text and "Ratskeller" in text
    assert WHY[("Lunch 1", "A1")] in text and WHY[("Dinner 1", "A1")] in text
    assert "Common ground: writing, compilers" in text and "Common ground: teaching" in text
    lunch = text[text.index("Lunch 1 — table 1") : text.index("Dinner 1 — table 1")]
    assert "Brian Kernighan" in lunch and "Bell Labs · Toronto" in lunch
    assert "Awk, typesetting and writing clear manuals." in lunch
    assert "Grace Hopper" not in lunch and "Dennis Ritchie" not in lunch
    dinner = text[text.index("Dinner 1 — table 1") :]
    assert "Grace Hopper" in dinner and "Dennis Ritchie" in dinner
    assert "Brian Kernighan" not in dinner.split("Your profile")[0]
    assert "feed the next re-plan" in text
    assert 'href="/me/' + tokens["A1"] + '/calendar.ics"' in response.text

    # Someone not seated at dinner sees only their lunch.
    brian = text_of(visitor.get(f"/me/{tokens['A2']}").text)
    assert "Lunch 1 — table 1" in brian and "Dinner 1" not in brian


def test_tablemates_are_shown_only_as_they_allowed(
    visitor: TestClient,
    conference: dict[str, Any],
    tokens: dict[str, str],
    plan_factory: Any,
) -> None:
    # Brian hides his company and profile but shows his home town.
    saved = visitor.post(
        f"/me/{tokens['A2']}",
        data={"interests": "PRIVATE-PROFILE awk", "hometown": "Toronto", "show_hometown": "yes"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    long_profile = "word " * 120 + "TAIL-OF-A-LONG-PROFILE"
    saved = visitor.post(
        f"/me/{tokens['A4']}",
        data={
            "interests": long_profile,
            "hometown": "Bronxville",
            "dinner": "yes",
            "show_affiliation": "yes",
            "show_interests": "yes",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    plan_factory(conference, SEATING, why=WHY)

    ada = text_of(visitor.get(f"/me/{tokens['A1']}").text)
    lunch = ada[ada.index("Lunch 1 — table 1") : ada.index("Dinner 1 — table 1")]
    assert "Brian Kernighan" in lunch and "Toronto" in lunch
    # The why line would name a word of Brian's hidden profile; it says less instead.
    assert "You and Brian Kernighan have interests in common." in lunch
    assert "manuals" not in lunch
    # Grace shows her profile, so the shared words stay.
    assert WHY[("Dinner 1", "A1")] in ada
    assert "Bell Labs" not in ada and "PRIVATE-PROFILE" not in ada
    dinner = ada[ada.index("Dinner 1 — table 1") : ada.index("Your profile")]
    assert "Dennis Ritchie" in dinner and "Unix Room" in dinner
    assert "Bronxville" not in dinner  # Dennis unticked his home town
    assert "word word" in dinner and "…" in dinner and "TAIL-OF-A-LONG-PROFILE" not in dinner
    # Grace never chose: everything is visible by default.
    assert "US Navy · New York" in dinner and "COBOL, nanoseconds and teaching." in dinner


def test_unpublished_plans_are_never_shown(
    visitor: TestClient,
    conference: dict[str, Any],
    tokens: dict[str, str],
    plan_factory: Any,
) -> None:
    plan_factory(
        conference,
        {"Lunch 1": [["A1", "A3"], ["A2", "A4"]]},
        why={("Lunch 1", "A1"): "DRAFT-WHY-LINE"},
        publish=False,
    )
    html = visitor.get(f"/me/{tokens['A1']}").text
    assert "not published yet" in html
    assert "Grace Hopper" not in html and "DRAFT-WHY-LINE" not in html and "table 1" not in html
    ics = icalendar.Calendar.from_ical(visitor.get(f"/me/{tokens['A1']}/calendar.ics").content)
    assert list(ics.walk("VEVENT")) == []

    plan_factory(conference, SEATING, why=WHY)
    plan_factory(
        conference,
        {"Lunch 1": [["A1", "A4"], ["A2", "A3"]]},
        why={("Lunch 1", "A1"): "NEWER-DRAFT-WHY"},
        publish=False,
    )
    text = text_of(visitor.get(f"/me/{tokens['A1']}").text)
    lunch = text[text.index("Lunch 1 — table 1") : text.index("Dinner 1 — table 1")]
    assert "Brian Kernighan" in lunch and "Dennis Ritchie" not in lunch
    assert "NEWER-DRAFT-WHY" not in text and "DRAFT-WHY-LINE" not in text

    # A newer published plan supersedes the older one; only the live one is shown.
    plan_factory(conference, {"Lunch 1": [["A1", "A4"], ["A2", "A3"]]})
    text = text_of(visitor.get(f"/me/{tokens['A1']}").text)
    assert "Dennis Ritchie" in text and "Brian Kernighan" not in text
    assert "Dinner 1" not in text


def test_no_other_persons_email_dietary_or_accessibility_anywhere(
    visitor: TestClient,
    conference: dict[str, Any],
    tokens: dict[str, str],
    plan_factory: Any,
) -> None:
    plan_factory(
        conference,
        {"Lunch 1": [["A1", "A2", "A3", "A4"]], "Dinner 1": [["A1", "A2", "A3", "A4"]]},
        why=WHY,
        topics=TOPICS,
    )
    for me, token in tokens.items():
        bodies = {
            "page": visitor.get(f"/me/{token}").text,
            "saved page": visitor.get(f"/me/{token}?saved=1").text,
            "invalid form": visitor.post(f"/me/{token}", data={"dinner": "perhaps"}).text,
            "calendar": visitor.get(f"/me/{token}/calendar.ics").content.decode(),
        }
        # The page never shows these notes, not even the attendee's own: a forwarded link
        # should not expose health information.
        own = PEOPLE[me]
        assert own["dietary"] not in bodies["page"] and own["accessibility"] not in bodies["page"]
        others = [person for external_id, person in PEOPLE.items() if external_id != me]
        # Everyone shares both tables, so the others are all on the page, by name only.
        assert all(person["name"] in bodies["page"] for person in others)
        for where, body in bodies.items():
            unfolded = body.replace("\r\n ", "").casefold()
            for person in others:
                for secret in SECRET_FIELDS:
                    value = str(person[secret]).casefold()
                    for needle in (value, *value.split("@")):
                        assert needle not in unfolded, (me, where, person["name"], secret)


def test_calendar_has_one_event_per_seated_meal(
    visitor: TestClient,
    conference: dict[str, Any],
    tokens: dict[str, str],
    plan_factory: Any,
) -> None:
    plan_factory(conference, SEATING, why=WHY, topics=TOPICS)
    response = visitor.get(f"/me/{tokens['A1']}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == ["Lunch 1 — table 1", "Dinner 1 — table 1"]
    lunch, dinner = events
    assert str(lunch["LOCATION"]) == "Hall B" and str(dinner["LOCATION"]) == "Ratskeller"
    assert lunch.decoded("DTSTART") == datetime(2027, 4, 14, 10, 30, tzinfo=UTC)
    assert lunch.decoded("DTEND") - lunch.decoded("DTSTART") == timedelta(hours=1)
    assert dinner.decoded("DTEND") - dinner.decoded("DTSTART") == timedelta(hours=2.5)
    assert "Brian Kernighan" in str(lunch["DESCRIPTION"])
    assert "Grace Hopper" in str(dinner["DESCRIPTION"])
    assert "Dennis Ritchie" in str(dinner["DESCRIPTION"])
    assert len({str(e["UID"]) for e in events}) == 2

    brian = icalendar.Calendar.from_ical(visitor.get(f"/me/{tokens['A2']}/calendar.ics").content)
    assert [str(e["SUMMARY"]) for e in brian.walk("VEVENT")] == ["Lunch 1 — table 1"]


def test_cancelled_tablemates_and_untimed_meals(
    admin: TestClient,
    visitor: TestClient,
    conference: dict[str, Any],
    tokens: dict[str, str],
    plan_factory: Any,
) -> None:
    base = f"/v1/conferences/{conference['id']}"
    response = admin.post(
        f"{base}/rounds", json={"name": "Lunch 2", "kind": "lunch", "table_size": 2}
    )
    assert response.status_code == 201
    plan_factory(conference, {**SEATING, "Lunch 2": [["A1", "A4"], ["A2", "A3"]]})
    assert admin.patch(f"{base}/attendees/A3", json={"status": "cancelled"}).status_code == 200

    text = text_of(visitor.get(f"/me/{tokens['A1']}?saved=yes-please").text)
    assert "Saved." not in text
    dinner = text[text.index("Dinner 1 — table 1") : text.index("Lunch 2 — table 1")]
    assert "Dennis Ritchie" in dinner and "Grace Hopper" not in dinner
    later = text[text.index("Lunch 2 — table 1") : text.index("Your profile")]
    assert "Time to be announced" in later and "Dennis Ritchie" in later
    calendar = icalendar.Calendar.from_ical(visitor.get(f"/me/{tokens['A1']}/calendar.ics").content)
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert summaries == ["Lunch 1 — table 1", "Dinner 1 — table 1"]
    descriptions = " ".join(str(e["DESCRIPTION"]) for e in calendar.walk("VEVENT"))
    assert "Dennis Ritchie" in descriptions and "Grace Hopper" not in descriptions


def test_why_lines_quote_nothing_of_a_hidden_profile() -> None:
    from service.attendee_page.service import private_why

    ruth = Attendee(name="Ruth Ng", visibility={"interests": False})
    other = Attendee(name="Someone Else", visibility={})
    shared = "You and Ruth Ng both talk about packaging and wheels."
    closest = "Your closest match here is Ruth Ng (data engineering)."
    hidden = private_why(shared, mate=ruth, members=[ruth, other])
    assert hidden == "You and Ruth Ng have interests in common."
    assert private_why(closest, mate=ruth, members=[ruth]) == "Your closest match here is Ruth Ng."
    assert private_why(closest, mate=None, members=[other]) == closest
