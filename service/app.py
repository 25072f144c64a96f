"""The FastAPI application."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from service.attendee_page.router import PrivatePages
from service.attendee_page.router import router as attendee_page_router
from service.attendee_page.visits import first_visits
from service.attendees.router import router as attendees_router
from service.conferences.router import router as conferences_router
from service.config import get_settings
from service.connections.router import hooks_router as connection_hooks_router
from service.connections.router import router as connections_router
from service.dashboard.cards import router as cards_router
from service.dashboard.router import router as dashboard_router
from service.errors import install_error_handlers
from service.exports.router import router as exports_router
from service.idempotency import IdempotencyKeys
from service.keys.router import router as keys_router
from service.limits import install_limits
from service.mail.router import router as mail_router
from service.openapi import HallwayAPI
from service.overload import AdmissionControl
from service.plans.router import router as plans_router
from service.review.router import router as review_router
from service.rounds.router import router as rounds_router
from service.rules.router import router as rules_router
from service.webhooks.router import router as webhooks_router

DESCRIPTION = """
Hallway seats conference attendees at lunch tables and dinner groups that mix strangers.

Every `/v1` route needs `Authorization: Bearer <key>`. Make the first admin key with
`hallway keys create --admin`; an admin key can create conferences and conference keys with the
scopes `read`, `write` (organizers) and `ingest` (registration systems).
Errors are RFC 9457 `application/problem+json`.
"""


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """The web process's life: on a graceful shutdown, write what is still only in memory."""
    # Everything loaded at start-up lives as long as the process: keep it out of the garbage
    # collector's full passes, which otherwise stall requests for milliseconds at a time.
    gc.collect()
    gc.freeze()
    yield
    await run_in_threadpool(first_visits.flush)


def create_app() -> FastAPI:
    """Build the application (the database is configured by the settings)."""
    app = HallwayAPI(
        title="Hallway",
        lifespan=lifespan,
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "conferences", "description": "Events and their settings."},
            {
                "name": "attendees",
                "description": "People, pushed by registration systems or imported.",
            },
            {"name": "rounds", "description": "Meals: lunches and dinners with their table plans."},
            {"name": "plans", "description": "Matching runs: review, edit, publish, re-plan."},
            {"name": "exports", "description": "The published plan as CSV, JSON or XLSX."},
            {"name": "keys", "description": "Conference-scoped API keys (admin only)."},
            {
                "name": "webhooks",
                "description": "Signed outbound webhooks: plans published, attendee changes.",
            },
            {
                "name": "connections",
                "description": "Registration platforms (pretix, Tito, Eventbrite): webhooks "
                "in, full syncs, and their log.",
            },
        ],
    )
    install_error_handlers(app)
    # Before the limits, so it sits inside them: a body is refused for its size before it is
    # read and hashed here.
    app.add_middleware(IdempotencyKeys)
    install_limits(app)
    for router in (
        conferences_router,
        attendees_router,
        rounds_router,
        rules_router,
        connections_router,
        connection_hooks_router,
        exports_router,
        keys_router,
        plans_router,
        review_router,
        mail_router,
        webhooks_router,
        cards_router,
        dashboard_router,
        attendee_page_router,
    ):
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/docs")

    # async: answered on the event loop, so a burst that fills every worker thread cannot
    # make a live process look dead.
    @app.get("/healthz", summary="Liveness check", tags=["meta"])
    async def healthz() -> dict[str, str]:
        """Answer ok when the process is up."""
        return {"status": "ok"}

    app.add_middleware(PrivatePages)
    settings = get_settings()
    # Added last, so it is the outermost layer: a request turned away costs nothing else.
    app.add_middleware(
        AdmissionControl,
        limit=settings.max_concurrent_requests,
        queue=settings.max_waiting_requests,
        wait=settings.max_wait_seconds,
    )
    return app


app = create_app()
