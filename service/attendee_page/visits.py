"""First visits of attendee pages, written a batch at a time.

On publish day nearly every page view is somebody's first: writing each one as it happens would
make every view a write, and SQLite takes one writer at a time, so the views would queue behind
each other (p95 of 0.6 s at 250 views/s, measured with ``benchmarks.load``). Instead each web
process notes first visits in memory and writes them every `FLUSH_SECONDS` in one conditional
UPDATE, and once more when it shuts down. Only a time is kept, nothing about the visitor.
"""

from __future__ import annotations

import logging
import threading
import uuid

from sqlalchemy import update

from service.db import session_scope, utcnow
from service.models import Attendee

log = logging.getLogger(__name__)

#: Seconds between two writes of the first visits noted meanwhile.
FLUSH_SECONDS = 1.0


class FirstVisits:
    """First visits noted in memory, flushed by a background thread.

    Example:
        >>> visits = FirstVisits(interval=60)
        >>> visits.note(uuid.uuid4()); visits.pending_count()
        1
    """

    def __init__(self, *, interval: float = FLUSH_SECONDS) -> None:
        self.interval = interval
        self._pending: set[uuid.UUID] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def note(self, attendee_id: uuid.UUID) -> None:
        """Remember that ``attendee_id`` opened their page; written within `interval`."""
        with self._lock:
            self._pending.add(attendee_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="first-visits", daemon=True)
                self._thread.start()

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Write the noted first visits now; return how many were noted."""
        with self._lock:
            ids, self._pending = self._pending, set()
        if not ids:
            return 0
        try:
            with session_scope() as session:
                session.execute(
                    update(Attendee)
                    .where(Attendee.id.in_(ids), Attendee.link_opened_at.is_(None))
                    # Opening the page changes nothing the attendee or organizer wrote.
                    .values(link_opened_at=utcnow(), updated_at=Attendee.updated_at)
                    .execution_options(synchronize_session=False)
                )
        except Exception:
            # Kept for the next flush: a busy database must not lose the visits.
            with self._lock:
                self._pending |= ids
            raise
        return len(ids)

    def _run(self) -> None:
        stop = threading.Event()
        while not stop.wait(self.interval):
            try:
                self.flush()
            except Exception:
                log.warning("first visits not written yet; trying again", exc_info=True)


#: The web process's first visits.
first_visits = FirstVisits()
