"""Admission control: overload slows the service down or turns requests away, never wedges it.

A web process works on at most ``max_concurrent_requests`` requests at once (the database pool
has a connection for each, so no admitted request ever waits on another for a connection). The
next ``max_waiting_requests`` wait up to ``max_wait_seconds`` for a slot; everyone beyond gets
an immediate ``503`` problem with ``Retry-After``. Liveness checks skip the line, so a burst
never makes a healthy process look dead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import PROBLEM_BASE, PROBLEM_JSON

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 1
#: Paths that are always answered at once.
EXEMPT_PATHS = frozenset({"/healthz"})


class AdmissionControl:
    """ASGI middleware bounding the requests in flight and the requests waiting for a slot.

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
    ) -> None:
        self.app = app
        self.limit = limit
        self.queue = queue
        self.wait = wait
        self.exempt = frozenset(exempt)
        self.in_flight = 0
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        if not await self._admit(self._slots):
            await _turn_away(scope, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self._slots.release()

    async def _admit(self, slots: asyncio.Semaphore) -> bool:
        if not slots.locked():
            await slots.acquire()
            return True
        if self.waiting >= self.queue:
            return False
        self.waiting += 1
        try:
            async with asyncio.timeout(self.wait):
                await slots.acquire()
            return True
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1


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
