"""The connections' worker against replayed platform APIs (respx): the real client code runs."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from service.attendees import service as attendee_service
from service.connections import ingest, worker
from service.connections.models import (
    Connection,
    ConnectionDelivery,
    ConnectionLogEntry,
    ConnectionSync,
)
from service.db import session_scope, utcnow
from service.models import Attendee, AuditEvent
from tests.service.test_connections_api import (
    EVENTBRITE_TOKEN,
    PRETIX_TOKEN,
    TITO_TOKEN,
    assert_no_secrets,
    fixture_bytes,
    fixture_json,
    hook_path,
    make_connection,
    public_dns,  # noqa: F401  (a fixture)
    tito_signature,
)

PRETIX_EVENT = "https://pretix.eu/api/v1/organizers/pyconf/events/pyconf27"
TITO_EVENT = "https://api.tito.io/v3/hallway-org/hallway-conf-27"
TITO_SLUG = "ti_test_p9nVLZKC4iuAzO3JnZBcnjA"
EVENTBRITE = "https://www.eventbriteapi.com/v3"


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """The platforms' REST APIs, replayed; any call not routed here fails the test."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
def pretix(
    admin: TestClient,
    conference: dict[str, Any],
    public_dns: None,  # noqa: F811
) -> dict[str, Any]:
    """A pretix connection (as `make_connection` answers), pretix.eu resolving as public."""
    return make_connection(admin, conference, "pretix")


def pretix_catalogue(api: respx.MockRouter) -> None:
    api.get(f"{PRETIX_EVENT}/questions/").respond(json=fixture_json("pretix_questions.json"))
    api.get(f"{PRETIX_EVENT}/items/").respond(json=fixture_json("pretix_items.json"))


def pretix_order(api: respx.MockRouter, order: dict[str, Any]) -> respx.Route:
    return api.get(url__startswith=f"{PRETIX_EVENT}/orders/{order['code']}/").respond(json=order)


def order_placed(
    client: TestClient,
    created: dict[str, Any],
    api: respx.MockRouter,
    order: dict[str, Any] | None = None,
) -> tuple[respx.Route, str]:
    """pretix announces order ABC23 (its API answers with ``order``, else the fixture's).

    Returns the order's route and the delivery's id.
    """
    pretix_catalogue(api)
    route = pretix_order(api, order or fixture_json("pretix_order_ABC23.json"))
    return route, post(client, created, pretix_hook(1))


def pages(api: respx.MockRouter, url: str, *fixtures: str) -> respx.Route:
    """The platform answers calls to ``url…`` with the fixtures in turn, one page a call."""
    return api.get(url__startswith=url).mock(
        side_effect=[httpx.Response(200, json=fixture_json(name)) for name in fixtures]
    )


def full_sync(
    admin: TestClient, conference: dict[str, Any], created: dict[str, Any]
) -> dict[str, Any]:
    """Ask for a full sync of the connection and let a worker run it; the sync as shown."""
    base = f"/v1/conferences/{conference['id']}/connections/{created['id']}"
    sync_id = admin.post(f"{base}/sync").json()["sync_id"]
    assert worker.run_syncs() == 1
    sync: dict[str, Any] = admin.get(f"{base}/syncs/{sync_id}").json()
    return sync


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {name: count for name, count in counts.items() if count}


def attendees(conference: dict[str, Any]) -> dict[str, Attendee]:
    with session_scope() as session:
        rows = session.scalars(
            select(Attendee).where(Attendee.conference_id == uuid.UUID(conference["id"]))
        ).all()
        session.expunge_all()
        return {row.external_id: row for row in rows}


def audit_count(action: str) -> int:
    with session_scope() as session:
        return (
            session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
            )
            or 0
        )


def delivery(delivery_id: str) -> ConnectionDelivery:
    with session_scope() as session:
        row = session.get_one(ConnectionDelivery, uuid.UUID(delivery_id))
        session.expunge(row)
        return row


def log_entries(connection_id: str) -> list[ConnectionLogEntry]:
    with session_scope() as session:
        rows = session.scalars(
            select(ConnectionLogEntry)
            .where(ConnectionLogEntry.connection_id == uuid.UUID(connection_id))
            .order_by(ConnectionLogEntry.created_at)
        ).all()
        session.expunge_all()
        return list(rows)


