"""The demo conference that ``make run`` loads: generated attendees and four meals."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from service.attendees import service as attendee_service
from service.conferences import service as conference_service
from service.conferences.schemas import ConferenceIn
from service.db import session_scope
from service.keys import service as key_service
from service.models import Conference
from service.rounds import service as round_service
from service.rounds.schemas import RoundIn

DEMO_SLUG = "demo"


def load_demo(*, n_attendees: int = 240, random_state: int = 2027) -> str | None:
    """Create the demo conference unless it exists.

    Returns:
        A new write key for the demo conference (shown once), or None if it already existed.
    """
    from matching.datasets import make_conference

    with session_scope() as session:
        if session.scalar(select(Conference.id).where(Conference.slug == DEMO_SLUG)) is not None:
            return None
        zone = ZoneInfo("Europe/Berlin")
        first_day = datetime(2027, 4, 14, tzinfo=zone)
        conference = conference_service.create_conference(
            session,
            data=ConferenceIn(
                slug=DEMO_SLUG,
                name="Hallway Demo Conference",
                timezone="Europe/Berlin",
                location="Darmstadt",
                starts_on=first_day.date(),
                ends_on=(first_day + timedelta(days=2)).date(),
            ),
            actor="demo",
        )
        for day in range(3):
            round_service.create_round(
                session,
                conference=conference,
                data=RoundIn(
                    name=f"Lunch {day + 1}",
                    kind="lunch",
                    starts_at=first_day + timedelta(days=day, hours=12, minutes=30),
                    location="Foyer, hall B",
                    table_size=8,
                ),
                actor="demo",
            )
        round_service.create_round(
            session,
            conference=conference,
            data=RoundIn(
                name="Dinner 1",
                kind="dinner",
                starts_at=first_day + timedelta(hours=19, minutes=30),
                location="Ratskeller, Marktplatz 8",
                table_size=6,
            ),
            actor="demo",
        )
        people = make_conference(n_attendees, random_state=random_state)
        attendee_service.upsert_many(
            session,
            conference=conference,
            items=[
                (
                    person.id,
                    {
                        "name": person.name,
                        "email": person.email or None,
                        "affiliation": person.affiliation,
                        "interests": person.interests,
                        "hometown": person.hometown,
                        "languages": list(person.languages),
                        "solo": person.solo,
                        "party": person.party,
                        "dinner": person.dinner,
                        "first_time": person.first_time,
                    },
                )
                for person in people
            ],
            actor="demo",
            action="attendees.imported",
        )
        key = key_service.create_key(
            session, conference_id=conference.id, scopes=["read", "write"], name="demo organizer"
        )
        return key.secret
