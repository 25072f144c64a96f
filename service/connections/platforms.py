"""What each registration platform sends and how its REST API is read.

Every platform is treated alike: a webhook is a *trigger* naming what changed, and the worker
fetches the current state from the platform's API with the organizer's token. So deliveries
that arrive twice or out of order (an update before the create) still end in the platform's
current state, and only the fetched answer is ever written.

Each fetched ticket becomes a `Record`: the ticket's id, the platform's event it belongs to and
its values under the headers the file import knows ("name", "email", "company", "status",
"Buyer name", and each question's wording), so the import's rules (question wording, the
conference's saved mapping, "Info Requested" placeholders) apply unchanged
(`service.connections.ingest`).

All calls go through `service.net` (public addresses only); Eventbrite's ``api_url`` is
followed only to ``https://www.eventbriteapi.com``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlsplit

import httpx

from service import net
from service.connections.models import Platform
from service.models import AttendeeStatus

__all__ = [
    "EVENTBRITE_API",
    "TITO_API",
    "ConnectionInfo",
    "Delivery",
    "Fetched",
    "Malformed",
    "PlatformError",
    "Record",
    "content_key",
    "eventbrite_url",
    "fetch_delivery",
    "full_sync_pages",
    "get_json",
    "parse_delivery",
    "tito_signature_ok",
]

TITO_API: Final = "https://api.tito.io/v3"
EVENTBRITE_API: Final = "https://www.eventbriteapi.com/v3"
EVENTBRITE_HOST: Final = "www.eventbriteapi.com"
TIMEOUT: Final = 20.0
# The start of a platform's answer kept in the log.
ANSWER_CHARS: Final = 500
# Pages a full sync reads at most (pretix: 50 orders a page; Tito 100, Eventbrite 50 tickets).
MAX_PAGES: Final = 2000
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class PlatformError(Exception):
    """A call to the platform failed; ``retry`` says whether trying later may help."""

    def __init__(self, message: str, *, answer: str = "", retry: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.answer = answer
        self.retry = retry


class Malformed(ValueError):
    """A webhook body that is not what the platform sends; the message says why."""


@dataclass(frozen=True)
class Record:
    """One ticket as the platform has it now.

    Attributes:
        external_id: The attendee's id in Hallway (pretix ``CODE-positionid``, Tito's ticket
            reference, Eventbrite's attendee id).
        event: The platform's event the ticket belongs to, as the connection names events.
        cells: Header -> value, under headers the file import recognises.
    """

    external_id: str
    event: str
    cells: dict[str, str]


@dataclass(frozen=True)
class Delivery:
    """What a webhook body says: its dedup key, action and what to fetch."""

    dedup_key: str
    action: str
    # Keys released once processed: the same body later means a new change (Eventbrite).
    refetch_only: bool = False


@dataclass
class Fetched:
    """What processing a delivery fetched: the tickets, and ids the platform no longer has."""

    records: list[Record] = field(default_factory=list)
    # pretix: the order's id prefix ("CODE-"); attendees under it that the order no longer
    # lists (nor skips as add-ons) are cancelled.
    gone_prefix: str = ""
    skipped: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class ConnectionInfo:
    """What the platform code needs of a connection (tokens decrypted)."""

    platform: str
    event: str
    organizer: str
    base_url: str
    token: str


# --- HTTP ---------------------------------------------------------------------------------


def _scrub(text: str, token: str) -> str:
    return text.replace(token, "[token]") if token else text


def get_json(url: str, *, headers: Mapping[str, str], token: str) -> Any:
    """GET ``url`` through `service.net` and return its JSON.

    Raises:
        PlatformError: a network failure, timeout, 429 or 5xx (``retry``), or any other
            non-2xx answer, an address refused, or an answer that is not JSON.
    """
    try:
        response = net.send(
            "GET", url, headers={"Accept": "application/json", **headers}, timeout=TIMEOUT
        )
    except net.UnsafeURL as exc:
        raise PlatformError(f"Refused to call {_shown(url)}: {exc}") from None
    except httpx.TimeoutException:
        raise PlatformError(f"{_shown(url)} did not answer in time.", retry=True) from None
    except httpx.HTTPError as exc:
        message = _scrub(str(exc), token)
        raise PlatformError(f"{_shown(url)} could not be reached: {message}", retry=True) from None
    answer = f"{response.status_code} {_scrub(response.text[:ANSWER_CHARS], token)}".strip()
    if response.status_code == 429 or response.status_code >= 500:
        raise PlatformError(
            f"{_shown(url)} answered {response.status_code}.", answer=answer, retry=True
        )
    if response.status_code in (401, 403):
        raise PlatformError(
            f"{_shown(url)} refused the token ({response.status_code}): check the API token "
            "and its permissions.",
            answer=answer,
        )
    if response.status_code >= 300:
        raise PlatformError(f"{_shown(url)} answered {response.status_code}.", answer=answer)
    try:
        return response.json()
    except ValueError:
        raise PlatformError(f"{_shown(url)} did not answer with JSON.", answer=answer) from None


def _shown(url: str) -> str:
    """The URL without its query (which never holds a token here, but may be long)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _same_origin(url: str, base: str) -> bool:
    one, other = urlsplit(url), urlsplit(base)
    return (one.scheme, one.netloc) == (other.scheme, other.netloc)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value if item not in (None, ""))
    if isinstance(value, dict):
        # pretix's translated strings: {"en": "…", "de": "…"}
        return _text(value.get("en") or next(iter(value.values()), ""))
    return str(value).strip()


