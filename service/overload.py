"""Admission control: overload slows the service down or turns requests away, never wedges it.

A web process works on at most ``max_concurrent_requests`` requests at once in each lane (the
database pool has a connection for each, so no admitted request ever waits on another for a
connection). The next ``max_waiting_requests`` of a lane wait up to ``max_wait_seconds`` for a
slot; everyone beyond gets an immediate ``503`` problem with ``Retry-After``. Attendee pages
have a lane of their own, so a burst of API calls never turns attendees away (nor the other way
round). Liveness checks skip the line, so a burst never makes a healthy process look dead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import PROBLEM_BASE, PROBLEM_JSON

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 1
#: Paths that are always answered at once.
EXEMPT_PATHS = frozenset({"/healthz"})
#: Path prefixes with a lane of their own; everything else shares the default lane.
LANES = ("/me/",)


class _Lane:
    """The slots and the line of one kind of request."""

    def __init__(self, limit: int) -> None:
        self.slots = asyncio.Semaphore(limit)
        self.in_flight = 0
        self.waiting = 0


class AdmissionControl:
    """ASGI middleware bounding the requests in flight and waiting, per lane.

    Example:
        >>> from starlette.applications import Starlette
        >>> app = AdmissionControl(Starlette(), limit=8, queue=32, wait=2.0)
        >>> app.in_flight, app.waiting
        (0, 0)
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        queue: int,
        wait: float,
        exempt: Collection[str] = EXEMPT_PATHS,
        lanes: Sequence[str] = LANES,
    ) -> None:
        self.app = app
        self.limit = limit
        self.queue = queue
        self.wait = wait
        self.exempt = frozenset(exempt)
        self.prefixes = tuple(lanes)
        # Made on first use, inside the server's event loop.
        self._lanes: dict[str, _Lane] = {}

    @property
    def in_flight(self) -> int:
        return sum(lane.in_flight for lane in self._lanes.values())

    @property
    def waiting(self) -> int:
        return sum(lane.waiting for lane in self._lanes.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        key = next((prefix for prefix in self.prefixes if path.startswith(prefix)), "")
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(self.limit)
        if not await self._admit(lane):
            await _turn_away(scope, send)
            return
        lane.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            lane.in_flight -= 1
            lane.slots.release()

    async def _admit(self, lane: _Lane) -> bool:
        if not lane.slots.locked():
            await lane.slots.acquire()
            return True
        if lane.waiting >= self.queue:
            return False
        lane.waiting += 1
        try:
            async with asyncio.timeout(self.wait):
                await lane.slots.acquire()
            return True
        except TimeoutError:
            return False
        finally:
            lane.waiting -= 1


async def _turn_away(scope: Scope, send: Send) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_BASE + "overloaded",
            "title": "Too busy",
            "status": 503,
            "detail": f"The service is busy right now; try again in {RETRY_AFTER_SECONDS} s.",
            "instance": scope["path"],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
