"""Safe outbound HTTP: the only way the service calls an address someone else typed in.

Outbound webhooks and registration connections send requests to URLs an organizer gives us. A
URL like ``http://169.254.169.254/`` (a cloud's metadata service) or one whose host name resolves
to ``10.0.0.5`` would turn the service into a door into its own network, so every request made
through this module obeys these rules:

- ``https://`` only; ``http://`` only to ``localhost`` or a loopback address, and only when the
  operator sets ``HALLWAY_ALLOW_HTTP_LOOPBACK`` (tests and local set-ups).
- The host name is resolved and *every* address it resolves to must be public: private
  (10/8, 172.16/12, 192.168/16, fc00::/7), loopback (unless allowed as above), link-local
  (169.254/16 with the metadata address, fe80::/10), CGNAT (100.64/10), multicast, reserved,
  unspecified and documentation ranges are refused, also when wrapped in IPv6 (IPv4-mapped
  ``::ffff:10.0.0.1``, 6to4, NAT64).
- The check runs when the connection is opened, and the socket is connected to the very address
  that was checked (TLS still verifies the certificate for the host name, and the ``Host``
  header is the URL's): a name that resolves to a public address when checked and to a private
  one a moment later (DNS rebinding) never gets a private connection.
- Redirects are not followed unless the caller asks (``max_redirects``); each hop is a new
  request that passes every rule again. Webhook deliveries never follow them: a receiver that
  answers 3xx has not accepted the event.
- Proxies from the environment are ignored (``trust_env=False``): a proxy would connect on our
  behalf, out of reach of the address check.

``check_url`` validates a URL when it is saved (answer 422 with the message); ``send`` and
``client`` make requests.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import httpcore
import httpx

from service.config import get_settings

__all__ = [
    "DEFAULT_TIMEOUT",
    "UnsafeURL",
    "check_address",
    "check_url",
    "client",
    "resolve",
    "send",
]

DEFAULT_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges Python's ``is_global`` does not already rule out, or rules out only in newer versions.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "100.64.0.0/10",  # carrier-grade NAT, shared address space
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "64:ff9b:1::/48",  # local-use NAT64
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """A URL the service will not call; the message says why, in the organizer's words."""


