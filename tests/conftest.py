"""Fixtures shared by every test: a real, migrated database per test and an HTTP client.

By default each test gets its own SQLite file, copied from one migrated at session start.
With ``HALLWAY_TEST_DATABASE_URL`` pointing at PostgreSQL, the schema is migrated once and
every table is emptied before each test; ``pytest -m database`` selects the tests worth running
there again (the service and browser tests, and any other test that uses the database).

The whole session runs with a private home: ``HOME``, the XDG folders, ``HALLWAY_CACHE_DIR`` and
Hypothesis's storage point into one temporary folder (subprocesses inherit it), so model exports,
embedding stores and font caches never land in the user's ``~/.cache``.
``tests/test_no_home_writes.py`` runs last and fails if anything under the real cache folder
changed during the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service import migrations
from service.config import get_settings
from service.db import Base, get_engine, session_scope
from service.keys import service as key_service
from tests import private_home as private_home_guard
from tests.private_home import PrivateHome

os.environ.setdefault("HF_HUB_OFFLINE", "1")
TEST_DATABASE_URL = os.environ.get("HALLWAY_TEST_DATABASE_URL", "")
# Tests under these folders run again on PostgreSQL, whatever fixtures they use.
DATABASE_FOLDERS = ("tests/service/", "tests/browser/")
LAST_MODULE = "tests/test_no_home_writes.py"


# --- a private home for the session ---------------------------------------------------------

_HOMES: list[PrivateHome] = []


def pytest_configure(config: pytest.Config) -> None:
    # Before collection, so nothing imported or started by the suite sees the user's home.
    _HOMES.append(private_home_guard.enter())


def pytest_unconfigure(config: pytest.Config) -> None:
    while _HOMES:
        private_home_guard.leave(_HOMES.pop())


@pytest.fixture(scope="session", autouse=True)
def private_home() -> PrivateHome:
    """The session's temporary home; fails at once if something undid the redirection."""
    home = _HOMES[-1]
    assert Path(os.environ["HOME"]) == home.path, "HOME no longer points at the private home"
    assert Path(os.environ["HALLWAY_CACHE_DIR"]).is_relative_to(home.path)
    return home


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.path).replace(os.sep, "/")
        fixtures = getattr(item, "fixturenames", ())
        if "database_url" in fixtures or any(folder in path for folder in DATABASE_FOLDERS):
            item.add_marker(pytest.mark.database)
    # The check of the real cache folder sees the whole run only if it comes last.
    items.sort(key=lambda item: str(item.path).replace(os.sep, "/").endswith(LAST_MODULE))


def _reset_caches() -> None:
    get_settings.cache_clear()
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    migrations.upgrade(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if TEST_DATABASE_URL:
        url: str = request.getfixturevalue("postgres_migrated")
        engine = create_engine(url)
        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        engine.dispose()
        return url
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "hallway.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings_env(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """Point the service's settings at this test's database."""
    monkeypatch.setenv("HALLWAY_DATABASE_URL", database_url)
    monkeypatch.setenv("HALLWAY_BASE_URL", "http://hallway.test")
    monkeypatch.setenv("HALLWAY_CACHE_DIR", str(tmp_path / "cache"))
    _reset_caches()
    yield database_url
    _reset_caches()


@pytest.fixture
def client(settings_env: str) -> Iterator[TestClient]:
    from service.app import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


def make_key(**kwargs: Any) -> str:
    with session_scope() as session:
        return key_service.create_key(session, **kwargs).secret


@pytest.fixture
def key_factory(settings_env: str) -> Any:
    """Make an API key in the database: ``key_factory(conference_id=..., scopes=[...])``."""
    return make_key


@pytest.fixture
def admin_key(settings_env: str) -> str:
    return make_key(conference_id=None, is_admin=True, name="test admin")


@pytest.fixture
def admin(client: TestClient, admin_key: str) -> TestClient:
    """The client, authenticated with an admin key."""
    client.headers["Authorization"] = f"Bearer {admin_key}"
    return client


@pytest.fixture
def conference(admin: TestClient) -> dict[str, Any]:
    response = admin.post(
        "/v1/conferences",
        json={"slug": "pyconf-2027", "name": "PyConf 2027", "timezone": "Europe/Berlin"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _store_plan(
    conference: Mapping[str, Any],
    seating: Mapping[str, Sequence[Sequence[str]]],
    *,
    why: Mapping[tuple[str, str], str] | None = None,
    topics: Mapping[str, Sequence[Sequence[str]]] | None = None,
    capacities: Mapping[str, Sequence[int]] | None = None,
    publish: bool = True,
) -> uuid.UUID:
    """Store a plan seated by hand: round name -> tables -> external ids; publish it unless told.

    For tests of what is shown or exported from a plan, where running the matcher would only
    make the expected tables harder to write down. Table capacities default to the table's
    size (at least 2); ``why`` maps (round name, external id) to the line shown.
    """
    from sqlalchemy import select

    from service.models import Attendee, Conference, Plan, Round
    from service.plans import service as plan_service

    with session_scope() as session:
        conf = session.get_one(Conference, uuid.UUID(conference["id"]))
        ids = {
            a.external_id: a.id
            for a in session.scalars(select(Attendee).where(Attendee.conference_id == conf.id))
        }
        rounds = {
            r.name: r for r in session.scalars(select(Round).where(Round.conference_id == conf.id))
        }
        given = capacities or {}
        plan = Plan(conference_id=conf.id, status="ready")
        session.add(plan)
        session.flush()
        plan_service.store_seating(
            session,
            plan=plan,
            seating={
                rounds[name].id: [[ids[e] for e in table] for table in tables]
                for name, tables in seating.items()
            },
            capacities={
                rounds[name].id: list(given.get(name, [max(len(t), 2) for t in tables]))
                for name, tables in seating.items()
            },
            topics={rounds[name].id: value for name, value in (topics or {}).items()},
            why={(rounds[r].id, ids[e]): line for (r, e), line in (why or {}).items()},
        )
        if publish:
            plan_service.publish(session, conference=conf, plan=plan, actor="test")
        return plan.id


@pytest.fixture
def plan_factory(settings_env: str) -> Any:
    """Store a ready (or published) plan seated by hand; see `_store_plan`."""
    return _store_plan