def _object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("The body is not JSON.") from None
    if not isinstance(data, dict):
        raise Malformed("The body is not a JSON object.")
    return data


def content_key(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


# --- webhooks -------------------------------------------------------------------------------


def tito_signature_ok(body: bytes, signature: str | None, secret: str) -> bool:
    """Whether ``Tito-Signature`` is the base64 HMAC-SHA256 of the raw body under ``secret``."""
    if not signature:
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature.strip())


def parse_delivery(platform: str, body: bytes, headers: Mapping[str, str]) -> Delivery:
    """Check a webhook body's shape and find its dedup key and action.

    Raises:
        Malformed: the body is not what the platform sends (or names a URL not to follow).
    """
    data = _object(body)
    if platform == Platform.PRETIX:
        for name in ("notification_id", "organizer", "event", "code", "action"):
            if name not in data:
                raise Malformed(f"A pretix webhook has '{name}'; this body has not.")
        code = data["code"]
        if not isinstance(code, str) or not _SLUG.match(code):
            raise Malformed("'code' is not a pretix order code.")
        notification = _text(data["notification_id"])[:100]
        return Delivery(dedup_key=f"pretix:{notification}", action=_text(data["action"])[:200])
    if platform == Platform.TITO:
        _tito_ticket_slug(data)
        action = headers.get("x-webhook-name", "") or _text(data.get("_type"))
        return Delivery(dedup_key=content_key(body), action=action[:200])
    if platform == Platform.EVENTBRITE:
        config = data.get("config")
        if not isinstance(config, dict) or not isinstance(config.get("action"), str):
            raise Malformed("An Eventbrite webhook has 'config' with an 'action'.")
        action = config["action"][:200]
        if action == "test":
            return Delivery(dedup_key=content_key(body), action=action, refetch_only=True)
        api_url = data.get("api_url")
        if not isinstance(api_url, str):
            raise Malformed("An Eventbrite webhook has 'api_url'.")
        eventbrite_url(api_url)
        delivery_id = headers.get("x-eventbrite-delivery", "")
        if delivery_id:
            return Delivery(dedup_key=f"eventbrite:{delivery_id[:100]}", action=action)
        return Delivery(dedup_key=content_key(body), action=action, refetch_only=True)
    raise Malformed(f"Unknown platform {platform!r}.")


