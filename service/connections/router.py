"""HTTP routes of registration connections, and the webhook address platforms call."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from service.auth import ReadAccess, WriteAccess
from service.connections import service as connection_service
from service.connections.models import Connection, SyncKind
from service.connections.schemas import (
    ConnectionCreated,
    ConnectionIn,
    ConnectionOut,
    ConnectionPatch,
    DeliveryAccepted,
    LogPage,
    SyncOut,
    SyncQueued,
    WebhookUrlOut,
)
from service.db import SessionDep, session_scope
from service.errors import Invalid, PayloadTooLarge

router = APIRouter(prefix="/v1/conferences/{conference_id}/connections", tags=["connections"])
hooks_router = APIRouter(prefix="/v1/hooks", tags=["connections"])
ConnectionId = Annotated[uuid.UUID, Path(description="The connection's id.")]


def _connection(access: ReadAccess, connection_id: ConnectionId, session: SessionDep) -> Connection:
    return connection_service.get_connection(
        session, conference=access.conference, connection_id=connection_id
    )


def _writable(access: WriteAccess, connection_id: ConnectionId, session: SessionDep) -> Connection:
    return connection_service.get_connection(
        session, conference=access.conference, connection_id=connection_id
    )


ReadConnection = Annotated[Connection, Depends(_connection)]
WriteConnection = Annotated[Connection, Depends(_writable)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Connect a registration platform")
def create_connection(
    data: ConnectionIn, access: WriteAccess, session: SessionDep
) -> ConnectionCreated:
    """Store the platform's event and token (encrypted) and give the webhook URL, once."""
    return connection_service.create_connection(
        session, conference=access.conference, data=data, actor=access.caller.actor
    )


@router.get("", summary="List registration connections")
def list_connections(access: ReadAccess, session: SessionDep) -> list[ConnectionOut]:
    """The conference's connections with their last delivery, sync and error, oldest first."""
    return connection_service.list_connections(session, conference=access.conference)


@router.get("/{connection_id}", summary="Read a registration connection")
def get_connection(connection: ReadConnection, session: SessionDep) -> ConnectionOut:
    """One connection with its last delivery, last sync and last error (never its token)."""
    return connection_service.connection_out(session, connection)


@router.patch("/{connection_id}", summary="Change a registration connection")
def update_connection(
    data: ConnectionPatch, connection: WriteConnection, access: WriteAccess, session: SessionDep
) -> ConnectionOut:
    """A new label, API token or (Tito) signing secret; the secrets are never shown back."""
    return connection_service.update_connection(
        session, connection=connection, data=data, actor=access.caller.actor
    )


@router.delete(
    "/{connection_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a registration connection",
)
def delete_connection(
    connection: WriteConnection, access: WriteAccess, session: SessionDep
) -> Response:
    """Forget the connection and its token; its webhook URL stops working. Attendees stay."""
    connection_service.delete_connection(session, connection=connection, actor=access.caller.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{connection_id}/webhook-url",
    status_code=status.HTTP_200_OK,
    summary="Make a new webhook URL",
)
def rotate_webhook_url(
    connection: WriteConnection, access: WriteAccess, session: SessionDep
) -> WebhookUrlOut:
    """A new webhook URL, shown once; the old one stops working at once."""
    return connection_service.rotate_webhook_url(
        session, connection=connection, actor=access.caller.actor
    )


@router.get("/{connection_id}/log", summary="Read a connection's log")
def connection_log(
    connection: ReadConnection,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=connection_service.LOG_PAGE_MAX)] = 100,
    before: Annotated[str | None, Query(max_length=200)] = None,
    kind: Annotated[
        str | None,
        Query(pattern="^(received|processed|refused|ignored|error|sync|connection)$"),
    ] = None,
) -> LogPage:
    """What arrived, what changed for whom, and errors with the platform's answer; newest first."""
    return connection_service.list_log(
        session, connection=connection, limit=limit, before=before, kind=kind
    )


@router.post(
    "/{connection_id}/sync",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a full sync",
)
def start_sync(connection: WriteConnection, access: WriteAccess, session: SessionDep) -> SyncQueued:
    """Queue a full sync of every ticket; a sync already queued or running is returned."""
    return connection_service.queue_sync(
        session, connection=connection, kind=SyncKind.MANUAL, actor=access.caller.actor
    )


@router.get("/{connection_id}/syncs", summary="List a connection's full syncs")
def list_syncs(connection: ReadConnection, session: SessionDep) -> list[SyncOut]:
    """The last 20 full syncs, newest first, with their counts."""
    return connection_service.list_syncs(session, connection=connection)


@router.get("/{connection_id}/syncs/{sync_id}", summary="Read a full sync")
def get_sync(connection: ReadConnection, sync_id: uuid.UUID, session: SessionDep) -> SyncOut:
    """Status and counts: created, updated, cancelled, unchanged, ignored, invalid."""
    return connection_service.get_sync(session, connection=connection, sync_id=sync_id)


# --- the webhook address -----------------------------------------------------------------------


def _check_address(connection_id: str, secret: str) -> None:
    with session_scope() as session:
        connection_service.hook_connection(session, connection_id=connection_id, secret=secret)


def _refuse_size(connection_id: str, secret: str, size: str) -> None:
    with session_scope() as session:
        connection = connection_service.hook_connection(
            session, connection_id=connection_id, secret=secret
        )
        connection_service.refuse(
            session,
            connection=connection,
            message=f"Delivery refused: {size}, more than the "
            f"{connection_service.MAX_DELIVERY_BYTES // 1024} KiB a webhook may carry.",
        )


def _store(
    connection_id: str, secret: str, body: bytes, headers: dict[str, str]
) -> DeliveryAccepted | Invalid:
    with session_scope() as session:
        connection = connection_service.hook_connection(
            session, connection_id=connection_id, secret=secret
        )
        connection_service.check_signature(
            session, connection=connection, body=body, signature=headers.get("tito-signature")
        )
        return connection_service.store_delivery(
            session, connection=connection, body=body, headers=headers
        )


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes ``limit`` bytes (the rest is never read)."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


@hooks_router.post(
    "/{connection_id}/{secret}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Receive a registration platform's webhook",
    responses={401: {"description": "Wrong URL secret or signature"}, 404: {}, 413: {}, 422: {}},
)
async def receive_webhook(
    connection_id: Annotated[str, Path(max_length=100)],
    secret: Annotated[str, Path(max_length=100)],
    request: Request,
) -> DeliveryAccepted:
    """Store a delivery for the worker and answer at once (no API key: the URL is the secret)."""
    await run_in_threadpool(_check_address, connection_id, secret)
    limit = connection_service.MAX_DELIVERY_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        await run_in_threadpool(_refuse_size, connection_id, secret, f"{int(declared):,} bytes")
        raise PayloadTooLarge(f"A webhook body may hold at most {limit:,} bytes.", limit=limit)
    body = await _read_capped(request, limit)
    if body is None:
        await run_in_threadpool(_refuse_size, connection_id, secret, "a body")
        raise PayloadTooLarge(f"A webhook body may hold at most {limit:,} bytes.", limit=limit)
    headers = {name.lower(): value for name, value in request.headers.items()}
    result = await run_in_threadpool(_store, connection_id, secret, body, headers)
    if isinstance(result, Invalid):
        raise result
    return result
