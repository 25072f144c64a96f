"""Queues kept as database rows, and the threads of the plan worker that drain them.

The mail queue, the webhook sender and the registration connections each keep their work as
rows that any number of workers share. They share these pieces:

- `claim_due` takes one due row so that exactly one worker gets it: ``FOR UPDATE SKIP LOCKED``
  on PostgreSQL (workers pass over each other's rows instead of waiting for them), and on
  SQLite a conditional ``UPDATE … WHERE status = <waiting>`` that only one writer wins;
  `oldest_due` says which rows are due in a plain queue.
- `drain` claims and handles rows until none is due or the worker stops.
- `doubling` is the wait before the next try of something that failed for a while.
- `Loop` runs steps on threads of their own beside the plan worker's loop; `Every` runs
  housekeeping now and then inside a step.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final, Self, TypeVar

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

__all__ = ["Every", "Loop", "claim_due", "doubling", "drain", "oldest_due"]

log = logging.getLogger(__name__)

#: Due rows a SQLite worker tries in turn when another worker wins the first.
SQLITE_CANDIDATES: Final = 5

Item = TypeVar("Item")


def oldest_due(model: type[Any], *, waiting: str, now: datetime) -> Select[uuid.UUID]:
    """Ids of ``model``'s rows in ``waiting`` whose retry time (if any) came, oldest first."""
    return (
        select(model.id)
        .where(
            model.status == waiting,
            or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now),
        )
        .order_by(model.created_at, model.id)
    )


def claim_due(
    session: Session,
    due: Select[uuid.UUID],
    *,
    model: type[Any],
    waiting: str,
    values: Mapping[str, Any],
) -> uuid.UUID | None:
    """Move the first row ``due`` selects from status ``waiting`` to ``values``, atomically.

    Args:
        due: The ids of the due rows of ``model``, first to take first.
        model: A mapped class with ``id`` and ``status`` columns.
        values: What claiming sets (the new status, ``claimed_at``, …).

    Returns:
        The id of the row claimed; None when nothing is due or other workers took it.
    """
    if session.get_bind().dialect.name == "postgresql":
        found = session.scalar(due.limit(1).with_for_update(skip_locked=True, of=model))
        candidates = [] if found is None else [found]
    else:
        candidates = list(session.scalars(due.limit(SQLITE_CANDIDATES)))
    for row_id in candidates:
        # Whoever moves the row out of ``waiting`` first owns it; the others see rowcount 0.
        claimed = session.execute(
            update(model)
            .where(model.id == row_id, model.status == waiting)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) == 1:
            return row_id
    return None


def drain(
    claim: Callable[[], Item | None],
    handle: Callable[[Item], object],
    *,
    max_items: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Claim and handle items until none is due, ``max_items`` are done or told to stop.

    Returns how many were handled.
    """
    handled = 0
    while not should_stop() and (max_items is None or handled < max_items):
        item = claim()
        if item is None:
            break
        handle(item)
        handled += 1
    return handled


def doubling(first: timedelta, tries: int, *, most: timedelta | None = None) -> timedelta:
    """The wait after the ``tries``-th failed try: ``first``, twice that, four times …

    >>> doubling(timedelta(seconds=30), 3)
    datetime.timedelta(seconds=120)
    """
    wait = first * 2 ** max(0, tries - 1)
    return wait if most is None else min(wait, most)


class Every:
    """Calls ``action`` when it is called, at most once per ``seconds`` (the first call runs it)."""

    def __init__(self, seconds: float, action: Callable[[], object]) -> None:
        self.seconds = seconds
        self.action = action
        self._last: float | None = None

    def __call__(self) -> None:
        now = time.monotonic()
        if self._last is None or now - self._last >= self.seconds:
            self._last = now
            self.action()


class Loop:
    """Threads that each repeat a step until the ``with`` block ends.

    A step returns how many items it handled. One that handled none, or failed (the database
    or a remote server may be briefly away), waits ``poll_interval`` before it runs again; a
    busy queue is drained without waiting. On leaving, the threads are told to stop and given
    ``join_timeout`` seconds to finish the item in hand.
    """

    def __init__(
        self,
        steps: Mapping[str, Callable[[], int]],
        *,
        poll_interval: float,
        join_timeout: float,
    ) -> None:
        self.poll_interval = poll_interval
        self.join_timeout = join_timeout
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._repeat, args=(name, step), name=name, daemon=True)
            for name, step in steps.items()
        ]

    def _repeat(self, name: str, step: Callable[[], int]) -> None:
        while not self.stop.is_set():
            try:
                handled = step()
            except Exception:  # keep going: the next poll may find the database back
                log.exception("%s error", name)
                handled = 0
            if not handled:
                self.stop.wait(self.poll_interval)

    def __enter__(self) -> Self:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=self.join_timeout)
