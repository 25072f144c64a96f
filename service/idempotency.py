"""``Idempotency-Key``: a POST sent again with the same key is answered, not done, again.

Every ``POST`` under ``/v1`` (except the platforms' inbound webhooks under ``/v1/hooks/``, which
recognise their own repeats) takes an optional ``Idempotency-Key`` header. The first request
with a key is done as usual and its answer is kept for `KEEP` (24 hours); a request with the
same key from the same caller, to the same method and path with the same body, gets that answer
again (status, body, ``Content-Type``, ``Location``, ``ETag``) with ``Idempotent-Replayed:
true``, and nothing is done twice.

- The same key with another path or another body: ``422`` problem ``idempotency-key-reused``.
- A malformed key (empty, longer than `MAX_KEY_CHARS`, not printable ASCII, sent twice):
  ``422`` naming the header. No key: nothing changes.
- While the first request with a key is still running, a repeat waits up to `WAIT_SECONDS`
  for its answer and replays it; after that it gets ``409`` problem ``idempotency-key-in-use``
  with ``Retry-After``. A request whose process died is taken over after `STALE_AFTER`.
- Answers that say "try again" are not kept, so the retry is done afresh: every ``5xx``
  (the ``503`` of an overload included), and the refusals that depend on something besides
  the body, which the retry changes: ``401``/``403`` (the key), ``412``/``428`` (the version
  in ``If-Match``), ``408`` and ``429``. A request that raises is not kept either. A repeat
  whose API key has been revoked since is refused like any other request.
- Expired answers are deleted by the next POST (at most once a minute in each process), and
  an expired key is free again at once.
- Keys belong to the caller: the scope is a hash of the API key, so two callers using the same
  key never see each other's answers.

The key is reserved before the request runs (a row, unique per caller and key), so two requests
with one key racing each other, in one web process or in two, produce one effect on SQLite and
on PostgreSQL alike.

Only hashes are stored: of the caller, the key, the method and path, and the body (a multipart
body is hashed without its random boundary, so re-sending the same file from a new client
request is the same body). The answer is stored encrypted (AES-GCM) with a key derived from the
caller's API key and the Idempotency-Key, neither of which the database holds, so a new API key
or an attendee link in an answer is unreadable at rest. Rows name the conference in the path:
erasing one of its attendees deletes them, so no replay can bring an erased person back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import anyio
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import find_conference
from service.db import session_scope, utcnow
from service.errors import (
    AppError,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    Invalid,
    Unavailable,
    problem_response,
)
from service.keys import service as key_service
from service.limits import MAX_PARAMETER_CHARS
from service.models import IdempotencyKey, IdempotencyState
from service.validation import control_character

__all__ = [
    "HEADER",
    "KEEP",
    "MAX_KEY_CHARS",
    "REPLAYED_HEADER",
    "IdempotencyKeys",
    "applies_to",
    "forget_conference",
    "sweep_expired",
]

log = logging.getLogger(__name__)

HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
#: How long an answer is kept for repeats.
KEEP: Final = timedelta(hours=24)
MAX_KEY_CHARS: Final = 255
#: How long a repeat waits for the first request's answer before it gets 409.
WAIT_SECONDS: Final = 5.0
POLL_SECONDS: Final = 0.05
#: A request still "running" after this long belonged to a process that died: taken over.
STALE_AFTER: Final = timedelta(minutes=10)
#: Seconds a client is asked to wait after a 409.
RETRY_AFTER_SECONDS: Final = 1
#: Expired rows are swept by a POST at most this often per process (and always for the key
#: at hand, when it comes back).
SWEEP_EVERY_SECONDS: Final = 60.0
API_PREFIX: Final = "/v1/"
#: Inbound platform webhooks: their deliveries are de-duplicated by their own ids.
EXEMPT_PREFIXES: Final = ("/v1/hooks/",)
#: Refusals a retry can overcome without a new body: keys and rights, If-Match, time, rate.
NOT_KEPT: Final = frozenset({401, 403, 408, 412, 428, 429})
#: The headers of an answer that are replayed with it.
KEPT_HEADERS: Final = frozenset({b"content-type", b"location", b"etag"})
POINTER: Final = f"#/header/{HEADER}"
_CONFERENCE_PATH: Final = re.compile(r"^/v1/conferences/([^/]+)")
_PRINTABLE: Final = re.compile(r"^[\x20-\x7e]+$")


def applies_to(method: str, path: str) -> bool:
    """Whether a request to ``method`` ``path`` takes an Idempotency-Key.

    Example:
        >>> applies_to("POST", "/v1/conferences"), applies_to("POST", "/v1/hooks/pretix/x")
        (True, False)
    """
    return (
        method.upper() == "POST"
        and path.startswith(API_PREFIX)
        and not path.startswith(EXEMPT_PREFIXES)
    )


def parse_key(values: list[bytes]) -> str:
    """The key sent in the header values, or `Invalid` naming the header.

    A key may be sent bare or as a structured-field string (``"..."``, as the IETF draft
    writes it); both name the same key.
    """
    if len(values) > 1:
        raise _malformed("was sent more than once; send one key")
    text = values[0].decode("latin-1").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if not text:
        raise _malformed("is empty")
    if len(text) > MAX_KEY_CHARS:
        raise _malformed(f"is {len(text):,} characters long; at most {MAX_KEY_CHARS} are allowed")
    if not _PRINTABLE.match(text):
        raise _malformed("holds a character that is not printable ASCII")
    return text


def _malformed(problem: str) -> Invalid:
    return Invalid(
        f"The {HEADER} header {problem}.", errors=[{"pointer": POINTER, "detail": problem}]
    )


def _bearer_secret(values: list[bytes]) -> str | None:
    # Exactly the reading of service.auth.get_caller; anything else is answered 401 there.
    if len(values) != 1:
        return None
    scheme, _, secret = values[0].decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def body_hash(content_type: str, body: bytes) -> str:
    """The fingerprint of a body: its media type and bytes, a multipart boundary left out.

    Example:
        >>> a = body_hash("multipart/form-data; boundary=abc", b"--abc\\r\\nx\\r\\n--abc--")
        >>> a == body_hash("multipart/form-data; boundary=xyz", b"--xyz\\r\\nx\\r\\n--xyz--")
        True
    """
    media_type, *params = (part.strip() for part in content_type.split(";"))
    media_type = media_type.lower()
    if media_type.startswith("multipart/"):
        for param in params:
            name, _, value = param.partition("=")
            boundary = value.strip().strip('"').encode("latin-1")
            if name.strip().lower() == "boundary" and boundary:
                body = body.replace(b"--" + boundary, b"--<boundary>")
    return _sha256(media_type.encode("latin-1"), body)


@dataclass(frozen=True)
class _Request:
    """What identifies one keyed request, and the key its answer is sealed with."""

    secret: str
    scope_hash: str
    key_hash: str
    request_hash: str
    body_hash: str
    seal_key: bytes
    conference_ref: str | None

    @classmethod
    def make(cls, scope: Scope, *, secret: str, key: str, body: bytes) -> _Request:
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        content_type = _header(scope, b"content-type")
        match = _CONFERENCE_PATH.match(path)
        return cls(
            secret=secret,
            scope_hash=_sha256(b"hallway idempotency scope", secret.encode()),
            key_hash=_sha256(b"hallway idempotency key", key.encode()),
            # Whatever a server makes of undecodable %-escapes, the path is hashed, not refused.
            request_hash=_sha256(
                scope["method"].encode(), path.encode("utf-8", "surrogatepass"), query
            ),
            body_hash=body_hash(content_type[0].decode("latin-1") if content_type else "", body),
            seal_key=hashlib.sha256(
                b"hallway idempotency answer\0" + secret.encode() + b"\0" + key.encode()
            ).digest(),
            conference_ref=match.group(1) if match else None,
        )

    @property
    def associated(self) -> bytes:
        return f"{self.scope_hash}:{self.key_hash}".encode()


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def _seal(request: _Request, answer: _Answer) -> bytes:
    head = json.dumps([[k.decode("latin-1"), v.decode("latin-1")] for k, v in answer.headers])
    nonce = os.urandom(12)
    plain = head.encode() + b"\n" + answer.body
    return nonce + AESGCM(request.seal_key).encrypt(nonce, plain, request.associated)


def _open(request: _Request, status: int, sealed: bytes) -> _Answer:
    plain = AESGCM(request.seal_key).decrypt(sealed[:12], sealed[12:], request.associated)
    head, _, body = plain.partition(b"\n")
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in json.loads(head)]
    return _Answer(status=status, headers=headers, body=body)


# --- the outcomes of claiming a key ---------------------------------------------------------


@dataclass(frozen=True)
class _Reserved:
    row_id: uuid.UUID


@dataclass(frozen=True)
class _Running:
    pass


@dataclass(frozen=True)
class _Unkeyed:
    """The caller's API key is not live: the request goes on without a key, to its 401."""