def eventbrite_url(url: str) -> str:
    """``url`` if it is on Eventbrite's API host over https, else `Malformed`."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise Malformed("'api_url' is not a URL.") from None
    if parts.scheme != "https" or host != EVENTBRITE_HOST or port not in (None, 443):
        raise Malformed(
            f"'api_url' points to {parts.scheme}://{host or '?'}; only "
            f"https://{EVENTBRITE_HOST}/ is fetched."
        )
    if parts.username or parts.password or "@" in parts.netloc:
        raise Malformed("'api_url' carries credentials; it is not fetched.")
    return url


def _tito_ticket_slug(data: Mapping[str, Any]) -> str:
    slug = data.get("slug")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise Malformed("A Tito ticket webhook has the ticket's 'slug'.")
    if not isinstance(data.get("reference"), str):
        raise Malformed("A Tito ticket webhook has the ticket's 'reference'.")
    return slug


# --- fetching -------------------------------------------------------------------------------


def fetch_delivery(info: ConnectionInfo, body: bytes, action: str) -> Fetched:
    """Fetch from the platform what a stored delivery names (see `parse_delivery`)."""
    data = _object(body)
    if info.platform == Platform.PRETIX:
        return _pretix_order(info, data)
    if info.platform == Platform.TITO:
        return _tito_ticket(info, data)
    return _eventbrite(info, data, action)


def full_sync_pages(info: ConnectionInfo) -> Iterator[list[Record]]:
    """Every ticket of the connection's event, a page at a time."""
    if info.platform == Platform.PRETIX:
        yield from _pretix_pages(info)
    elif info.platform == Platform.TITO:
        yield from _tito_pages(info)
    else:
        yield from _eventbrite_pages(info)


# pretix ---------------------------------------------------------------------------------------


def _pretix_event_url(info: ConnectionInfo) -> str:
    base = info.base_url.rstrip("/")
    return (
        f"{base}/api/v1/organizers/{quote(info.organizer, safe='')}/events/"
        f"{quote(info.event, safe='')}"
    )


def _pretix_headers(info: ConnectionInfo) -> dict[str, str]:
    return {"Authorization": f"Token {info.token}"}


def _pretix_list(info: ConnectionInfo, url: str) -> Iterator[list[Any]]:
    """Pages of a pretix list (``results``), following ``next`` on the same host only."""
    pages = 0
    next_url: str | None = url
    while next_url and pages < MAX_PAGES:
        page = get_json(next_url, headers=_pretix_headers(info), token=info.token)
        pages += 1
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise PlatformError(f"{_shown(next_url)} did not answer with a list of results.")
        yield page["results"]
        candidate = page.get("next")
        next_url = candidate if isinstance(candidate, str) and candidate else None
        if next_url and not _same_origin(next_url, info.base_url):
            raise PlatformError(f"pretix named a next page on another host ({_shown(next_url)}).")


@dataclass
class _PretixCatalogue:
    questions: dict[int, str]
    admission: dict[int, bool]


def _pretix_catalogue(info: ConnectionInfo) -> _PretixCatalogue:
    event_url = _pretix_event_url(info)
    questions: dict[int, str] = {}
    for page in _pretix_list(info, f"{event_url}/questions/"):
        for question in page:
            if isinstance(question, dict) and isinstance(question.get("id"), int):
                questions[question["id"]] = _text(question.get("question"))[:200]
    admission: dict[int, bool] = {}
    for page in _pretix_list(info, f"{event_url}/items/"):
        for item in page:
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                admission[item["id"]] = bool(item.get("admission", True))
    return _PretixCatalogue(questions=questions, admission=admission)


_PRETIX_GONE: Final = frozenset({"c", "e"})


