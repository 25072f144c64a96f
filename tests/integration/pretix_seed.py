"""Seed a test pretix through Django; run with pretix's own Python, never imported by Hallway.

Reads ``{"organizer": slug, "token": api token, "events": [slug, ...]}`` on stdin and prints
``{event slug: {"item": id, "quota": id}}`` as one JSON line: an organizer, a team with every
permission on every event holding the fixed API token, and per event a live event asking for
attendee names and e-mails, with an admission ticket in an unlimited quota. Needs
``PRETIX_CONFIG_FILE`` and ``DJANGO_SETTINGS_MODULE=pretix.settings`` in the environment.
"""

# mypy: ignore-errors
from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal


def main() -> None:
    request = json.load(sys.stdin)

    import django

    django.setup()

    from django.utils.timezone import now
    from django_scopes import scopes_disabled
    from pretix.base.models import Event, Item, Organizer, Quota, Team
    from pretix.base.models.organizer import TeamAPIToken

    seeded = {}
    with scopes_disabled():
        organizer, _ = Organizer.objects.get_or_create(
            slug=request["organizer"], defaults={"name": "Hallway test organizer"}
        )
        team, _ = Team.objects.get_or_create(
            organizer=organizer,
            name="Hallway sync",
            defaults={
                "all_events": True,
                "all_event_permissions": True,
                "all_organizer_permissions": True,
            },
        )
        TeamAPIToken.objects.get_or_create(
            team=team, token=request["token"], defaults={"name": "Hallway"}
        )
        for slug in request["events"]:
            event = Event.objects.create(
                organizer=organizer,
                name=f"Conference {slug}",
                slug=slug,
                currency="EUR",
                date_from=now() + dt.timedelta(days=60),
                live=True,
            )
            event.set_defaults()
            event.settings.attendee_names_asked = True
            event.settings.attendee_names_required = True
            event.settings.attendee_emails_asked = True
            event.settings.attendee_company_asked = True
            event.settings.payment_term_days = 14
            item = Item.objects.create(
                event=event,
                name="Conference ticket",
                default_price=Decimal("100.00"),
                admission=True,
                active=True,
            )
            quota = Quota.objects.create(event=event, name="Tickets", size=None)
            quota.items.add(item)
            seeded[slug] = {"item": item.pk, "quota": quota.pk}
    print(json.dumps(seeded))


if __name__ == "__main__":
    main()