def _describe(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be called (a few words), or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or (ip.sixtofour if ip.sixtofour else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return _describe(embedded)
        if ip.teredo:
            return "a Teredo tunnel address"
    if ip.is_loopback:
        return "a loopback address (this machine)"
    if ip.is_link_local:
        return "a link-local address (such as a cloud metadata service)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private or any(ip in net for net in _EXTRA_BLOCKED if net.version == ip.version):
        return "a private network address"
    if not ip.is_global:
        return "a reserved address"
    return None


def _allow_loopback(allow_loopback: bool | None) -> bool:
    return get_settings().allow_http_loopback if allow_loopback is None else allow_loopback


def _is_loopback(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def check_address(ip: IPAddress, *, host: str, allow_loopback: bool | None = None) -> None:
    """Raise `UnsafeURL` unless ``ip`` (what ``host`` resolved to) may be called."""
    if _is_loopback(ip) and _allow_loopback(allow_loopback):
        return
    reason = _describe(ip)
    if reason is not None:
        where = host if host == str(ip) else f"{host} resolves to {ip}, which"
        raise UnsafeURL(f"{where} is {reason}: Hallway only calls public internet addresses.")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, in the resolver's order (no duplicates).

    Raises ``OSError`` (``socket.gaierror``) when the name does not resolve. Tests replace this
    function to point names wherever they like.
    """
    seen: dict[IPAddress, None] = {}
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:  # not a possible host name ("a..b", a label over 63 chars)
        raise socket.gaierror(f"{host} is not a valid host name") from exc
    for _family, _type, _proto, _canon, sockaddr in found:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone ("fe80::1%eth0")
        seen.setdefault(ipaddress.ip_address(address), None)
    return list(seen)


def _checked_addresses(host: str, port: int, allow_loopback: bool | None) -> list[IPAddress]:
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    addresses = [literal] if literal is not None else resolve(host, port)
    if not addresses:
        raise OSError(f"{host} has no address")
    for ip in addresses:
        check_address(ip, host=host, allow_loopback=allow_loopback)
    return addresses


def _check_shape(url: str | httpx.URL, allow_loopback: bool | None) -> tuple[str, int]:
    """Check the scheme, host and port of ``url``; return its host and port."""
    text = str(url)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"This is not a valid address: {exc}.") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("https", "http") or not host:
        raise UnsafeURL("The address must be a full https:// URL, e.g. https://example.com/hook.")
    if scheme == "http":
        if not _allow_loopback(allow_loopback):
            raise UnsafeURL("The address must start with https:// (plain http:// is not allowed).")
        try:
            loopback = _is_loopback(ipaddress.ip_address(host))
        except ValueError:
            loopback = host in LOOPBACK_NAMES
        if not loopback:
            raise UnsafeURL(
                "The address must start with https://; plain http:// is allowed only to "
                "localhost or 127.0.0.1 on this server."
            )
    return host, port or (443 if scheme == "https" else 80)


def check_url(url: str, *, allow_loopback: bool | None = None) -> None:
    """Raise `UnsafeURL` unless requests to ``url`` would be sent, resolving its host now.

    For validating a URL when an organizer saves it; every request checks again anyway.
    ``allow_loopback`` defaults to the ``HALLWAY_ALLOW_HTTP_LOOPBACK`` setting.
    """
    if len(url) > 2000:
        raise UnsafeURL("The address is longer than 2,000 characters.")
    host, port = _check_shape(url, allow_loopback)
    try:
        _checked_addresses(host, port, allow_loopback)
    except OSError:
        raise UnsafeURL(f"The host name {host} could not be found (DNS).") from None


class _CheckedBackend(httpcore.NetworkBackend):
    """Resolves each host itself, checks every address and connects to a checked one."""

    def __init__(self, allow_loopback: bool | None) -> None:
        self._allow_loopback = allow_loopback
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = _checked_addresses(host, port, self._allow_loopback)
        except OSError as exc:
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        failure: Exception | None = None
        for ip in addresses:
            try:
                return self._backend.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise UnsafeURL("Unix sockets are not called.")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, made once: loading the CA bundle takes ~60 ms."""
    return httpx.create_ssl_context(trust_env=False)


class _CheckedTransport(httpx.HTTPTransport):
    """httpx's transport over `_CheckedBackend`, checking the URL of every request it sends."""

    def __init__(self, *, allow_loopback: bool | None) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        self._allow_loopback = allow_loopback
        # The same pool httpx builds, with our backend: httpx has no public knob for it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=10,
            max_keepalive_connections=5,
            keepalive_expiry=5.0,
            network_backend=_CheckedBackend(allow_loopback),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _check_shape(request.url, self._allow_loopback)
        return super().handle_request(request)


def client(*, timeout: float = DEFAULT_TIMEOUT, allow_loopback: bool | None = None) -> httpx.Client:
    """An ``httpx.Client`` whose every request (and redirect hop) follows the rules above.

    It does not follow redirects unless a request asks (``follow_redirects=True``); use it as a
    context manager. ``allow_loopback`` defaults to ``HALLWAY_ALLOW_HTTP_LOOPBACK``.
    """
    return httpx.Client(
        transport=_CheckedTransport(allow_loopback=allow_loopback),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        max_redirects=5,
    )


def send(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_redirects: int = 0,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
    allow_loopback: bool | None = None,
) -> httpx.Response:
    """Send one request under the rules above and return the response, its body read.

    ``max_redirects=0`` returns a 3xx as it is; otherwise up to that many hops are followed,
    each checked afresh. A body longer than ``max_response_bytes`` is cut there (the response's
    ``extensions["truncated"]`` is then True). Raises `UnsafeURL`, or ``httpx.HTTPError`` for
    network failures, timeouts and too many redirects.
    """
    with client(timeout=timeout, allow_loopback=allow_loopback) as http:
        http.max_redirects = max_redirects
        try:
            request = http.build_request(method, url, headers=dict(headers or {}), content=content)
            response = http.send(request, stream=True, follow_redirects=max_redirects > 0)
        except httpx.InvalidURL as exc:
            raise UnsafeURL(f"This is not a valid address: {exc}.") from None
        try:
            body = bytearray()
            truncated = False
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > max_response_bytes:
                    del body[max_response_bytes:]
                    truncated = True
                    break
        finally:
            response.close()
    # The body is decoded already: the new response must not decode it again.
    headers = httpx.Headers(response.headers)
    for name in ("content-encoding", "content-length", "transfer-encoding"):
        headers.pop(name, None)
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=bytes(body),
        request=response.request,
        history=response.history,
        extensions={**response.extensions, "truncated": truncated},
    )