def _pretix_records(
    info: ConnectionInfo, order: Mapping[str, Any], catalogue: _PretixCatalogue
) -> tuple[list[Record], list[str]]:
    """An order's admission positions as records, and the ids of the positions skipped."""
    code = _text(order.get("code"))
    event = _text(order.get("event")) or info.event
    order_gone = _text(order.get("status")) in _PRETIX_GONE
    records: list[Record] = []
    skipped: list[str] = []
    positions = order.get("positions")
    for position in positions if isinstance(positions, list) else []:
        if not isinstance(position, dict):
            continue
        external_id = f"{code}-{_text(position.get('positionid'))}"
        item = position.get("item")
        if isinstance(item, int) and not catalogue.admission.get(item, True):
            skipped.append(external_id)
            continue
        cells = {
            "id": external_id,
            "name": _text(position.get("attendee_name")),
            "email": _text(position.get("attendee_email")),
            "company": _text(position.get("company")),
            "status": AttendeeStatus.CANCELLED
            if order_gone or position.get("canceled")
            else AttendeeStatus.REGISTERED,
            "Order number": code,
            "Buyer email": _text(order.get("email")),
        }
        invoice = order.get("invoice_address")
        if isinstance(invoice, dict):
            cells["Buyer name"] = _text(invoice.get("name"))
        answers = position.get("answers")
        for answer in answers if isinstance(answers, list) else []:
            if not isinstance(answer, dict):
                continue
            question = answer.get("question")
            header = catalogue.questions.get(question) if isinstance(question, int) else None
            header = header or _text(answer.get("question_identifier"))
            if header and header not in cells:
                cells[header] = _text(answer.get("answer"))
        records.append(Record(external_id=external_id, event=event, cells=cells))
    return records, skipped


def _pretix_order(info: ConnectionInfo, data: Mapping[str, Any]) -> Fetched:
    organizer, event = _text(data.get("organizer")), _text(data.get("event"))
    if (organizer, event) != (info.organizer, info.event):
        return Fetched(
            note=f"The webhook names event {organizer}/{event}, not this connection's "
            f"{info.organizer}/{info.event}; nothing was fetched."
        )
    code = _text(data.get("code"))
    url = (
        f"{_pretix_event_url(info)}/orders/{quote(code, safe='')}/?include_canceled_positions=true"
    )
    try:
        order = get_json(url, headers=_pretix_headers(info), token=info.token)
    except PlatformError as exc:
        if exc.answer.startswith("404"):
            return Fetched(note=f"pretix has no order {code} (deleted, or a test order).")
        raise
    if not isinstance(order, dict):
        raise PlatformError(f"pretix's answer for order {code} is not an order.")
    catalogue = _pretix_catalogue(info)
    records, skipped = _pretix_records(info, order, catalogue)
    # Positions removed from the order (pretix may leave them out of its answer) are gone.
    return Fetched(
        records=records,
        gone_prefix=f"{code}-",
        skipped=skipped,
        note=f"{len(skipped)} position(s) that are not admission tickets skipped."
        if skipped
        else "",
    )


def _pretix_pages(info: ConnectionInfo) -> Iterator[list[Record]]:
    catalogue = _pretix_catalogue(info)
    url = f"{_pretix_event_url(info)}/orders/?include_canceled_positions=true"
    for page in _pretix_list(info, url):
        records: list[Record] = []
        for order in page:
            if isinstance(order, dict):
                records.extend(_pretix_records(info, order, catalogue)[0])
        yield records


# Tito -----------------------------------------------------------------------------------------


def _tito_headers(info: ConnectionInfo) -> dict[str, str]:
    return {"Authorization": f"Token token={info.token}"}


def _tito_event_url(info: ConnectionInfo) -> str:
    account, _, event = info.event.partition("/")
    return f"{TITO_API}/{quote(account, safe='')}/{quote(event, safe='')}"


_TITO_GONE: Final = frozenset({"void", "voided", "cancelled", "canceled", "deleted"})