_Outcome = _Reserved | _Running | _Unkeyed | _Answer | AppError

_next_sweep = 0.0


def sweep_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete every kept answer past its time; return how many went."""
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.expires_at <= (now or utcnow()))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def forget_conference(session: Session, *, conference_id: uuid.UUID) -> None:
    """Delete every kept answer about a conference (an attendee of it is being erased).

    Requests still running lose their row too, so their answer is not kept either.
    """
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.conference_id == conference_id))


def _claim(request: _Request) -> _Outcome:
    """Reserve the key for this request, or say what became of its first use.

    A repeat that finds the key taken only reads, so repeats waiting for a running request
    never queue behind SQLite's single writer.
    """
    now = utcnow()
    with session_scope() as session:
        if key_service.authenticate(session, secret=request.secret) is None:
            return _Unkeyed()
        first = _first_use(session, request)
        if first is not None and _is_free(first, now):
            # An expired row, or a running one whose process died, frees the key.
            session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.id == first.id,
                    (IdempotencyKey.expires_at <= now)
                    | (
                        (IdempotencyKey.state == IdempotencyState.RUNNING)
                        & (IdempotencyKey.updated_at <= now - STALE_AFTER)
                    ),
                )
            )
            first = None
        if first is not None:
            return _judge(request, first)
        conference_id = _conference_id(session, request.conference_ref)
    row = IdempotencyKey(
        scope_hash=request.scope_hash,
        key_hash=request.key_hash,
        request_hash=request.request_hash,
        body_hash=request.body_hash,
        conference_id=conference_id,
        state=IdempotencyState.RUNNING,
        expires_at=now + KEEP,
    )
    try:
        with session_scope() as session:
            session.add(row)
        return _Reserved(row.id)
    except IntegrityError:
        pass  # taken in the meantime: see by whom
    with session_scope() as session:
        first = _first_use(session, request)
        # Released in between: try again at the next poll.
        return _Running() if first is None else _judge(request, first)


def _first_use(session: Session, request: _Request) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.scope_hash == request.scope_hash,
            IdempotencyKey.key_hash == request.key_hash,
        )
    )


def _is_free(row: IdempotencyKey, now: datetime) -> bool:
    stale = row.state == IdempotencyState.RUNNING and row.updated_at <= now - STALE_AFTER
    return row.expires_at <= now or stale


def _conference_id(session: Session, ref: str | None) -> uuid.UUID | None:
    """The conference the path names, if it exists; a value no slug can be is not looked up."""
    if ref is None or len(ref) > MAX_PARAMETER_CHARS or control_character(ref, multiline=False):
        return None
    conference = find_conference(session, ref)
    return conference.id if conference is not None else None


def _judge(request: _Request, first: IdempotencyKey) -> _Outcome:
    """What a request gets when its key was used first by ``first``."""
    if first.request_hash != request.request_hash:
        return IdempotencyKeyReused(
            f"This {HEADER} was first used for a request to another path or with another "
            "method; a key names exactly one request. Use a new key for a new request.",
            errors=[{"pointer": POINTER, "detail": "used for another path or method"}],
        )
    if first.body_hash != request.body_hash:
        return IdempotencyKeyReused(
            f"This {HEADER} was first used with another body; a key names exactly one "
            "request. Send the same body again, or use a new key for a new request.",
            errors=[{"pointer": POINTER, "detail": "used with another body"}],
        )
    if first.state == IdempotencyState.RUNNING or first.status is None or first.response is None:
        return _Running()
    try:
        return _open(request, first.status, first.response)
    except (InvalidTag, ValueError):
        # Cannot happen for a caller holding the key; answer as if it were in use.
        log.warning("An idempotent answer could not be opened; its row is left alone.")
        return _Running()


def _sweep_if_due() -> None:
    """Delete expired answers, at most every `SWEEP_EVERY_SECONDS` in each process."""
    global _next_sweep
    if time.monotonic() < _next_sweep:
        return
    _next_sweep = time.monotonic() + SWEEP_EVERY_SECONDS
    try:
        with session_scope() as session:
            sweep_expired(session)
    except SQLAlchemyError:
        log.warning("Expired idempotent answers could not be deleted.", exc_info=True)


def _complete(request: _Request, row_id: uuid.UUID, answer: _Answer) -> None:
    with session_scope() as session:
        # Only the row this request reserved, and only if it is still there (an erasure in
        # the meantime deleted it: then nothing is kept).
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == row_id, IdempotencyKey.state == IdempotencyState.RUNNING)
            .values(
                state=IdempotencyState.DONE,
                status=answer.status,
                response=_seal(request, answer),
                updated_at=utcnow(),
            )
        )


def _release(row_id: uuid.UUID) -> None:
    with session_scope() as session:
        session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == row_id, IdempotencyKey.state == IdempotencyState.RUNNING
            )
        )


def _kept(status: int) -> bool:
    """Whether an answer is kept for repeats: not one that says "try again"."""
    return status < 500 and status not in NOT_KEPT


def _header(scope: Scope, name: bytes) -> list[bytes]:
    return [value for key, value in scope.get("headers", ()) if key.lower() == name]


class IdempotencyKeys:
    """ASGI middleware giving every ``POST`` under ``/v1`` an optional ``Idempotency-Key``.

    Install it inside the body limits, so a body is refused for its size before it is read here.

    Example:
        >>> from starlette.applications import Starlette
        >>> app = IdempotencyKeys(Starlette())
        >>> app.wait == WAIT_SECONDS
        True
    """

    def __init__(self, app: ASGIApp, *, wait: float | None = None) -> None:
        self.app = app
        self._wait = wait

    @property
    def wait(self) -> float:
        """Seconds a repeat waits for a running first request (`WAIT_SECONDS` by default)."""
        return WAIT_SECONDS if self._wait is None else self._wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not applies_to(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        # Any POST sweeps now and then, so expired answers go even when no key comes back.
        if time.monotonic() >= _next_sweep:
            await anyio.to_thread.run_sync(_sweep_if_due)
        values = _header(scope, HEADER.lower().encode())
        if not values:
            await self.app(scope, receive, send)
            return
        try:
            key = parse_key(values)
        except Invalid as exc:
            await _problem(exc, scope, receive, send)
            return
        secret = _bearer_secret(_header(scope, b"authorization"))
        if secret is None:  # answered 401 by the route; nothing to keep
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # the client went away
            return
        request = _Request.make(scope, secret=secret, key=key, body=body)
        replay_receive = _replaying(body, receive)
        try:
            outcome = await self._claim_or_wait(request)
        except SQLAlchemyError:
            log.warning("The idempotency record could not be read or written.", exc_info=True)
            busy = Unavailable(
                "The database is busy right now; try again in a few seconds.",
                headers={"Retry-After": "2"},
            )
            await _problem(busy, scope, replay_receive, send)
            return
        if isinstance(outcome, _Unkeyed):
            await self.app(scope, replay_receive, send)
        elif isinstance(outcome, AppError):
            await _problem(outcome, scope, replay_receive, send)
        elif isinstance(outcome, _Answer):
            await _replay(outcome, send)
        elif isinstance(outcome, _Running):
            await _problem(
                IdempotencyKeyInUse(
                    f"The first request with this {HEADER} is still running; try again in "
                    f"{RETRY_AFTER_SECONDS} s to get its answer.",
                    errors=[{"pointer": POINTER, "detail": "a request with this key is running"}],
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                ),
                scope,
                replay_receive,
                send,
            )
        else:
            await self._run(request, outcome.row_id, scope, replay_receive, send)

    async def _claim_or_wait(self, request: _Request) -> _Outcome:
        deadline = time.monotonic() + self.wait
        while True:
            outcome = await anyio.to_thread.run_sync(_claim, request)
            if not isinstance(outcome, _Running) or time.monotonic() >= deadline:
                return outcome
            await anyio.sleep(POLL_SECONDS)

    async def _run(
        self, request: _Request, row_id: uuid.UUID, scope: Scope, receive: Receive, send: Send
    ) -> None:
        status: int | None = None
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k.lower(), v) for k, v in message.get("headers", ()) if k.lower()]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_release, row_id)
            raise
        # The route's transaction has ended by now, so what is kept is what was committed.
        with anyio.CancelScope(shield=True):
            try:
                if status is None or not _kept(status):
                    await anyio.to_thread.run_sync(_release, row_id)
                    return
                kept = [(k, v) for k, v in headers if k in KEPT_HEADERS]
                answer = _Answer(status=status, headers=kept, body=b"".join(chunks))
                await anyio.to_thread.run_sync(_complete, request, row_id, answer)
            except SQLAlchemyError:
                # The answer is out; a repeat finds the row running until it goes stale.
                log.warning("An idempotent answer could not be kept.", exc_info=True)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body read here, then waits as the server's would."""
    given = False

    async def replay_receive() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay_receive


