"""Engine, sessions and the declarative base shared by every model."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, ClassVar

from fastapi import Depends
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from service.config import get_settings
from service.overload import LANES

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every database (SQLite keeps no zone, so we add UTC back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def one_of(column: str, values: type[StrEnum]) -> str:
    """A CHECK condition holding ``column`` to the values of an enum."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class TimestampedMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


#: Connections beyond the request slots: the CLI, start-up work, a plan worker's heartbeat.
POOL_OVERFLOW = 4
#: Seconds a request waits for a database connection before it is answered 503.
POOL_TIMEOUT_SECONDS = 5.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the worker write a plan while pages are being read.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine with the settings every database here needs.

    The pool holds a connection for every request the process works on at once (the limit of
    every admission lane in ``service.overload``) and a few for work outside requests, so a
    request never waits for a connection another request holds while that one waits for
    something else; a wait that still happens ends after a few seconds with a 503, never a hang.
    """
    pool = {
        "pool_size": get_settings().max_concurrent_requests * (len(LANES) + 1),
        "max_overflow": POOL_OVERFLOW,
        "pool_timeout": POOL_TIMEOUT_SECONDS,
    }
    if url.startswith("sqlite"):
        if ":memory:" in url or url.rstrip("/") in ("sqlite:", "sqlite:/"):
            pool = {}
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **pool
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine(get_settings().database_url)


@lru_cache
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = _session_factory(get_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request, committed on success."""
    with session_scope() as session:
        yield session


def get_read_session() -> Iterator[Session]:
    """FastAPI dependency for a request that only reads: its queries run without a transaction.

    No BEGIN and no COMMIT: two fewer round trips to a database server on every attendee page,
    the busiest read on publish day; the connection goes back to the pool at its usual level.
    SQLite has no round trips, and one read transaction costs less there than one a statement.
    """
    engine = get_engine()
    session = _session_factory(engine)()
    try:
        if engine.dialect.name != "sqlite":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
    finally:
        session.close()


#: The request's session (committed on success, rolled back on error), for route signatures.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
