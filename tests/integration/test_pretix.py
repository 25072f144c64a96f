"""pretix for real: orders placed, changed, paid and cancelled in pretix show in Hallway in seconds.

A real pretix (its own virtualenv, SQLite, no broker; see ``pretix_harness.py``) runs on
127.0.0.1 beside the real ``hallway serve`` with a plan worker, which also processes the
connection's deliveries and syncs. Orders go through pretix's REST API as a shop or a box
office would place them; pretix delivers its webhooks to Hallway at once; the test reads
Hallway's attendee list, polling with a deadline, and records how long each change took to
show (the "integration timings" section of the pytest summary).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.pretix_harness import Pretix
from tests.integration.support import Hallway, record_timing

# The first test of a machine also installs and migrates pretix (about four minutes).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]
EVENT = "pycon"
EARLIER = "pycon-early"
# How long a change in pretix may take to show in Hallway's attendee list.
DEADLINE = 20.0

People = dict[str, tuple[str, str, str]]  # external id -> (name, e-mail, status)


def _people(hallway: Hallway) -> People:
    return {
        ext: (item["name"], item["email"], item["status"])
        for ext, item in hallway.attendees().items()
    }


def _wait_for(
    hallway: Hallway, what: str, started: float, done: Callable[[People], bool]
) -> People:
    """Poll the attendee list until ``done`` holds; record the seconds since ``started``."""
    while True:
        people = _people(hallway)
        if done(people):
            record_timing(what, time.monotonic() - started)
            return people
        if time.monotonic() - started > DEADLINE:
            log = _connection_log(hallway)
            pytest.fail(
                f"{what}: not shown within {DEADLINE:.0f} s.\nattendees: {people}\n"
                f"connection log: {log}\nserver log tail:\n"
                + hallway.log.read_text(errors="replace")[-3000:]
            )
        time.sleep(0.2)


def _connect(hallway: Hallway, pretix: Pretix, event: str) -> dict[str, Any]:
    body = {
        "platform": "pretix",
        "name": f"pretix {event}",
        "base_url": pretix.url,
        "organizer": pretix.organizer,
        "event": event,
        "token": pretix.token,
    }
    with hallway.client() as client:
        response = client.post("connections", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created["webhook_url"].startswith(f"{hallway.base}/v1/hooks/{created['id']}/")
    assert pretix.token not in response.text
    hallway.connection = created["id"]
    return created


def _connection_log(hallway: Hallway) -> list[tuple[str, str]]:
    if not hallway.connection:
        return []
    with hallway.client() as client:
        response = client.get(f"connections/{hallway.connection}/log")
    if response.status_code != 200:
        return [("unreadable", response.text)]
    return [(e["kind"], e["message"]) for e in response.json()["items"]]


def _settled(hallway: Hallway, connection: str, received: int, started: float, what: str) -> None:
    """Wait until Hallway has received ``received`` deliveries and has none pending."""
    with hallway.client() as client:
        while True:
            state = client.get(f"connections/{connection}")
            assert state.status_code == 200, state.text
            log = client.get(f"connections/{connection}/log", params={"limit": 200})
            assert log.status_code == 200, log.text
            kinds = [entry["kind"] for entry in log.json()["items"]]
            body = state.json()
            if kinds.count("received") >= received and body["pending_deliveries"] == 0:
                assert body["failed_deliveries"] == 0, _connection_log(hallway)
                record_timing(what, time.monotonic() - started)
                return
            if time.monotonic() - started > DEADLINE:
                pytest.fail(f"{what}: not processed within {DEADLINE:.0f} s: {body} {kinds}")
            time.sleep(0.2)


def test_pretix_takes_orders_changes_payments_and_cancellations_over_its_api(
    pretix: Pretix,
) -> None:
    """The harness itself: what the Hallway tests below make pretix do, pretix does."""
    pretix.seed(EVENT)
    order = pretix.place_order(EVENT, [("Ada Lovelace", "ada@example.org"), ("Alan Turing", "")])
    code, (first, second) = order["code"], order["positions"]
    assert order["status"] == "n"
    assert order["email"] == "buyer@example.org"
    assert [p["attendee_name"] for p in order["positions"]] == ["Ada Lovelace", "Alan Turing"]

    pretix.rename(EVENT, first["id"], "Ada King", "ada.king@example.org")
    assert pretix.mark_paid(EVENT, code)["status"] == "p"
    pretix.cancel_position(EVENT, code, second["id"])
    after = pretix.order(EVENT, code)
    assert after["status"] == "p"
    assert [(p["attendee_name"], p["attendee_email"]) for p in after["positions"]] == [
        ("Ada King", "ada.king@example.org")
    ]
    assert pretix.cancel_order(EVENT, code)["status"] == "c"

    with pretix.api as api:
        hooks = api.post(
            "webhooks/",
            json={
                "target_url": "http://127.0.0.1:9/hook",
                "enabled": True,
                "all_events": True,
                "limit_events": [],
                "action_types": ["pretix.event.order.placed"],
            },
        )
        assert hooks.status_code == 201, hooks.text
        refused = api.get(f"events/{EVENT}/orders/", headers={"Authorization": "Token wrong"})
        assert refused.status_code == 401


def test_attendee_list_follows_pretix_orders_within_seconds(
    pretix: Pretix, hallway: Hallway
) -> None:
    pretix.seed(EVENT)
    connection = _connect(hallway, pretix, EVENT)
    pretix.add_webhook(connection["webhook_url"], [EVENT])
    received = 0

    # (1) An order of two tickets: each position is an attendee, named as the position is, not
    # as the buyer who paid for both.
    started = time.monotonic()
    order = pretix.place_order(
        EVENT,
        [("Ada Lovelace", "ada@example.org"), ("Grace Hopper", "grace@example.org")],
        buyer="bea.buyer@example.org",
        companies={0: "Analytical Engines Ltd"},
    )
    received += 1
    code = order["code"]
    ada, grace = (f"{code}-{p['positionid']}" for p in order["positions"])
    expected = {
        ada: ("Ada Lovelace", "ada@example.org", "registered"),
        grace: ("Grace Hopper", "grace@example.org", "registered"),
    }
    people = _wait_for(hallway, "order placed -> 2 attendees listed", started, expected.__eq__)
    assert "bea.buyer@example.org" not in {email for _, email, _ in people.values()}
    listed = hallway.attendees()
    assert listed[ada]["affiliation"] == "Analytical Engines Ltd"
    assert not listed[grace]["affiliation"]

    # (2) The first ticket passed on to a colleague: name and e-mail follow.
    started = time.monotonic()
    pretix.rename(EVENT, order["positions"][0]["id"], "Ada King", "ada.king@example.org")
    received += 1
    expected[ada] = ("Ada King", "ada.king@example.org", "registered")
    _wait_for(hallway, "attendee renamed -> name and e-mail follow", started, expected.__eq__)

    # (3) Paid: nothing changes for Hallway, and nobody is listed twice.
    started = time.monotonic()
    assert pretix.mark_paid(EVENT, code)["status"] == "p"
    received += 1
    _settled(hallway, connection["id"], received, started, "order paid -> delivery processed")
    assert _people(hallway) == expected

    # A second order, then one of the first order's tickets cancelled through the change API.
    started = time.monotonic()
    other = pretix.place_order(EVENT, [("Linus Pauling", "linus@example.org")])
    received += 1
    linus = f"{other['code']}-{other['positions'][0]['positionid']}"
    expected[linus] = ("Linus Pauling", "linus@example.org", "registered")
    _wait_for(hallway, "second order placed -> listed", started, expected.__eq__)

    started = time.monotonic()
    pretix.cancel_position(EVENT, code, order["positions"][1]["id"])
    received += 1
    expected[grace] = ("Grace Hopper", "grace@example.org", "cancelled")
    _wait_for(hallway, "one ticket of an order cancelled -> cancelled", started, expected.__eq__)

    # (4) The whole order cancelled: its remaining attendee too; the other order stays.
    started = time.monotonic()
    assert pretix.cancel_order(EVENT, code)["status"] == "c"
    received += 1
    expected[ada] = ("Ada King", "ada.king@example.org", "cancelled")
    _wait_for(hallway, "order cancelled -> attendees cancelled", started, expected.__eq__)
    _settled(hallway, connection["id"], received, started, "every delivery processed")
    assert _people(hallway) == expected


def _sync(hallway: Hallway, connection: str, what: str) -> dict[str, Any]:
    started = time.monotonic()
    with hallway.client() as client:
        queued = client.post(f"connections/{connection}/sync")
        assert queued.status_code == 202, queued.text
        sync_id = queued.json()["sync_id"]
        while True:
            response = client.get(f"connections/{connection}/syncs/{sync_id}")
            assert response.status_code == 200, response.text
            sync: dict[str, Any] = response.json()
            if sync["status"] in ("done", "failed"):
                break
            if time.monotonic() - started > DEADLINE:
                pytest.fail(f"{what}: sync still {sync['status']} after {DEADLINE:.0f} s: {sync}")
            time.sleep(0.2)
    assert sync["status"] == "done", sync
    record_timing(what, time.monotonic() - started)
    return sync


def test_full_sync_brings_in_orders_placed_before_the_connection_existed(
    pretix: Pretix, hallway: Hallway
) -> None:
    pretix.seed(EARLIER)
    # Orders from before Hallway was connected: one pending, one paid, one cancelled.
    pending = pretix.place_order(
        EARLIER, [("Katherine Johnson", "kj@example.org"), ("Dorothy Vaughan", "dv@example.org")]
    )
    paid = pretix.place_order(
        EARLIER, [("Mary Jackson", "mj@example.org")], buyer="office@example.org"
    )
    pretix.mark_paid(EARLIER, paid["code"])
    gone = pretix.place_order(
        EARLIER, [("Annie Easley", "ae@example.org"), ("Melba Mouton", "mm@example.org")]
    )
    pretix.cancel_order(EARLIER, gone["code"])

    def ids(order: dict[str, Any]) -> list[str]:
        return [f"{order['code']}-{p['positionid']}" for p in order["positions"]]

    expected: People = {}
    for order, status in ((pending, "registered"), (paid, "registered"), (gone, "cancelled")):
        for ext, position in zip(ids(order), order["positions"], strict=True):
            expected[ext] = (position["attendee_name"], position["attendee_email"], status)

    connection = _connect(hallway, pretix, EARLIER)["id"]
    assert _people(hallway) == {}, "connecting alone must not have needed a sync"

    first = _sync(hallway, connection, "full sync of 5 tickets in 3 orders")
    assert _people(hallway) == expected
    counts = first["counts"]
    # The cancelled order's tickets are listed as cancelled: counted as created or as cancelled.
    assert counts["created"] >= 3, counts
    assert counts["created"] + counts["cancelled"] == 5, counts
    assert (counts["updated"], counts["unchanged"]) == (0, 0), counts

    again = _sync(hallway, connection, "repeated full sync, nothing changed")
    assert _people(hallway) == expected
    assert again["counts"]["unchanged"] == 5, again["counts"]
    assert (
        again["counts"]["created"],
        again["counts"]["updated"],
        again["counts"]["cancelled"],
    ) == (0, 0, 0), again["counts"]

    # A change in pretix after the sync, while no webhook is set up: the next sync catches it.
    pretix.rename(EARLIER, pending["positions"][1]["id"], "Dorothy J. Vaughan", "djv@example.org")
    expected[ids(pending)[1]] = ("Dorothy J. Vaughan", "djv@example.org", "registered")
    third = _sync(hallway, connection, "full sync after one rename")
    assert _people(hallway) == expected
    assert (third["counts"]["updated"], third["counts"]["unchanged"]) == (1, 4), third["counts"]


def test_a_wrong_pretix_token_is_logged_with_pretixs_answer_and_never_shown(
    pretix: Pretix, hallway: Hallway
) -> None:
    pretix.seed(EVENT)
    pretix.place_order(EVENT, [("Ada Lovelace", "ada@example.org")])
    body = {
        "platform": "pretix",
        "base_url": pretix.url,
        "organizer": pretix.organizer,
        "event": EVENT,
        "token": "not-the-token-" + "x" * 30,
    }
    with hallway.client() as client:
        created = client.post("connections", json=body)
        assert created.status_code == 201, created.text
        connection = created.json()["id"]
        hallway.connection = connection
        queued = client.post(f"connections/{connection}/sync")
        assert queued.status_code == 202, queued.text
        sync_id = queued.json()["sync_id"]
        deadline = time.monotonic() + DEADLINE
        while True:
            sync = client.get(f"connections/{connection}/syncs/{sync_id}").json()
            if sync["status"] == "failed" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert sync["status"] == "failed", sync
        assert "401" in sync["error"] or "token" in sync["error"].lower(), sync
        shown = [
            client.get(f"connections/{connection}").text,
            client.get(f"connections/{connection}/log").text,
            client.get(f"connections/{connection}/syncs/{sync_id}").text,
        ]
    assert all(body["token"] not in text for text in shown)
    assert _people(hallway) == {}
    assert httpx.get(f"{hallway.base}/healthz", timeout=5).status_code == 200
