"""Schemathesis over the OpenAPI document: no input is a server error, every answer is documented.

Each operation gets a bounded run of generated requests (the schema's examples, its boundary
values and random ones, valid and invalid) against the app in this test's database, which holds
one published conference. Path parameters are mostly pointed at that conference's real attendee,
round, rule, plan, key and page link, so requests get past the lookups into the logic; the rest
keep their generated values (unknown or malformed ids). Requests alternate between an admin key
and a conference key, so scope refusals are exercised too.

Every answer must be no 5xx, a status code the document lists for the operation, with a content
type it lists for that code and a body that matches its schema.
"""

from __future__ import annotations

import json
import os
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from service.app import create_app
from service.db import Base, get_engine
from service.errors import PROBLEM_JSON, problem_response
from service.models import ApiKey
from service.openapi import Problem

SLUG = "fuzz-conf"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
UUID_PARAMETERS = frozenset({"round_id", "rule_id", "plan_id", "key_id"})
# Per operation: bounds the run to about a minute on a 2-core machine, the same requests every
# run. HALLWAY_FUZZ_EXAMPLES=500 makes a longer hunt with new random requests each time.
HUNT = os.environ.get("HALLWAY_FUZZ_EXAMPLES", "")
MAX_EXAMPLES = int(HUNT or 50)
# Stateful: scenarios of up to this many linked calls.
STATEFUL_SCENARIOS = 30
STATEFUL_STEPS = 8
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


@dataclass
class World:
    """The app under test and what the generated requests are pointed at."""

    keys: list[str]
    ids: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def world(admin: TestClient, key_factory: Any, plan_factory: Any) -> World:
    """One conference with attendees, rounds, a rule and a published plan; two keys."""
    created = admin.post("/v1/conferences", json={"slug": SLUG, "name": "Fuzz Conf 2027"})
    assert created.status_code == 201, created.text
    conference = created.json()
    base = f"/v1/conferences/{SLUG}"
    for n in range(1, 5):
        body = {"name": f"Person {n}", "interests": f"topic {n} and graph databases"}
        assert admin.put(f"{base}/attendees/A{n}", json=body).status_code == 201
    rounds = []
    for body in (
        {"name": "Lunch 1", "kind": "lunch", "starts_at": "2027-04-14T12:30:00+02:00"},
        {"name": "Dinner 1", "kind": "dinner", "starts_at": "2027-04-14T19:00:00+02:00"},
    ):
        answer = admin.post(f"{base}/rounds", json={**body, "table_size": 2})
        assert answer.status_code == 201, answer.text
        rounds.append(answer.json()["id"])
    rule = admin.post(f"{base}/rules", json={"kind": "keep_apart", "attendees": ["A1", "A2"]})
    assert rule.status_code == 201, rule.text
    plan_id = plan_factory(
        conference,
        {"Lunch 1": [["A1", "A3"], ["A2", "A4"]], "Dinner 1": [["A1", "A4"], ["A2", "A3"]]},
    )
    organizer = key_factory(conference_id=uuid.UUID(conference["id"]), scopes=["read", "write"])
    new_key = admin.post(f"{base}/keys", json={"name": "spare", "scopes": ["ingest"]})
    assert new_key.status_code == 201, new_key.text
    link = admin.get(f"{base}/attendees/A3").json()["link"]
    admin_key = admin.headers["Authorization"].removeprefix("Bearer ")
    del admin.headers["Authorization"]
    return World(
        keys=[admin_key, organizer],
        ids={
            "conference_id": SLUG,
            "external_id": "A1",
            "round_id": rounds[0],
            "rule_id": rule.json()["id"],
            "plan_id": str(plan_id),
            "key_id": new_key.json()["id"],
            "token": link.rsplit("/", 1)[-1],
        },
    )


# The app reads its settings (so its database) per request: one app serves every test's database.
APP = create_app()
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    APP,
    config=schemathesis.Config.from_dict(
        {
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": not HUNT},
            # Scenarios go deep with valid requests; the stateless run covers invalid ones.
            "phases": {"stateful": {"generation": {"mode": "positive"}}},
        }
    ),
)


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    document = APP.openapi()
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_api_error_is_documented_as_a_problem() -> None:
    for method, path, operation in _operations():
        if not path.startswith("/v1/"):
            continue
        responses = operation["responses"]
        assert {"401", "403", "413", "422", "503"} <= responses.keys(), (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                content = response["content"]
                assert content == {PROBLEM_JSON: {"schema": PROBLEM_REF}}, (method, path, status)


def test_conflicts_and_versions_are_documented_where_they_happen() -> None:
    for method, path, operation in _operations():
        responses = operation["responses"]
        if path.startswith("/v1/") and method in ("post", "put", "patch", "delete"):
            assert "409" in responses, (method, path)
    edits = APP.openapi()["paths"]["/v1/conferences/{conference_id}/plans/{plan_id}/edits"]
    assert {"409", "412", "428"} <= edits["post"]["responses"].keys()


def test_the_problem_schema_describes_what_the_error_handler_sends() -> None:
    document = APP.openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's own 422 body is never sent
    sent = problem_response(
        status=422,
        title="Invalid input",
        detail="1 field(s) failed validation.",
        slug="invalid",
        instance="/v1/conferences",
        errors=[{"pointer": "#/body/slug", "detail": "Field required"}],
        extra={"limit": 10},
    )
    body = json.loads(sent.body)
    assert Problem.model_validate(body).model_dump(exclude_unset=True) == body
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "instance"}
    assert document["components"]["securitySchemes"]["bearerKey"]["scheme"] == "bearer"


def _share(case: schemathesis.Case, salt: str) -> int:
    """A stable number from the request's generated parts: the same case, the same choice."""
    text = repr((salt, case.path_parameters, case.query, case.body, case.headers))
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _point_at_world(case: schemathesis.Case, world: World) -> None:
    """Aim three in four path parameters at real things; keep unknown and malformed ids too."""
    for name, value in (case.path_parameters or {}).items():
        real = world.ids.get(name)
        if real is None or _share(case, name) % 4 == 0:
            continue
        if name in UUID_PARAMETERS and not _is_uuid(value):
            continue  # a malformed id must get its 422
        case.path_parameters[name] = real


@schema.parametrize()
@hypothesis.settings(
    deadline=None,
    # The world is shared by the examples of one operation on purpose: state builds up.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_server_error_and_every_answer_documented(case: schemathesis.Case, world: World) -> None:
    _point_at_world(case, world)
    key = world.keys[_share(case, "key") % len(world.keys)]
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)


def _forget_all_but_admin_keys() -> None:
    """Empty the database but for the admin keys: every scenario starts from the same state."""
    with get_engine().begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == ApiKey.__tablename__:
                connection.execute(table.delete().where(table.c.conference_id.is_not(None)))
            else:
                connection.execute(table.delete())


def test_stateful_scenarios_have_no_server_error(admin_key: str) -> None:
    """Chains of calls, each feeding ids from one answer into the next request.

    Schemathesis infers the links from the document (a conference's ``id`` is the next path's
    ``conference_id``, and so on), so scenarios create conferences, attendees, rounds, rules,
    keys and plans with the admin key and then read, change and delete them. Each scenario
    starts from an empty database, so a scenario replays the same way when Hypothesis shrinks it.
    """
    headers = {"Authorization": f"Bearer {admin_key}"}

    class Scenario(schema.as_state_machine()):
        def setup(self) -> None:
            _forget_all_but_admin_keys()

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, headers=headers)

    Scenario.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=not HUNT,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
