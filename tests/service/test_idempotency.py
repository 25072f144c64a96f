"""Idempotency-Key: a POST sent again is answered again, never done again."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from service import idempotency
from service.db import session_scope, utcnow
from service.errors import PROBLEM_BASE, PROBLEM_JSON, PreconditionFailed, Unavailable
from service.models import IdempotencyKey, SeatingRule
from service.rules import service as rule_service
from tests.serving import hallway_serve

KEY = "7f1c2d4e-9a3b-4c5d-8e6f-0a1b2c3d4e5f"
RULE = {"kind": "keep_apart", "attendees": ["A1", "A2"]}
REUSED = PROBLEM_BASE + "idempotency-key-reused"


@pytest.fixture
def base(admin: TestClient, conference: dict[str, Any]) -> str:
    """The conference's API path, with four attendees."""
    path = f"/v1/conferences/{conference['id']}"
    for n in range(1, 5):
        body = {"name": f"Person {n}", "interests": f"topic {n}"}
        assert admin.put(f"{path}/attendees/A{n}", json=body).status_code == 201
    return path


def keyed(key: str = KEY) -> dict[str, str]:
    return {"Idempotency-Key": key}


def rule_count() -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(SeatingRule)) or 0)


def kept_rows() -> list[IdempotencyKey]:
    with session_scope() as session:
        return list(session.scalars(select(IdempotencyKey)))


def test_a_repeat_gets_the_first_answer_again_and_is_not_done_again(
    admin: TestClient, base: str
) -> None:
    first = admin.post(f"{base}/rules", json=RULE, headers=keyed())
    assert first.status_code == 201, first.text
    assert idempotency.REPLAYED_HEADER not in first.headers
    again = admin.post(f"{base}/rules", json=RULE, headers=keyed())
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert rule_count() == 1
    # Without a key, the same body is a new request.
    assert admin.post(f"{base}/rules", json=RULE).status_code == 201
    assert rule_count() == 2


def test_a_replayed_202_keeps_its_location_and_etag(admin: TestClient, base: str) -> None:
    lunch = {"name": "Lunch", "kind": "lunch", "table_size": 2}
    assert admin.post(f"{base}/rounds", json=lunch).status_code == 201
    first = admin.post(f"{base}/plans", json={"seed": 1}, headers=keyed())
    assert first.status_code == 202, first.text
    again = admin.post(f"{base}/plans", json={"seed": 1}, headers=keyed())
    assert again.status_code == 202
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.json() == first.json()
    assert len(admin.get(f"{base}/plans").json()) == 1


def test_the_same_key_with_another_body_is_refused_with_422(admin: TestClient, base: str) -> None:
    assert admin.post(f"{base}/rules", json=RULE, headers=keyed()).status_code == 201
    other = {"kind": "keep_apart", "attendees": ["A3", "A4"]}
    refused = admin.post(f"{base}/rules", json=other, headers=keyed())
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM_JSON
    problem = refused.json()
    assert problem["type"] == REUSED
    assert "another body" in problem["detail"]
    assert problem["errors"][0]["pointer"] == "#/header/Idempotency-Key"
    assert rule_count() == 1


def test_the_same_key_on_another_path_is_refused_with_422(admin: TestClient, base: str) -> None:
    assert admin.post(f"{base}/rules", json=RULE, headers=keyed()).status_code == 201
    lunch = {"name": "Lunch", "kind": "lunch", "table_size": 2}
    refused = admin.post(f"{base}/rounds", json=lunch, headers=keyed())
    assert refused.status_code == 422
    assert refused.json()["type"] == REUSED
    assert "another path" in refused.json()["detail"]
    assert admin.get(f"{base}/rounds").json() == []