async def _replay(answer: _Answer, send: Send) -> None:
    headers = [
        *answer.headers,
        (b"content-length", str(len(answer.body)).encode()),
        (REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


async def _problem(exc: AppError, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        slug=exc.slug,
        instance=scope["path"],
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )
    await response(scope, receive, send)


def document(method: str, path: str, operation: dict[str, Any]) -> None:
    """Add the header, its answers and the replay marker to one operation of the document."""
    if not applies_to(method, path):
        return
    parameters = operation.setdefault("parameters", [])
    if any(p.get("in") == "header" and p.get("name") == HEADER for p in parameters):
        return
    parameters.append(
        {
            "name": HEADER,
            "in": "header",
            "required": False,
            "description": (
                "Makes a retry safe: a repeat with the same key, path and body within 24 hours "
                "gets the first answer again (with `Idempotent-Replayed: true`) and nothing is "
                f"done twice. 1-{MAX_KEY_CHARS} printable ASCII characters, e.g. a UUID."
            ),
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS},
        }
    )
    responses = operation.setdefault("responses", {})
    for status, response in responses.items():
        if status.startswith("2"):
            response.setdefault("headers", {})[REPLAYED_HEADER] = {
                "description": "`true` when this is the kept answer to an earlier request "
                f"with the same {HEADER}.",
                "schema": {"type": "string", "enum": ["true"]},
            }
    extra = {
        "409": f" Or: the first request with this {HEADER} is still running (retry after "
        "`Retry-After` seconds).",
        "422": f" Or: the {HEADER} is malformed, or was first used with another path or body.",
    }
    for status, words in extra.items():
        if status in responses:
            response = responses[status]
            response["description"] = response.get("description", "") + words
    conflict = responses.get("409")
    if conflict is not None:
        conflict.setdefault("headers", {})["Retry-After"] = {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 0},
        }
