"""The plan worker: claims queued plans from the database and runs them, one at a time.

Run it as ``hallway worker`` (``hallway serve`` starts one next to the web server). Any number
of workers may share a database: a plan is claimed atomically (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, a conditional ``UPDATE`` on SQLite). A running plan sends a heartbeat every few
seconds; when a worker dies, the next worker to look finds the stale heartbeat and queues the
plan again once, or fails it with the reason the second time.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update

from service.connections.worker import ConnectionLoop
from service.db import get_engine, session_scope, utcnow
from service.embedding import Encoder
from service.mail.sender import MailLoop
from service.models import Plan, PlanStatus
from service.plans import runner
from service.webhooks.sender import WebhookLoop

log = logging.getLogger(__name__)

#: Seconds between heartbeats of a running plan.
HEARTBEAT_INTERVAL = 5.0
#: A running plan whose heartbeat is older than this many seconds has lost its worker.
STALE_AFTER = 120.0
#: Runs a plan gets before a lost worker fails it instead of queueing it again.
MAX_ATTEMPTS = 2


def claim_next() -> uuid.UUID | None:
    """Take the oldest queued plan and mark it running; None when there is nothing to do."""
    with session_scope() as session:
        stmt = (
            select(Plan).where(Plan.status == PlanStatus.QUEUED).order_by(Plan.created_at).limit(1)
        )
        if get_engine().dialect.name == "postgresql":
            plan = session.scalar(stmt.with_for_update(skip_locked=True))
            if plan is None:
                return None
        else:
            candidate = session.scalar(stmt)
            if candidate is None:
                return None
            # Whoever flips queued -> running first owns the plan; the other sees rowcount 0.
            claimed = session.execute(
                update(Plan)
                .where(Plan.id == candidate.id, Plan.status == PlanStatus.QUEUED)
                .values(status=PlanStatus.RUNNING)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return None
            session.refresh(candidate)
            plan = candidate
        now = utcnow()
        plan.status = PlanStatus.RUNNING
        plan.params = {**plan.params, "attempts": int(plan.params.get("attempts", 0)) + 1}
        plan.started_at = now
        plan.heartbeat_at = now
        plan.progress = 0.0
        plan.message = "Starting"
        plan.error = None
        return plan.id


def recover_stale(*, stale_after: float = STALE_AFTER) -> list[uuid.UUID]:
    """Queue again (or fail) running plans whose worker stopped sending heartbeats."""
    cutoff = utcnow() - timedelta(seconds=stale_after)
    recovered = []
    with session_scope() as session:
        stmt = select(Plan).where(Plan.status == PlanStatus.RUNNING)
        if get_engine().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        for plan in session.scalars(stmt):
            beat = plan.heartbeat_at or plan.started_at or plan.updated_at
            if beat is not None and beat > cutoff:
                continue
            attempts = int(plan.params.get("attempts", 0))
            if attempts < MAX_ATTEMPTS:
                plan.status = PlanStatus.QUEUED
                plan.progress = 0.0
                plan.message = (
                    f"Queued again after its worker stopped (run {attempts} of {MAX_ATTEMPTS})"
                )
                log.warning("plan %s lost its worker; queued again", plan.id)
            else:
                plan.status = PlanStatus.FAILED
                plan.error = (
                    f"The worker stopped while running this plan {attempts} times (no heartbeat "
                    f"for {stale_after:.0f} s); it was not tried again. Check the worker's log "
                    "(memory or time limits) and start a new plan."
                )
                plan.message = "Failed"
                plan.finished_at = utcnow()
                log.error("plan %s lost its worker %d times; failed", plan.id, attempts)
            recovered.append(plan.id)
    return recovered


def requeue(plan_id: uuid.UUID, reason: str) -> None:
    """Give a plan back to the queue without counting the interrupted run (a clean stop)."""
    with session_scope() as session:
        plan = session.get(Plan, plan_id)
        if plan is None or plan.status != PlanStatus.RUNNING:
            return
        plan.status = PlanStatus.QUEUED
        plan.progress = 0.0
        plan.message = reason
        plan.params = {**plan.params, "attempts": max(0, int(plan.params.get("attempts", 1)) - 1)}


class _Heartbeat:
    """Refreshes a running plan's heartbeat from a thread while the engine works."""

    def __init__(self, plan_id: uuid.UUID, interval: float) -> None:
        self.plan_id = plan_id
        self.interval = interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="plan-heartbeat", daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                with session_scope() as session:
                    session.execute(
                        update(Plan)
                        .where(Plan.id == self.plan_id, Plan.status == PlanStatus.RUNNING)
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # a missed beat is retried; the run itself must go on
                log.warning("heartbeat of plan %s failed", self.plan_id, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=self.interval + 5)


def run_once(
    *, encoder: Encoder | None = None, heartbeat_interval: float = HEARTBEAT_INTERVAL
) -> uuid.UUID | None:
    """Claim one queued plan and run it to ready or failed; return its id (None: queue empty)."""
    plan_id = claim_next()
    if plan_id is None:
        return None
    log.info("running plan %s", plan_id)
    try:
        with _Heartbeat(plan_id, heartbeat_interval):
            runner.run_plan(plan_id, encoder=encoder)
    except (KeyboardInterrupt, SystemExit):
        requeue(plan_id, "Queued again: its worker was stopped")
        raise
    return plan_id


def run_forever(
    *,
    poll_interval: float = 1.0,
    stale_after: float = STALE_AFTER,
    heartbeat_interval: float = HEARTBEAT_INTERVAL,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Recover lost plans, then run queued plans until ``should_stop`` says so.

    The mail queue runs beside it on a thread of its own (`service.mail.sender`), and so do
    the registration connections' deliveries and syncs (`service.connections.worker`).
    """
    with MailLoop(), WebhookLoop(), ConnectionLoop():
        _plan_loop(
            poll_interval=poll_interval,
            stale_after=stale_after,
            heartbeat_interval=heartbeat_interval,
            should_stop=should_stop,
        )


def _plan_loop(
    *,
    poll_interval: float,
    stale_after: float,
    heartbeat_interval: float,
    should_stop: Callable[[], bool],
) -> None:
    last_recovery = 0.0
    while not should_stop():
        if time.monotonic() - last_recovery >= min(stale_after, 60.0):
            recover_stale(stale_after=stale_after)
            last_recovery = time.monotonic()
        try:
            ran = run_once(heartbeat_interval=heartbeat_interval)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:  # the database may be briefly away; keep the worker alive
            log.exception("worker loop error")
            ran = None
        if ran is None:
            time.sleep(poll_interval)


def main(
    *,
    poll_interval: float = 1.0,
    stale_after: float = STALE_AFTER,
    heartbeat_interval: float = HEARTBEAT_INTERVAL,
    once: bool = False,
) -> None:
    """Run as a process (``hallway worker``, or ``python -m service.plans.worker`` from serve).

    The first SIGTERM stops the loop after the plan it is running (that plan is queued again),
    a second one at once.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    stopping: list[bool] = []

    def stop(signum: int, _frame: object) -> None:
        if stopping:
            raise SystemExit(0)
        stopping.append(True)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        if once:
            recover_stale(stale_after=stale_after)
            run_once(heartbeat_interval=heartbeat_interval)
        else:
            run_forever(
                poll_interval=poll_interval,
                stale_after=stale_after,
                heartbeat_interval=heartbeat_interval,
                should_stop=lambda: bool(stopping),
            )
    except KeyboardInterrupt:
        print("worker stopped", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    main()