def test_callers_never_share_keys(
    admin: TestClient, base: str, conference: dict[str, Any], key_factory: Any
) -> None:
    organizer = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write"])
    first = admin.post(f"{base}/rules", json=RULE, headers=keyed())
    theirs = admin.post(
        f"{base}/rules",
        json=RULE,
        headers={**keyed(), "Authorization": f"Bearer {organizer}"},
    )
    assert first.status_code == theirs.status_code == 201
    assert idempotency.REPLAYED_HEADER not in theirs.headers
    assert theirs.json()["id"] != first.json()["id"]
    # Each caller's repeat gets their own answer back.
    mine_again = admin.post(f"{base}/rules", json=RULE, headers=keyed())
    assert mine_again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert mine_again.json()["id"] == first.json()["id"]
    assert rule_count() == 2


def test_a_key_expires_after_24_hours_and_expired_answers_are_swept(
    admin: TestClient, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "_next_sweep", float("inf"))  # no sweep until asked
    assert admin.post(f"{base}/rules", json=RULE, headers=keyed()).status_code == 201
    assert admin.post(f"{base}/rules", json=RULE, headers=keyed("other")).status_code == 201
    rows = kept_rows()
    assert len(rows) == 2
    for row in rows:
        kept_for = row.expires_at - row.created_at
        assert timedelta(hours=23, minutes=59) < kept_for <= timedelta(hours=24)
    with session_scope() as session:
        session.execute(update(IdempotencyKey).values(expires_at=utcnow() - timedelta(seconds=1)))
    # Expired: the key is free again, even for another body.
    other = {"kind": "keep_apart", "attendees": ["A3", "A4"]}
    fresh = admin.post(f"{base}/rules", json=other, headers=keyed())
    assert fresh.status_code == 201, fresh.text
    assert idempotency.REPLAYED_HEADER not in fresh.headers
    assert rule_count() == 3
    # The other expired answer is swept away by the next POST, with a key or without.
    assert len(kept_rows()) == 2
    monkeypatch.setattr(idempotency, "_next_sweep", 0.0)
    assert admin.post(f"{base}/rules", json=RULE).status_code == 201
    [row] = kept_rows()
    assert row.expires_at > utcnow()


def test_a_repeated_upload_of_several_megabytes_is_replayed(
    admin: TestClient, base: str, conference: dict[str, Any]
) -> None:
    lines = ["external_id,name,email,interests"]
    lines += [
        f"P{i},Person {i},p{i}@example.org,{'graph databases and typography ' * 20}{i}"
        for i in range(5000)
    ]
    data = "\n".join(lines).encode()
    assert len(data) > 3_000_000

    def upload(content: bytes) -> Any:  # the test client's response
        # Every call makes a new multipart boundary, as a client retrying would.
        return admin.post(
            f"{base}/attendees/import",
            files={"file": ("people.csv", content, "text/csv")},
            headers=keyed(),
        )

    first = upload(data)
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 5000
    again = upload(data)
    assert again.status_code == 200
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert again.content == first.content  # "created", not "unchanged": it was not run again
    changed = upload(data.replace(b"Person 7,", b"Persona 7,"))
    assert changed.status_code == 422
    assert changed.json()["type"] == REUSED


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (b"", "is empty"),
        (b'""', "is empty"),
        (b"k" * 256, "256 characters"),
        (b"key\x01", "not printable"),
        ("schl\u00fcssel".encode(), "not printable"),
    ],
)
def test_a_malformed_key_is_refused_naming_the_header(
    admin: TestClient, base: str, value: bytes, problem: str
) -> None:
    refused = admin.post(f"{base}/rules", json=RULE, headers=[(b"Idempotency-Key", value)])
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM_JSON
    body = refused.json()
    assert "Idempotency-Key" in body["detail"] and problem in body["detail"]
    assert body["errors"] == [
        {"pointer": "#/header/Idempotency-Key", "detail": body["errors"][0]["detail"]}
    ]
    assert rule_count() == 0


def test_the_longest_key_and_its_quoted_form_are_one_key(admin: TestClient, base: str) -> None:
    longest = "k" * idempotency.MAX_KEY_CHARS
    assert admin.post(f"{base}/rules", json=RULE, headers=keyed(longest)).status_code == 201
    again = admin.post(f"{base}/rules", json=RULE, headers=keyed(f'"{longest}"'))
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert rule_count() == 1


