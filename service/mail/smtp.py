"""The organizer's SMTP server: its URL, and one message handed to it.

``smtp://user:pass@host:587`` sends with STARTTLS (required: a server that does not offer it is
a failure, never a fallback to clear text), ``smtps://user:pass@host:465`` over TLS from the
first byte, and ``smtp://host:port`` without credentials to a loopback address (a local relay)
in clear text. The server's answer decides what happens to a message: 2xx sent, 4xx try again
later (`Deferred`), 5xx failed for good (`Rejected`).
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

__all__ = ["Deferred", "Rejected", "SmtpServer", "parse_smtp_url", "send"]

_DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    username: str
    password: str

    @property
    def starttls(self) -> bool:
        return self.scheme == "smtp" and not _loopback(self.host)

    def describe(self) -> str:
        """The server without its password, for pages and logs."""
        user = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}"


class Deferred(Exception):
    """The server answered 4xx (or could not be reached): try again later."""


class Rejected(Exception):
    """The server answered 5xx: the message will not go through as it is."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_smtp_url(url: str) -> SmtpServer:
    """Read ``HALLWAY_SMTP_URL``.

    Raises:
        ValueError: with what is wrong, in words.

    Example:
        >>> parse_smtp_url("smtp://me:s%40cret@mail.example:587").password
        's@cret'
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"it does not parse as a URL ({exc})") from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise ValueError("it must start with smtp:// (STARTTLS) or smtps:// (TLS)")
    if not parts.hostname:
        raise ValueError("it names no host")
    if any(c in url for c in "\r\n\x00"):
        raise ValueError("it holds a control character")
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    server = SmtpServer(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[parts.scheme],
        username=username,
        password=password,
    )
    if server.scheme == "smtp" and not server.starttls and username:
        raise ValueError("a password is never sent in clear text: use smtps:// or a relay")
    return server


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}"[:1000]


def send(server: SmtpServer, message: EmailMessage, *, timeout: float) -> str:
    """Hand ``message`` to the server; return its answer ("250 …").

    Raises:
        Deferred: a 4xx answer, or no answer at all (connection refused, timeout).
        Rejected: a 5xx answer.
    """
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if server.scheme == "smtps":
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with client:
            client.ehlo()
            if server.starttls:
                if not client.has_extn("starttls"):
                    raise Rejected("The server does not offer STARTTLS; nothing was sent.")
                client.starttls(context=context)
                client.ehlo()
            if server.username:
                client.login(server.username, server.password)
            refused = client.send_message(message)
            if refused:
                code, text = next(iter(refused.values()))
                raise (Deferred if 400 <= code < 500 else Rejected)(_answer(code, text))
            return "250 accepted"
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise (Deferred if 400 <= code < 500 else Rejected)(_answer(code, text)) from None
    except smtplib.SMTPResponseException as exc:
        error = Deferred if 400 <= exc.smtp_code < 500 else Rejected
        raise error(_answer(exc.smtp_code, exc.smtp_error)) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise Deferred(f"no answer from {server.describe()}: {exc}") from None