def post(client: TestClient, created: dict[str, Any], body: bytes, **headers: str) -> str:
    response = client.post(hook_path(created), content=body, headers=headers)
    assert response.status_code == 202, response.text
    delivery_id: str = response.json()["delivery_id"]
    return delivery_id


def pretix_hook(notification_id: int, action: str = "pretix.event.order.placed") -> bytes:
    body = fixture_json("pretix_webhook_order_placed.json")
    body.update(notification_id=notification_id, action=action)
    return json.dumps(body).encode()


def tito_post(client: TestClient, created: dict[str, Any], body: bytes, name: str) -> str:
    return post(
        client, created, body, **{"Tito-Signature": tito_signature(body), "X-Webhook-Name": name}
    )


def assert_log_clean(
    created: dict[str, Any], admin: TestClient, conference: dict[str, Any]
) -> None:
    base = f"/v1/conferences/{conference['id']}/connections/{created['id']}"
    for path in (base, f"{base}/log?limit=500", f"{base}/syncs"):
        assert_no_secrets(admin.get(path).text)
    for entry in log_entries(created["id"]):
        assert_no_secrets(entry.message + entry.platform_answer + json.dumps(entry.changes))


# --- pretix -----------------------------------------------------------------------------------


def test_pretix_order_positions_become_attendees_with_their_own_name_and_answers(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    # The organizer's saved mapping sends a question the import cannot guess to a field.
    saved = admin.put(
        f"/v1/conferences/{conference['id']}/attendees/import-mapping",
        json={
            "headers": ["Order code", "Position ID", "Attendee name", "City you travel from"],
            "columns": {
                "Order code": "order_code",
                "Position ID": "position_id",
                "Attendee name": "name",
                "City you travel from": "hometown",
            },
        },
    )
    assert saved.status_code == 200, saved.text
    route, delivery_id = order_placed(client, pretix, api)

    assert worker.run_pending() == 1
    assert delivery(delivery_id).status == "done"
    assert route.calls.last.request.headers["Authorization"] == f"Token {PRETIX_TOKEN}"
    assert "include_canceled_positions=true" in str(route.calls.last.request.url)
    people = attendees(conference)
    # The T-shirt (not an admission ticket) is no attendee.
    assert sorted(people) == ["ABC23-1", "ABC23-2"]
    zoe = people["ABC23-1"]
    assert (zoe.name, zoe.email, zoe.affiliation) == (
        "Zoë Ng",
        "zoe@snakeoil.example",
        "Snake Oil GmbH",
    )
    assert zoe.interests == "Packaging, typing and testing"
    assert zoe.solo is True
    assert zoe.hometown == "Lisbon"
    assert zoe.status == "registered"
    assert people["ABC23-2"].email == "tomas@ortega.example"
    assert people["ABC23-2"].solo is False
    # Never the buyer's address.
    assert all(p.email != "buyer@example.org" for p in people.values())
    processed = [e for e in log_entries(pretix["id"]) if e.kind == "processed"]
    assert len(processed) == 1
    assert {c["external_id"]: c["outcome"] for c in processed[0].changes} == {
        "ABC23-1": "created",
        "ABC23-2": "created",
    }
    assert "2 created" in processed[0].message
    assert "1 position(s) that are not admission tickets skipped" in processed[0].message
    assert "invalid" not in processed[0].message
    assert audit_count("attendee.created") == 2
    assert_log_clean(pretix, admin, conference)


def test_pretix_canceled_order_and_removed_position_cancel_attendees(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    order = fixture_json("pretix_order_ABC23.json")
    route, _ = order_placed(client, pretix, api, order)
    worker.run_pending()
    # Position 2 is taken out of the order (pretix leaves it out of its answer).
    changed = copy.deepcopy(order)
    changed["positions"] = [p for p in changed["positions"] if p["positionid"] != 2]
    route.respond(json=changed)
    post(client, pretix, pretix_hook(2, "pretix.event.order.changed.canceled"))
    worker.run_pending()
    people = attendees(conference)
    assert (people["ABC23-1"].status, people["ABC23-2"].status) == ("registered", "cancelled")
    # Then the whole order is canceled.
    canceled = copy.deepcopy(order) | {"status": "c"}
    route.respond(json=canceled)
    post(client, pretix, pretix_hook(3, "pretix.event.order.canceled"))
    worker.run_pending()
    people = attendees(conference)
    assert {p.status for p in people.values()} == {"cancelled"}
    last = [e for e in log_entries(pretix["id"]) if e.kind == "processed"][-1]
    assert last.changes == [
        {"external_id": "ABC23-1", "outcome": "cancelled", "fields": ["status"]}
    ]


def test_delivery_processed_twice_writes_once(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    _, first = order_placed(client, pretix, api)
    # pretix sends the same notification again (it did not see our answer).
    assert post(client, pretix, pretix_hook(1)) == first
    # "paid" names the same order: a delivery of its own, which changes nothing.
    post(client, pretix, pretix_hook(2, "pretix.event.order.paid"))
    assert worker.run_pending() == 2
    # And a worker that picks the first up again (a lost answer to the claim) changes nothing.
    with session_scope() as session:
        session.execute(
            update(ConnectionDelivery)
            .where(ConnectionDelivery.id == uuid.UUID(first))
            .values(status="received", body=pretix_hook(1).decode())
        )
    assert worker.run_pending() == 1
    assert sorted(attendees(conference)) == ["ABC23-1", "ABC23-2"]
    assert audit_count("attendee.created") == 2
    assert audit_count("attendee.updated") == 0


def test_worker_dying_mid_delivery_ends_with_each_attendee_once(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, delivery_id = order_placed(client, pretix, api)
    real_apply = attendee_service.apply_fields
    calls = []

    def dies_on_second(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process is stopped half-way through the order
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(attendee_service, "apply_fields", dies_on_second)
    claimed = worker.claim_delivery()
    assert claimed == uuid.UUID(delivery_id)
    with pytest.raises(KeyboardInterrupt):
        worker.process_delivery(claimed)
    monkeypatch.setattr(attendee_service, "apply_fields", real_apply)
    # Nothing half-written, and the delivery is still claimed by the dead worker.
    assert attendees(conference) == {}
    assert delivery(delivery_id).status == "processing"
    assert worker.run_pending() == 0
    # Another worker finds the stale claim and processes the delivery.
    assert worker.recover_stale(stale_after=timedelta(0)) == 1
    assert worker.run_pending() == 1
    assert sorted(attendees(conference)) == ["ABC23-1", "ABC23-2"]
    assert audit_count("attendee.created") == 2
    assert delivery(delivery_id).attempts == 2


def test_platform_5xx_is_retried_with_backoff_then_succeeds(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    pretix_catalogue(api)
    route = api.get(url__startswith=f"{PRETIX_EVENT}/orders/ABC23/").mock(
        side_effect=[
            httpx.Response(503, text="Service Unavailable: maintenance"),
            httpx.ConnectTimeout("timed out"),
            httpx.Response(200, json=fixture_json("pretix_order_ABC23.json")),
        ]
    )
    delivery_id = post(client, pretix, pretix_hook(1))
    before = utcnow()
    assert worker.run_pending() == 1
    row = delivery(delivery_id)
    assert (row.status, row.attempts) == ("received", 1)
    assert row.next_attempt_at is not None
    assert row.next_attempt_at >= before + timedelta(seconds=29)
    # Not due yet: nothing is claimed.
    assert worker.run_pending() == 0
    errors = [e for e in log_entries(pretix["id"]) if e.kind == "error"]
    assert errors[-1].platform_answer.startswith("503 Service Unavailable")
    for attempt in (2, 3):
        with session_scope() as session:
            session.execute(
                update(ConnectionDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
        assert worker.run_pending() == 1
        row = delivery(delivery_id)
        assert row.attempts == attempt
    assert row.status == "done"
    # The second wait was twice the first.
    assert worker.retry_delay(2) == 2 * worker.retry_delay(1)
    assert route.call_count == 3
    assert sorted(attendees(conference)) == ["ABC23-1", "ABC23-2"]


def test_refused_token_fails_at_once_and_the_token_never_shows(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    # A platform that echoes the token it was given in its error.
    api.get(url__startswith=f"{PRETIX_EVENT}/orders/ABC23/").respond(
        401, json={"detail": f"Invalid token: {PRETIX_TOKEN}"}
    )
    delivery_id = post(client, pretix, pretix_hook(1))
    worker.run_pending()
    row = delivery(delivery_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert_no_secrets(row.error)
    error = [e for e in log_entries(pretix["id"]) if e.kind == "error"][-1]
    assert error.platform_answer.startswith("401")
    assert "[token]" in error.platform_answer
    shown = admin.get(f"/v1/conferences/{conference['id']}/connections/{pretix['id']}").json()
    assert shown["failed_deliveries"] == 1
    assert "refused the token" in shown["last_error"]
    assert_log_clean(pretix, admin, conference)


def test_fields_the_attendee_wrote_survive_deliveries_and_syncs(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    order = fixture_json("pretix_order_ABC23.json")
    route, _ = order_placed(client, pretix, api, order)
    worker.run_pending()
    # Zoë writes her own profile on her page.
    with session_scope() as session:
        zoe = session.scalars(select(Attendee).where(Attendee.external_id == "ABC23-1")).one()
        zoe.interests = "Async Python and birdwatching"
        zoe.hometown = "Porto"
        zoe.languages = ["Portuguese", "English"]
        zoe.solo = False
        zoe.dinner = True
        zoe.visibility = {"hometown": False}
        zoe.profile_written_at = utcnow()
    # Then she renames herself in pretix and changes her answers there.
    renamed = copy.deepcopy(order)
    renamed["positions"][0]["attendee_name"] = "Zoë Ng-Weiss"
    renamed["positions"][0]["company"] = "Weiss AG"
    renamed["positions"][0]["answers"][0]["answer"] = "Only packaging"
    route.respond(json=renamed)
    post(client, pretix, pretix_hook(2, "pretix.event.order.changed.contact"))
    worker.run_pending()
    api.get(url__startswith=f"{PRETIX_EVENT}/orders/?").respond(
        json={"count": 1, "next": None, "previous": None, "results": [renamed]}
    )
    sync = admin.post(f"/v1/conferences/{conference['id']}/connections/{pretix['id']}/sync")
    assert worker.run_syncs() == 1
    zoe = attendees(conference)["ABC23-1"]
    # Registration fields follow pretix ...
    assert (zoe.name, zoe.affiliation) == ("Zoë Ng-Weiss", "Weiss AG")
    # ... what she wrote herself stays.
    assert zoe.interests == "Async Python and birdwatching"
    assert zoe.hometown == "Porto"
    assert zoe.languages == ["Portuguese", "English"]
    assert (zoe.solo, zoe.dinner) == (False, True)
    assert zoe.visibility == {"hometown": False}
    counts = admin.get(
        f"/v1/conferences/{conference['id']}/connections/{pretix['id']}/syncs/"
        f"{sync.json()['sync_id']}"
    ).json()["counts"]
    assert counts["unchanged"] == 2 and counts["updated"] == 0


def test_pretix_full_sync_pages_and_counts_and_is_safe_to_repeat(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    base = f"/v1/conferences/{conference['id']}/connections/{pretix['id']}"
    pretix_catalogue(api)
    order = fixture_json("pretix_order_ABC23.json")
    canceled = fixture_json("pretix_order_XYZ99_canceled.json")
    page_two = f"{PRETIX_EVENT}/orders/?include_canceled_positions=true&page=2"

    def answer(orders: list[dict[str, Any]]) -> None:
        api.get(page_two).respond(
            json={"count": 2, "next": None, "previous": None, "results": orders[1:]}
        )
        api.get(f"{PRETIX_EVENT}/orders/?include_canceled_positions=true").respond(
            json={"count": 2, "next": page_two, "previous": None, "results": orders[:1]}
        )

    answer([order, canceled])
    first = full_sync(admin, conference, pretix)
    assert first["status"] == "done"
    assert nonzero(first["counts"]) == {"created": 3}
    assert attendees(conference)["XYZ99-1"].status == "cancelled"
    # The same again changes nothing; then one rename and one cancellation.
    second = full_sync(admin, conference, pretix)
    assert second["id"] != first["id"]
    assert second["counts"]["unchanged"] == 3
    changed = copy.deepcopy(order)
    changed["positions"][0]["attendee_name"] = "Zoë Ng-Weiss"
    changed["positions"][1]["canceled"] = True
    answer([changed, canceled])
    third = full_sync(admin, conference, pretix)
    assert nonzero(third["counts"]) == {"updated": 1, "cancelled": 1, "unchanged": 1}
    assert admin.get(base).json()["last_synced_at"] is not None
    assert_log_clean(pretix, admin, conference)


def test_sync_restarted_after_its_worker_died_counts_from_the_start(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    pretix_catalogue(api)
    api.get(f"{PRETIX_EVENT}/orders/?include_canceled_positions=true").respond(
        json={"count": 1, "next": None, "results": [fixture_json("pretix_order_ABC23.json")]}
    )
    base = f"/v1/conferences/{conference['id']}/connections/{pretix['id']}"
    sync_id = admin.post(f"{base}/sync").json()["sync_id"]
    assert worker.claim_sync() == uuid.UUID(sync_id)
    # The worker dies here; a second claim finds nothing until the claim is stale.
    assert worker.claim_sync() is None
    worker.recover_stale(stale_after=timedelta(0))
    assert worker.run_syncs() == 1
    result = admin.get(f"{base}/syncs/{sync_id}").json()
    assert result["status"] == "done" and result["attempts"] == 2
    assert result["counts"]["created"] == 2
    assert sorted(attendees(conference)) == ["ABC23-1", "ABC23-2"]


# --- Tito -------------------------------------------------------------------------------------


def test_tito_update_before_create_ends_in_the_current_state(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    created = make_connection(admin, conference, "tito")
    current = fixture_json("tito_ticket_QBEU-1.json")
    current["ticket"]["name"] = "Ada Brook-Lane"
    current["ticket"]["email"] = "ada@brook-lane.example"
    route = api.get(f"{TITO_EVENT}/tickets/{TITO_SLUG}").respond(json=current)
    completed = fixture_bytes("tito_webhook_ticket_completed.json")
    updated_body = json.loads(completed)
    updated_body |= {"name": "Ada Brook-Lane", "updated_at": "2027-03-02T09:00:00.000Z"}
    updated = json.dumps(updated_body).encode()
    # The update arrives (and is processed) before the create.
    tito_post(client, created, updated, "ticket.updated")
    assert worker.run_pending() == 1
    tito_post(client, created, completed, "ticket.completed")
    assert worker.run_pending() == 1
    people = attendees(conference)
    assert list(people) == ["QBEU-1"]
    ada = people["QBEU-1"]
    assert (ada.name, ada.email, ada.affiliation) == (
        "Ada Brook-Lane",
        "ada@brook-lane.example",
        "Initrode",
    )
    assert ada.interests == "Rust bindings, CPython internals"
    assert ada.dinner is True
    assert route.calls.last.request.headers["Authorization"] == f"Token token={TITO_TOKEN}"
    # Voided in Tito: cancelled here.
    current["ticket"]["state"] = "void"
    route.respond(json=current)
    voided = json.dumps(updated_body | {"state_name": "void"}).encode()
    tito_post(client, created, voided, "ticket.voided")
    worker.run_pending()
    assert attendees(conference)["QBEU-1"].status == "cancelled"
    assert audit_count("attendee.created") == 1
    assert_log_clean(created, admin, conference)


def test_tito_full_sync_pages_and_cancels_void_tickets(
    admin: TestClient, conference: dict[str, Any], api: respx.MockRouter
) -> None:
    created = make_connection(admin, conference, "tito")
    route = pages(
        api, f"{TITO_EVENT}/tickets?", "tito_tickets_page1.json", "tito_tickets_page2.json"
    )
    assert nonzero(full_sync(admin, conference, created)["counts"]) == {"created": 3}
    people = attendees(conference)
    assert people["RTXA-1"].status == "cancelled"
    assert people["QBEU-2"].status == "registered"
    assert "page%5Bnumber%5D=2" in str(route.calls[1].request.url)


# --- Eventbrite -------------------------------------------------------------------------------


def test_eventbrite_order_placed_fetches_attendees_and_flags_info_requested(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    route = api.get(url__startswith=f"{EVENTBRITE}/orders/4512345678/").respond(
        json=fixture_json("eventbrite_order_4512345678.json")
    )
    post(client, created, fixture_bytes("eventbrite_webhook_order_placed.json"))
    worker.run_pending()
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {EVENTBRITE_TOKEN}"
    assert route.calls.last.request.url.params["expand"] == "attendees"
    people = attendees(conference)
    dana = people["5678901234"]
    assert (dana.name, dana.email, dana.affiliation) == (
        "Dana Fox",
        "dana@fox.example",
        "Acme Corp",
    )
    assert dana.interests == "Data pipelines"
    # The placeholder ticket waits for its details, as an imported one would.
    placeholder = people["5678901235"]
    assert placeholder.status == "needs-details"
    assert placeholder.email is None and placeholder.affiliation == ""
    assert placeholder.interests == ""
    message = next(e for e in log_entries(created["id"]) if e.kind == "processed").message
    assert "info requested" in message


def test_eventbrite_same_notification_later_is_a_new_change(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    attendee = fixture_json("eventbrite_attendee_5678901234.json")
    route = api.get(url__startswith=f"{EVENTBRITE}/events/717926867587/attendees/5678901234/")
    route.respond(json=attendee)
    body = fixture_bytes("eventbrite_webhook_attendee_updated.json")
    first = post(client, created, body)
    # Twice before it is processed: one delivery.
    assert post(client, created, body) == first
    worker.run_pending()
    assert attendees(conference)["5678901234"].name == "Dana Fox-Miller"
    # Eventbrite's body names the attendee only, so the same body later is a new change.
    route.respond(json=attendee | {"profile": attendee["profile"] | {"name": "Dana Miller"}})
    second = post(client, created, body)
    assert second != first
    worker.run_pending()
    assert attendees(conference)["5678901234"].name == "Dana Miller"
    assert route.call_count == 2


def test_eventbrite_stored_delivery_to_a_foreign_host_is_never_fetched(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    evil = api.get(url__startswith="https://evil.example/")
    delivery_id = post(client, created, fixture_bytes("eventbrite_webhook_attendee_updated.json"))
    # A row written before the check existed, or by hand: processing checks again.
    with session_scope() as session:
        session.execute(
            update(ConnectionDelivery).values(
                body=json.dumps(
                    {"config": {"action": "attendee.updated"}, "api_url": "https://evil.example/x"}
                )
            )
        )
    worker.run_pending()
    assert evil.call_count == 0
    assert delivery(delivery_id).status == "failed"
    assert "evil.example" in delivery(delivery_id).error
    assert attendees(conference) == {}


def test_eventbrite_full_sync_ignores_and_logs_another_events_attendee(
    admin: TestClient, conference: dict[str, Any], api: respx.MockRouter
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    route = pages(
        api,
        f"{EVENTBRITE}/events/717926867587/attendees/",
        "eventbrite_attendees_page1.json",
        "eventbrite_attendees_page2.json",
    )
    counts = full_sync(admin, conference, created)["counts"]
    assert nonzero(counts) == {"created": 2, "ignored": 1}
    people = attendees(conference)
    assert sorted(people) == ["5678901234", "5678901240"]
    assert people["5678901240"].status == "cancelled"
    assert route.calls[1].request.url.params["continuation"] == "dGhpcyBpcyBwYWdlIDE"
    done = [e for e in log_entries(created["id"]) if e.kind == "sync"][-1]
    assert "5678909999" in done.message and "999999999999" in done.message
    assert_log_clean(created, admin, conference)


# --- claims and the schedule ------------------------------------------------------------------


def test_two_workers_never_claim_one_delivery(
    client: TestClient, admin: TestClient, conference: dict[str, Any]
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    for number in range(12):
        post(
            client,
            created,
            json.dumps(
                {
                    "config": {"action": "attendee.updated"},
                    "api_url": f"{EVENTBRITE}/events/717926867587/attendees/{number}/",
                }
            ).encode(),
        )
    claimed: list[uuid.UUID] = []
    lock = threading.Lock()

    def claim_all() -> None:
        while (found := worker.claim_delivery()) is not None:
            with lock:
                claimed.append(found)

    threads = [threading.Thread(target=claim_all) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 12
    assert len(set(claimed)) == 12


def test_scheduled_sync_is_queued_once_per_period(
    admin: TestClient, conference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    with session_scope() as session:
        made = session.get_one(Connection, uuid.UUID(created["id"])).created_at
    assert worker.schedule_syncs(now=made + timedelta(hours=1)) == 0
    assert worker.schedule_syncs(now=made + timedelta(hours=7)) == 1
    assert worker.schedule_syncs(now=made + timedelta(hours=7)) == 0
    with session_scope() as session:
        kinds = session.scalars(select(ConnectionSync.kind)).all()
    assert kinds == ["scheduled"]
    monkeypatch.setenv("HALLWAY_CONNECTION_SYNC_HOURS", "0")
    from service.config import get_settings

    get_settings.cache_clear()
    with session_scope() as session:
        session.execute(update(ConnectionSync).values(status="done"))
    assert worker.schedule_syncs(now=made + timedelta(days=30)) == 0


def test_a_write_clashing_with_another_writer_is_written_again_at_once(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, delivery_id = order_placed(client, pretix, api)
    real = ingest.apply_records
    clashes = []

    def clash_once(*args: Any, **kwargs: Any) -> Any:
        if not clashes:
            clashes.append(1)
            # As when a sync created the same attendee a moment before.
            raise IntegrityError("INSERT INTO attendee", {}, Exception("duplicate key"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "apply_records", clash_once)
    monkeypatch.setattr(worker, "WRITE_RETRY_SECONDS", 0.0)
    assert worker.run_pending() == 1
    row = delivery(delivery_id)
    assert (row.status, row.attempts) == ("done", 1)
    assert clashes == [1]
    assert sorted(attendees(conference)) == ["ABC23-1", "ABC23-2"]
    assert not [e for e in log_entries(pretix["id"]) if e.kind == "error"]


def test_pretix_webhook_for_another_event_fetches_nothing_and_is_logged(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    other = api.get(url__startswith="https://pretix.eu/")
    body = fixture_json("pretix_webhook_order_placed.json") | {"event": "another-event"}
    delivery_id = post(client, pretix, json.dumps(body).encode())
    assert worker.run_pending() == 1
    assert other.call_count == 0
    assert delivery(delivery_id).status == "done"
    assert attendees(conference) == {}
    entry = next(
        e
        for e in log_entries(pretix["id"])
        if e.delivery_id == uuid.UUID(delivery_id) and e.kind != "received"
    )
    assert "pyconf/another-event" in entry.message
    assert "nothing was fetched" in entry.message


def test_eventbrite_test_delivery_is_answered_and_logged(
    client: TestClient, admin: TestClient, conference: dict[str, Any], api: respx.MockRouter
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    body = json.dumps(
        {"config": {"action": "test", "endpoint_url": "https://hallway.test/x", "webhook_id": "1"}}
    ).encode()
    delivery_id = post(client, created, body)
    assert worker.run_pending() == 1
    assert delivery(delivery_id).status == "done"
    assert any("test delivery" in e.message for e in log_entries(created["id"]))


def test_a_delivery_that_keeps_stopping_its_worker_is_failed_not_retried_forever(
    client: TestClient, admin: TestClient, conference: dict[str, Any]
) -> None:
    created = make_connection(admin, conference, "eventbrite")
    delivery_id = post(client, created, fixture_bytes("eventbrite_webhook_attendee_updated.json"))
    for _ in range(worker.MAX_ATTEMPTS):
        assert worker.claim_delivery() == uuid.UUID(delivery_id)
        # The worker dies every time.
        worker.recover_stale(stale_after=timedelta(0))
    row = delivery(delivery_id)
    assert (row.status, row.attempts) == ("failed", worker.MAX_ATTEMPTS)
    assert "stopped" in row.error
    assert worker.claim_delivery() is None


def test_old_log_entries_and_finished_work_are_pruned_what_waits_stays(
    client: TestClient,
    admin: TestClient,
    conference: dict[str, Any],
    pretix: dict[str, Any],
    api: respx.MockRouter,
) -> None:
    _, first = order_placed(client, pretix, api)
    assert worker.run_pending() == 1
    waiting = post(client, pretix, pretix_hook(2))  # stored, not processed yet
    long_ago = utcnow() - worker.KEEP_HISTORY - timedelta(days=1)
    connection_id = uuid.UUID(pretix["id"])
    with session_scope() as session:
        for model in (ConnectionDelivery, ConnectionLogEntry):
            session.execute(
                update(model)
                .where(model.connection_id == connection_id)
                .values(created_at=long_ago)
                .execution_options(synchronize_session=False)
            )
    assert log_entries(pretix["id"])  # all old now
    recent = post(client, pretix, pretix_hook(3))

    assert worker.prune() > 0
    with session_scope() as session:
        kept = set(
            session.scalars(
                select(ConnectionDelivery.id).where(
                    ConnectionDelivery.connection_id == connection_id
                )
            )
        )
    # The processed old delivery went; the old one still waiting and the new one stay.
    assert kept == {uuid.UUID(waiting), uuid.UUID(recent)}
    assert uuid.UUID(first) not in kept
    assert all(entry.created_at > long_ago for entry in log_entries(pretix["id"]))
    assert log_entries(pretix["id"])  # the new delivery's "received"
    assert worker.prune() == 0
