"""Erasure and privacy: an erased person leaves nothing behind, a hidden profile stays hidden.

The erasure test seats a small conference with the real plan worker, erases one person and
then reads every response the service gives (attendee pages, calendars, the plans API, map,
cards, every export, the attendee list) and every stored column of every table for the
person's words.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, select

from matching.wording import MATE_GONE, WhyLine, parse_why, restate, why
from service.config import get_settings
from service.plans import worker

#: The person who will be erased; every value is a string found nowhere else.
QUILLA: dict[str, Any] = {
    "name": "Quilla Vexbourne",
    "email": "quilla@vexmail.example",
    "affiliation": "Vexcorp Heliotrope",
    "interests": "Zettelkasten graph databases, quokkaherding and xylography.",
    "hometown": "Snowhollow",
    "languages": ["Icelandic"],
    "party": "party-vexbourne",
    "dietary": "DIET-QV-marzipan-free",
    "accessibility": "ACCESS-QV-ramp",
    "extra": {"t-shirt": "VEXSHIRT-XXL"},
    "solo": True,
    "dinner": True,
}
QUILLA_ID = "QV-77"
#: What must be gone after the erasure, in any case: her id, name, and every field she wrote.
QUILLA_STRINGS = (
    QUILLA_ID,
    "Quilla",
    "Vexbourne",
    "vexmail",
    "Vexcorp",
    "Heliotrope",
    "quokkaherding",
    "xylography",
    "Snowhollow",
    "Icelandic",
    "party-vexbourne",
    "marzipan",
    "ACCESS-QV",
    "VEXSHIRT",
)
# Cora shares Quilla's first words, so each is the other's closest match; the rest are varied.
OTHERS: dict[str, dict[str, Any]] = {
    "C1": {"name": "Cora Lindqvist", "interests": "Zettelkasten graph databases and tea."},
    "C2": {"name": "Dmitri Osei", "interests": "Rust compilers and embedded systems."},
    "C3": {"name": "Elif Nakamura", "interests": "Teaching Python to newcomers, pytest."},
    "C4": {"name": "Farid Mensah", "interests": "Packaging wheels and release tooling."},
    "C5": {"name": "Greta Salo", "interests": "Data pipelines, pandas and dashboards."},
    "C6": {"name": "Hugo Baptiste", "interests": "Async networking and web frameworks."},
    "C7": {"name": "Ines Duarte", "interests": "Accessibility audits and typography."},
}


@pytest.fixture
def hashing(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cheap deterministic encoder instead of the real model."""
    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()


def run_plan(admin: TestClient, base: str, **body: Any) -> dict[str, Any]:
    """Queue a plan, run it with the worker in-process, and return it."""
    created = admin.post(f"{base}/plans", json={"seed": 3, "time_budget": 2, **body})
    assert created.status_code == 202, created.text
    assert worker.run_once() == uuid.UUID(created.json()["id"])
    plan = admin.get(f"{base}/plans/{created.json()['id']}").json()
    assert plan["status"] == "ready", plan["error"]
    return dict(plan)


def found_in(text: str, strings: Iterable[str]) -> list[str]:
    folded = text.casefold()
    return [s for s in strings if s.casefold() in folded]


def stored_hits(strings: Iterable[str]) -> list[str]:
    """Every stored value, of every column of every table, that holds one of ``strings``."""
    wanted = list(strings)
    engine = create_engine(get_settings().database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    hits = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in row._mapping.items():
                    if value is None:
                        continue
                    text = (
                        json.dumps(value, ensure_ascii=False, default=str)
                        if isinstance(value, dict | list)
                        else str(value)
                    )
                    # JSON stored as text on SQLite: read its escapes too.
                    if text.startswith(("[", "{")):
                        with contextlib.suppress(ValueError):
                            text += json.dumps(json.loads(text), ensure_ascii=False)
                    for s in found_in(text, wanted):
                        hits.append(f"{table.name}.{column} holds {s!r}: {text[:200]}")
    engine.dispose()
    return hits


def xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return " ".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())