def test_server_errors_and_refusals_are_not_kept_so_a_retry_is_done(
    settings_env: str,
    admin: TestClient,
    base: str,
    conference: dict[str, Any],
    key_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.app import create_app

    real = rule_service.create_rule
    failures: list[BaseException] = [
        RuntimeError("boom"),
        Unavailable("busy"),
        PreconditionFailed("stale version"),
    ]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop(0)
        return real(*args, **kwargs)

    monkeypatch.setattr(rule_service, "create_rule", flaky)
    client = TestClient(create_app(), raise_server_exceptions=False)
    client.headers["Authorization"] = admin.headers["Authorization"]
    assert client.post(f"{base}/rules", json=RULE, headers=keyed()).status_code == 500
    assert client.post(f"{base}/rules", json=RULE, headers=keyed()).status_code == 503
    assert client.post(f"{base}/rules", json=RULE, headers=keyed()).status_code == 412
    done = client.post(f"{base}/rules", json=RULE, headers=keyed())
    assert done.status_code == 201
    assert idempotency.REPLAYED_HEADER not in done.headers
    assert rule_count() == 1
    # A key without the scope is refused; with the scope, the same key is done, not replayed.
    reader = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read"])
    assert (
        client.post(
            f"{base}/rules", json=RULE, headers={**keyed("r"), "Authorization": f"Bearer {reader}"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{base}/rules", json=RULE, headers={**keyed("r"), "Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    assert len(kept_rows()) == 1


def test_a_repeat_with_a_revoked_key_is_refused(
    admin: TestClient, base: str, conference: dict[str, Any], key_factory: Any
) -> None:
    organizer = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write"])
    auth = {"Authorization": f"Bearer {organizer}"}
    assert admin.post(f"{base}/rules", json=RULE, headers={**keyed(), **auth}).status_code == 201
    replayed = admin.post(f"{base}/rules", json=RULE, headers={**keyed(), **auth})
    assert replayed.headers[idempotency.REPLAYED_HEADER] == "true"
    [key] = [
        k for k in admin.get(f"{base}/keys").json() if organizer.startswith(f"hw_{k['prefix']}")
    ]
    assert admin.delete(f"{base}/keys/{key['id']}").status_code == 200
    again = admin.post(f"{base}/rules", json=RULE, headers={**keyed(), **auth})
    assert again.status_code == 401
    assert idempotency.REPLAYED_HEADER not in again.headers


def test_a_new_api_key_in_a_kept_answer_is_unreadable_at_rest(admin: TestClient, base: str) -> None:
    first = admin.post(f"{base}/keys", json={"name": "sync", "scopes": ["ingest"]}, headers=keyed())
    assert first.status_code == 201, first.text
    secret = first.json()["key"]
    again = admin.post(f"{base}/keys", json={"name": "sync", "scopes": ["ingest"]}, headers=keyed())
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert again.json()["key"] == secret
    [row] = kept_rows()
    stored = " ".join(str(value) for value in row.__dict__.values())
    assert row.response is not None and secret.encode() not in row.response
    assert secret not in stored and KEY not in stored


def test_erasing_an_attendee_drops_the_conferences_kept_answers(
    admin: TestClient, base: str
) -> None:
    rule = {"kind": "keep_together", "attendees": ["A1", "A3"]}
    first = admin.post(f"{base}/rules", json=rule, headers=keyed())
    assert first.status_code == 201
    assert "A3" in first.text
    # Kept answers outside this conference stay.
    other = admin.post(
        "/v1/conferences", json={"slug": "other", "name": "Other"}, headers=keyed("c")
    )
    assert other.status_code == 201
    assert admin.delete(f"{base}/attendees/A3").status_code == 204
    assert [row.conference_id for row in kept_rows()] == [None]
    again = admin.post(f"{base}/rules", json=rule, headers=keyed())
    # Done again: the erased person is no longer there to keep together.
    assert idempotency.REPLAYED_HEADER not in again.headers
    assert again.status_code == 422


def test_a_repeat_while_the_first_runs_gets_409_and_a_dead_request_is_taken_over(
    admin: TestClient, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = admin.headers["Authorization"].removeprefix("Bearer ")
    scope = {
        "type": "http",
        "method": "POST",
        "path": f"{base}/rules",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
    }
    body = json.dumps(RULE).encode()
    request = idempotency._Request.make(scope, secret=secret, key=KEY, body=body)
    assert isinstance(idempotency._claim(request), idempotency._Reserved)
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.2)
    busy = admin.post(
        f"{base}/rules", content=body, headers={**keyed(), "Content-Type": "application/json"}
    )
    assert busy.status_code == 409
    assert busy.json()["type"] == PROBLEM_BASE + "idempotency-key-in-use"
    assert busy.headers["retry-after"] == "1"
    assert rule_count() == 0
    # The first request's process died: after a while its key is free again.
    with session_scope() as session:
        session.execute(update(IdempotencyKey).values(updated_at=utcnow() - timedelta(hours=1)))
    done = admin.post(
        f"{base}/rules", content=body, headers={**keyed(), "Content-Type": "application/json"}
    )
    assert done.status_code == 201
    assert rule_count() == 1


def test_inbound_webhooks_and_other_methods_do_not_take_the_header(admin: TestClient) -> None:
    document = admin.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
            wanted = method == "post" and path.startswith("/v1/") and "/v1/hooks/" not in path
            assert ("Idempotency-Key" in names) == wanted, (method, path)
            if wanted:
                assert "Retry-After" in operation["responses"]["409"]["headers"]
                assert "Idempotency-Key" in operation["responses"]["422"]["description"]
    assert not idempotency.applies_to("POST", "/v1/hooks/pretix/abc")
    assert not idempotency.applies_to("POST", "/me/token")
    assert not idempotency.applies_to("PUT", "/v1/conferences/x/attendees/A1")


def test_concurrent_requests_with_one_key_have_one_effect_on_a_running_server(
    admin: TestClient, base: str, settings_env: str, tmp_path: Path
) -> None:
    auth = admin.headers["Authorization"]

    async def race(url: str) -> list[httpx.Response]:
        headers = {"Authorization": auth, **keyed()}
        limits = httpx.Limits(max_connections=20, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=30, headers=headers, limits=limits) as client:
            return list(await asyncio.gather(*(client.post(url, json=RULE) for _ in range(12))))

    with hallway_serve(settings_env, tmp_path, processes=2) as (url, _proc, _log):
        answers = asyncio.run(race(f"{url}{base}/rules"))
    assert [a.status_code for a in answers] == [201] * 12, [a.text for a in answers]
    assert len({a.content for a in answers}) == 1
    assert sum(idempotency.REPLAYED_HEADER not in a.headers for a in answers) == 1
    assert rule_count() == 1


def test_an_oversized_body_is_refused_before_its_key_is_kept(
    admin: TestClient, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.config import get_settings

    monkeypatch.setenv("HALLWAY_MAX_JSON_BYTES", "2048")
    get_settings.cache_clear()
    big = {**RULE, "note": "x" * 4000}

    def chunks() -> Any:  # sent without Content-Length
        data = json.dumps(big).encode()
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    for content in (json.dumps(big).encode(), chunks()):
        refused = admin.post(
            f"{base}/rules",
            content=content,
            headers={**keyed(), "Content-Type": "application/json"},
        )
        assert refused.status_code == 413
    assert kept_rows() == []
    small = admin.post(f"{base}/rules", json=RULE, headers=keyed())
    assert small.status_code == 201 and idempotency.REPLAYED_HEADER not in small.headers
    again = admin.post(f"{base}/rules", json=RULE, headers=keyed())
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