def _tito_record(info: ConnectionInfo, ticket: Mapping[str, Any]) -> Record:
    reference = _text(ticket.get("reference"))
    event = info.event
    owner = ticket.get("event")
    if isinstance(owner, dict) and owner.get("account_slug") and owner.get("slug"):
        event = f"{_text(owner['account_slug'])}/{_text(owner['slug'])}"
    name = _text(ticket.get("name")) or " ".join(
        part for part in (_text(ticket.get("first_name")), _text(ticket.get("last_name"))) if part
    )
    state = _text(ticket.get("state") or ticket.get("state_name")).casefold()
    cells = {
        "id": reference,
        "name": name,
        "email": _text(ticket.get("email")),
        "company": _text(ticket.get("company_name")),
        "status": AttendeeStatus.CANCELLED if state in _TITO_GONE else AttendeeStatus.REGISTERED,
    }
    registration = ticket.get("registration")
    if isinstance(registration, dict):
        cells["Order number"] = _text(registration.get("reference"))
        cells["Buyer name"] = _text(registration.get("name"))
        cells["Buyer email"] = _text(registration.get("email"))
    answers = ticket.get("answers")
    for answer in answers if isinstance(answers, list) else []:
        if not isinstance(answer, dict):
            continue
        question = answer.get("question")
        header = _text(question.get("title")) if isinstance(question, dict) else ""
        header = header[:200] or _text(answer.get("question_title"))[:200]
        if header and header not in cells:
            cells[header] = _text(answer.get("response", answer.get("primary_response")))
    responses = ticket.get("responses")
    # Tito's ticket has the answers by question slug too; the titles read better.
    if isinstance(responses, dict) and not answers:
        for key, value in responses.items():
            header = str(key)[:200]
            if header and header not in cells:
                cells[header] = _text(value)
    return Record(external_id=reference, event=event, cells=cells)


def _tito_ticket(info: ConnectionInfo, data: Mapping[str, Any]) -> Fetched:
    slug = _tito_ticket_slug(data)
    url = f"{_tito_event_url(info)}/tickets/{quote(slug, safe='')}"
    try:
        answer = get_json(url, headers=_tito_headers(info), token=info.token)
    except PlatformError as exc:
        if exc.answer.startswith("404"):
            return Fetched(
                note=f"Tito has no ticket {slug} in {info.event} (deleted, or another event)."
            )
        raise
    ticket = answer.get("ticket") if isinstance(answer, dict) else None
    if not isinstance(ticket, dict):
        raise PlatformError(f"Tito's answer for ticket {slug} is not a ticket.")
    return Fetched(records=[_tito_record(info, ticket)])


def _tito_pages(info: ConnectionInfo) -> Iterator[list[Record]]:
    states = "&".join(
        f"search%5Bstates%5D%5B%5D={state}" for state in ("complete", "incomplete", "void")
    )
    page_number: int | None = 1
    pages = 0
    while page_number is not None and pages < MAX_PAGES:
        url = f"{_tito_event_url(info)}/tickets?page%5Bnumber%5D={page_number}&{states}"
        answer = get_json(url, headers=_tito_headers(info), token=info.token)
        pages += 1
        tickets = answer.get("tickets") if isinstance(answer, dict) else None
        if not isinstance(tickets, list):
            raise PlatformError("Tito's answer has no list of tickets.")
        yield [_tito_record(info, t) for t in tickets if isinstance(t, dict)]
        meta = answer.get("meta") if isinstance(answer, dict) else None
        following = meta.get("next_page") if isinstance(meta, dict) else None
        page_number = following if isinstance(following, int) and following > page_number else None


# Eventbrite -------------------------------------------------------------------------------------


def _eventbrite_headers(info: ConnectionInfo) -> dict[str, str]:
    return {"Authorization": f"Bearer {info.token}"}