@pytest.fixture
def seated(
    admin: TestClient, visitor: TestClient, conference: dict[str, Any], hashing: None
) -> dict[str, Any]:
    """Quilla and seven others over two lunches and a dinner, published, plus a ready re-plan.

    Quilla keeps her profile to herself, sits in an organizer's rule and was pinned by an edit,
    so her id and words are in every kind of stored record before she is erased.
    """
    base = f"/v1/conferences/{conference['id']}"
    tokens = {}
    for external_id, body in {QUILLA_ID: QUILLA, **OTHERS}.items():
        response = admin.put(f"{base}/attendees/{external_id}", json={"dinner": True, **body})
        assert response.status_code == 201, response.text
        tokens[external_id] = response.json()["link"].rsplit("/me/", 1)[1]
    saved = visitor.post(
        f"/me/{tokens[QUILLA_ID]}",
        data={
            "interests": QUILLA["interests"],
            "hometown": QUILLA["hometown"],
            "languages": "Icelandic",
            "solo": "yes",
            "dinner": "yes",
            "show_affiliation": "yes",
            "show_hometown": "yes",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    rounds = {}
    for body in (
        {"name": "Lunch 1", "kind": "lunch", "starts_at": "2027-04-14T12:30:00Z", "table_size": 4},
        {"name": "Lunch 2", "kind": "lunch", "starts_at": "2027-04-15T12:30:00Z", "table_size": 4},
        {
            "name": "Dinner",
            "kind": "dinner",
            "starts_at": "2027-04-15T19:00:00Z",
            "capacities": [8],
        },
    ):
        created = admin.post(f"{base}/rounds", json=body)
        assert created.status_code == 201, created.text
        rounds[body["name"]] = created.json()["id"]
    rule = admin.post(
        f"{base}/rules", json={"kind": "keep_together", "attendees": [QUILLA_ID, "C6", "C7"]}
    )
    assert rule.status_code == 201, rule.text

    plan = run_plan(admin, base)
    pinned = admin.post(
        f"{base}/plans/{plan['id']}/edits",
        json={"op": "pin", "round_id": rounds["Lunch 1"], "attendee": QUILLA_ID},
        headers={"If-Match": f'"{plan["version"]}"'},
    )
    assert pinned.status_code == 200, pinned.text
    assert admin.post(f"{base}/plans/{plan['id']}/publish").status_code == 200
    replan = run_plan(admin, base, replan=True)
    return {
        "base": base,
        "tokens": tokens,
        "rounds": rounds,
        "plans": [plan["id"], replan["id"]],
    }


@pytest.fixture
def visitor(settings_env: str) -> TestClient:
    """A browser without any API key, as an attendee opening their link."""
    from service.app import create_app

    return TestClient(create_app())


def every_response(admin: TestClient, visitor: TestClient, seated: dict[str, Any]) -> list[str]:
    """The body of every page, file and API response that could show an attendee's data."""
    base = seated["base"]
    bodies = []

    def get(client: TestClient, url: str, **params: Any) -> str:
        response = client.get(url, params=params)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        bodies.append(f"GET {url} {params}")
        return response.text

    for external_id, token in seated["tokens"].items():
        if external_id == QUILLA_ID:
            continue
        bodies.append(get(visitor, f"/me/{token}"))
        bodies.append(get(visitor, f"/me/{token}/calendar.ics"))
        bodies.append(get(admin, f"{base}/attendees/{external_id}"))
    bodies.append(get(admin, f"{base}/attendees", limit=1000))
    bodies.append(get(admin, f"{base}/attendees", limit=1000, status="cancelled"))
    bodies.append(get(admin, f"{base}/rules"))
    bodies.append(get(admin, f"{base}/plans"))
    for plan_id in seated["plans"]:
        bodies.append(get(admin, f"{base}/plans/{plan_id}"))
        bodies.append(get(admin, f"{base}/plans/{plan_id}/cards"))
        for round_id in seated["rounds"].values():
            bodies.append(get(admin, f"{base}/plans/{plan_id}/rounds/{round_id}/tables"))
            bodies.append(get(admin, f"{base}/plans/{plan_id}/map", round_id=round_id))
    bodies.append(get(admin, f"{base}/mail-merge", format="csv"))
    bodies.append(get(admin, f"{base}/export", format="csv"))
    bodies.append(get(admin, f"{base}/export", format="json"))
    xlsx = admin.get(f"{base}/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200
    bodies.append(xlsx_text(xlsx.content))
    return bodies


def test_erasure_leaves_nothing_of_the_person_in_any_response_or_stored_column(
    admin: TestClient, visitor: TestClient, seated: dict[str, Any]
) -> None:
    base, rounds = seated["base"], seated["rounds"]
    # Before: her tablemates' why lines name her, so there is something to erase.
    lines = [
        member["why"]
        for round_id in rounds.values()
        for table in admin.get(f"{base}/plans/{seated['plans'][0]}/rounds/{round_id}/tables").json()
        for member in table["members"]
        if member["external_id"] != QUILLA_ID
    ]
    assert any(QUILLA["name"] in line for line in lines), lines
    assert stored_hits(["Quilla"])

    assert admin.delete(f"{base}/attendees/{QUILLA_ID}").status_code == 204

    leaks = [
        f"{body[:120]!r} holds {hits}"
        for body in every_response(admin, visitor, seated)
        if (hits := found_in(body, QUILLA_STRINGS))
    ]
    assert leaks == []
    assert stored_hits(QUILLA_STRINGS) == []

    # Her seat in the published plan stays, as a former attendee; her tablemates are told only
    # that their closest match is not coming.
    published = seated["plans"][0]
    members = {
        name: [
            m
            for t in admin.get(f"{base}/plans/{published}/rounds/{round_id}/tables").json()
            for m in t["members"]
        ]
        for name, round_id in rounds.items()
    }
    for seats in members.values():
        assert [m["name"] for m in seats].count("Former attendee") == 1
    assert any(m["why"] == MATE_GONE for seats in members.values() for m in seats)
    cora = visitor.get(f"/me/{seated['tokens']['C1']}").text
    assert "Former attendee" not in cora


def test_erasure_empties_the_persons_outbox_and_its_server_answers(
    admin: TestClient, seated: dict[str, Any]
) -> None:
    from service.db import session_scope
    from service.models import Attendee, MailMessage

    with session_scope() as session:
        quilla = session.scalars(select(Attendee).where(Attendee.external_id == QUILLA_ID)).one()
        session.add(
            MailMessage(
                conference_id=quilla.conference_id,
                attendee_id=quilla.id,
                kind="invitation",
                status="failed",
                last_answer=f"550 5.1.1 <{quilla.email}>: mailbox unavailable",
            )
        )
    assert stored_hits([str(QUILLA["email"])])

    assert admin.delete(f"{seated['base']}/attendees/{QUILLA_ID}").status_code == 204

    assert stored_hits(QUILLA_STRINGS) == []


def test_erasure_restarts_a_run_that_read_the_profile(
    admin: TestClient, seated: dict[str, Any]
) -> None:
    base = seated["base"]
    queued = admin.post(f"{base}/plans", json={"seed": 5, "time_budget": 2})
    assert queued.status_code == 202
    assert worker.claim_next() == uuid.UUID(queued.json()["id"])  # running from her profile

    assert admin.delete(f"{base}/attendees/{QUILLA_ID}").status_code == 204
    again = admin.get(f"{base}/plans/{queued.json()['id']}").json()
    assert again["status"] == "queued" and "erased" in again["message"]
    # The run picked up again reads the attendees as they are now.
    assert worker.run_once() == uuid.UUID(queued.json()["id"])
    assert admin.get(f"{base}/plans/{queued.json()['id']}").json()["status"] == "ready"
    assert stored_hits(QUILLA_STRINGS) == []


def why_line(html: str, meal: str) -> str:
    """The why line shown under one meal of an attendee page."""
    section = html[html.index(f"{meal} — table") :]
    match = re.search(r'<p class="why">(.*?)</p>', section, re.S)
    assert match is not None, section[:500]
    return " ".join(match.group(1).split())


def test_renaming_a_tablemate_who_hides_their_profile_keeps_it_hidden(
    admin: TestClient, visitor: TestClient, seated: dict[str, Any]
) -> None:
    base, tokens = seated["base"], seated["tokens"]
    # Cora's why line names Quilla, who hides her profile: it quotes none of her words.
    cora = visitor.get(f"/me/{tokens['C1']}").text
    meals = [m for m in ("Lunch 1", "Lunch 2", "Dinner") if f"{m} — table" in cora]
    named = [m for m in meals if QUILLA["name"] in why_line(cora, m)]
    assert named, [why_line(cora, m) for m in meals]
    for meal in named:
        assert why_line(cora, meal) == f"You and {QUILLA['name']} have interests in common."

    renamed = admin.patch(f"{base}/attendees/{QUILLA_ID}", json={"name": "Quinn Vale"})
    assert renamed.status_code == 200, renamed.text
    cora = visitor.get(f"/me/{tokens['C1']}").text
    for meal in named:
        # The line names her as she is called now and still says nothing of her profile.
        assert why_line(cora, meal) == "You and Quinn Vale have interests in common."


def test_renaming_hidden_tablemate_on_a_hand_made_plan_keeps_it_hidden(
    admin: TestClient, visitor: TestClient, conference: dict[str, Any], plan_factory: Any
) -> None:
    base = f"/v1/conferences/{conference['id']}"
    tokens = {}
    for external_id, name in (("R1", "Ruth Ng"), ("R2", "Sam Okoro")):
        response = admin.put(
            f"{base}/attendees/{external_id}", json={"name": name, "interests": "packaging"}
        )
        tokens[external_id] = response.json()["link"].rsplit("/me/", 1)[1]
    round_ = {
        "name": "Lunch",
        "kind": "lunch",
        "starts_at": "2027-04-14T12:30:00Z",
        "table_size": 2,
    }
    assert admin.post(f"{base}/rounds", json=round_).status_code == 201
    hide = visitor.post(
        f"/me/{tokens['R2']}",
        data={"interests": "packaging wheels-of-cheese"},
        follow_redirects=False,
    )
    assert hide.status_code == 303
    plan_factory(
        conference,
        {"Lunch": [["R1", "R2"]]},
        why={("Lunch", "R1"): "You and Sam Okoro both talk about wheels-of-cheese."},
    )
    assert admin.patch(f"{base}/attendees/R2", json={"name": "Sam O."}).status_code == 200
    line = why_line(visitor.get(f"/me/{tokens['R1']}").text, "Lunch")
    assert "wheels-of-cheese" not in line
    assert line == "You and Sam Okoro have interests in common."


@pytest.mark.parametrize(
    "line",
    [
        why(has_profile=True, mate="Ada Lovelace", shared=["testing", "packaging", "C++"]),
        why(has_profile=True, mate="Ada (she/her) Byron", mate_topics=["data engineering"]),
        why(has_profile=True, mate="Bo", shared=["graph databases"]),
        why(has_profile=True, mate="Chen and Li both talk about", shared=["node.js", "pip"]),
        why(has_profile=True, mate="Dee"),
    ],
)
def test_why_lines_are_taken_apart_exactly(line: str) -> None:
    parsed = parse_why(line)
    assert isinstance(parsed, WhyLine)
    assert restate(parsed, mate=parsed.mate) == line
    renamed = restate(parsed, mate="Someone Else", quote=False)
    assert parsed.mate not in renamed and not any(w in renamed for w in parsed.words)