_EVENTBRITE_GONE: Final = frozenset(
    {"not attending", "deleted", "cancelled", "canceled", "refunded", "transferred", "void"}
)


def _eventbrite_record(
    attendee: Mapping[str, Any], order: Mapping[str, Any] | None = None
) -> Record:
    external_id = _text(attendee.get("id"))
    profile = attendee.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    name = _text(profile.get("name")) or " ".join(
        part for part in (_text(profile.get("first_name")), _text(profile.get("last_name"))) if part
    )
    gone = (
        bool(attendee.get("cancelled"))
        or bool(attendee.get("refunded"))
        or _text(attendee.get("status")).casefold() in _EVENTBRITE_GONE
    )
    cells = {
        "id": external_id,
        "name": name,
        "email": _text(profile.get("email")),
        "company": _text(profile.get("company")),
        "status": AttendeeStatus.CANCELLED if gone else AttendeeStatus.REGISTERED,
        "Order number": _text(attendee.get("order_id")),
    }
    buyer = order if order is not None else attendee.get("order")
    if isinstance(buyer, dict):
        cells["Buyer name"] = _text(buyer.get("name"))
        cells["Buyer email"] = _text(buyer.get("email"))
    answers = attendee.get("answers")
    for answer in answers if isinstance(answers, list) else []:
        if isinstance(answer, dict):
            header = _text(answer.get("question"))[:200]
            if header and header not in cells:
                cells[header] = _text(answer.get("answer"))
    return Record(external_id=external_id, event=_text(attendee.get("event_id")), cells=cells)


def _with_query(url: str, **params: str) -> str:
    return str(httpx.URL(url).copy_merge_params(params))


def _eventbrite(info: ConnectionInfo, data: Mapping[str, Any], action: str) -> Fetched:
    if action == "test":
        return Fetched(note="Eventbrite's test delivery: the webhook URL works.")
    api_url = eventbrite_url(_text(data.get("api_url")))
    path = urlsplit(api_url).path
    headers = _eventbrite_headers(info)
    if "/attendees/" in path:
        attendee = get_json(_with_query(api_url, expand="order"), headers=headers, token=info.token)
        if not isinstance(attendee, dict):
            raise PlatformError("Eventbrite's answer is not an attendee.")
        return Fetched(records=[_eventbrite_record(attendee)])
    if "/orders/" in path:
        order = get_json(
            _with_query(api_url, expand="attendees"), headers=headers, token=info.token
        )
        attendees = order.get("attendees") if isinstance(order, dict) else None
        if not isinstance(attendees, list):
            raise PlatformError("Eventbrite's answer is not an order with its attendees.")
        return Fetched(
            records=[_eventbrite_record(a, order) for a in attendees if isinstance(a, dict)]
        )
    return Fetched(note=f"Nothing to fetch for '{action}' ({_shown(api_url)}).")


def _eventbrite_pages(info: ConnectionInfo) -> Iterator[list[Record]]:
    base = f"{EVENTBRITE_API}/events/{quote(info.event, safe='')}/attendees/"
    continuation: str | None = None
    pages = 0
    while pages < MAX_PAGES:
        params = {"expand": "order"}
        if continuation:
            params["continuation"] = continuation
        answer = get_json(
            _with_query(base, **params), headers=_eventbrite_headers(info), token=info.token
        )
        pages += 1
        attendees = answer.get("attendees") if isinstance(answer, dict) else None
        if not isinstance(attendees, list):
            raise PlatformError("Eventbrite's answer has no list of attendees.")
        yield [_eventbrite_record(a) for a in attendees if isinstance(a, dict)]
        pagination = answer.get("pagination") if isinstance(answer, dict) else None
        if not isinstance(pagination, dict) or not pagination.get("has_more_items"):
            return
        following = pagination.get("continuation")
        if not isinstance(following, str) or not following or following == continuation:
            return
        continuation = following
