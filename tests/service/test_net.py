"""Safe outbound HTTP: which addresses are refused, at save time, at connect time, on redirects."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service import net
from service.config import get_settings
from tests.service.receiver import Answer, Received, serve

PUBLIC = "93.184.216.34"

Resolver = Callable[[str, int], list[net.IPAddress]]


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """A fake DNS: host name -> addresses; unknown names do not resolve."""
    table: dict[str, list[str]] = {}

    def fake_resolve(host: str, port: int) -> list[net.IPAddress]:
        if host not in table:
            raise OSError(f"{host}: name not known")
        return [ipaddress.ip_address(a) for a in table[host]]

    monkeypatch.setattr(net, "resolve", fake_resolve)
    return table


@pytest.fixture
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HALLWAY_ALLOW_HTTP_LOOPBACK", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def loopback_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HALLWAY_ALLOW_HTTP_LOOPBACK", "false")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "private"),
        ("127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("[::1]", "loopback"),
        ("[fc00::1]", "private"),
        ("[fe80::1]", "link-local"),
        ("[::ffff:10.0.0.1]", "private"),
        ("[::ffff:169.254.169.254]", "link-local"),
        ("[2002:a00:1::]", "private"),  # 6to4 wrapping 10.0.0.1
        ("[64:ff9b::a9fe:a9fe]", "link-local"),  # NAT64 of 169.254.169.254
    ],
)
def test_check_url_refuses_internal_addresses(
    address: str, words: str, loopback_refused: None
) -> None:
    with pytest.raises(net.UnsafeURL, match=words):
        net.check_url(f"https://{address}/hook")


def test_check_url_accepts_a_public_address(
    names: dict[str, list[str]], loopback_refused: None
) -> None:
    names["hooks.example.com"] = [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]
    net.check_url("https://hooks.example.com/in")
    net.check_url(f"https://{PUBLIC}:8443/in")


def test_a_name_resolving_to_a_private_address_is_refused(
    names: dict[str, list[str]], loopback_refused: None
) -> None:
    names["intranet.example.com"] = ["192.168.1.20"]
    with pytest.raises(net.UnsafeURL, match=r"intranet\.example\.com resolves to 192\.168\.1\.20"):
        net.check_url("https://intranet.example.com/hook")


def test_one_private_address_among_public_ones_is_enough_to_refuse(
    names: dict[str, list[str]], loopback_refused: None
) -> None:
    names["mixed.example.com"] = [PUBLIC, "10.1.2.3"]
    with pytest.raises(net.UnsafeURL, match=r"10\.1\.2\.3"):
        net.check_url("https://mixed.example.com/hook")


def test_a_name_that_does_not_resolve_is_refused(
    names: dict[str, list[str]], loopback_refused: None
) -> None:
    with pytest.raises(net.UnsafeURL, match="could not be found"):
        net.check_url("https://nowhere.example.com/hook")


@pytest.mark.parametrize(
    "url",
    ["https://a..b/hook", "https://" + "a" * 300 + ".com/", "https://[::1/", "https://x:99999/"],
)
def test_malformed_hosts_are_refused_not_crashed_on(url: str, loopback_refused: None) -> None:
    with pytest.raises(net.UnsafeURL):
        net.check_url(url)
    with pytest.raises((net.UnsafeURL, httpx.ConnectError)):
        net.send("GET", url, timeout=2)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "file:///etc/passwd", "https:///nohost", "example.com/hook", ""],
)
def test_only_https_urls_are_accepted(url: str, loopback_refused: None) -> None:
    with pytest.raises(net.UnsafeURL, match="https://"):
        net.check_url(url)


def test_plain_http_is_refused_when_loopback_is_not_allowed(loopback_refused: None) -> None:
    with pytest.raises(net.UnsafeURL, match="https://"):
        net.check_url("http://127.0.0.1:8080/hook")
    with pytest.raises(net.UnsafeURL, match="https://"):
        net.check_url(f"http://{PUBLIC}/hook")


def test_plain_http_to_loopback_is_allowed_only_when_the_operator_says_so(
    names: dict[str, list[str]], loopback_allowed: None
) -> None:
    names["localhost"] = ["127.0.0.1"]
    net.check_url("http://127.0.0.1:8080/hook")
    net.check_url("http://[::1]:8080/hook")
    net.check_url("http://localhost:8080/hook")
    # Clear text to anywhere else stays refused, and private ranges stay refused.
    with pytest.raises(net.UnsafeURL, match=r"localhost or 127\.0\.0\.1"):
        net.check_url(f"http://{PUBLIC}/hook")
    with pytest.raises(net.UnsafeURL, match="private"):
        net.check_url("https://10.0.0.1/hook")


def test_send_reaches_a_loopback_receiver_when_allowed(loopback_allowed: None) -> None:
    with serve() as receiver:
        response = net.send("POST", receiver.url(), content=b'{"a": 1}', timeout=5)
    assert response.status_code == 200
    assert response.content == b"ok"
    assert [(r.method, r.body) for r in receiver.received] == [("POST", b'{"a": 1}')]


def test_send_refuses_loopback_before_connecting_when_not_allowed(
    loopback_refused: None,
) -> None:
    with serve() as receiver:
        with pytest.raises(net.UnsafeURL):
            net.send("POST", receiver.url(), content=b"{}", timeout=5)
        with pytest.raises(net.UnsafeURL, match="loopback"):
            net.send("GET", f"https://127.0.0.1:{receiver.port}/", timeout=5)
        assert receiver.received == []


def test_send_checks_the_address_again_when_it_connects(
    names: dict[str, list[str]], loopback_refused: None
) -> None:
    # DNS rebinding: public when the URL was saved, private when the request is made.
    names["rebind.example.com"] = [PUBLIC]
    net.check_url("https://rebind.example.com/hook")
    names["rebind.example.com"] = ["10.0.0.7"]
    with pytest.raises(net.UnsafeURL, match=r"10\.0\.0\.7"):
        net.send("POST", "https://rebind.example.com/hook", content=b"{}", timeout=2)


def test_send_connects_to_the_address_it_checked(
    monkeypatch: pytest.MonkeyPatch, loopback_allowed: None
) -> None:
    lookups: list[str] = []

    def counting_resolve(host: str, port: int) -> list[net.IPAddress]:
        lookups.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(net, "resolve", counting_resolve)
    with serve() as receiver:
        response = net.send("GET", receiver.url("/x", host="localhost"), timeout=5)
    assert response.status_code == 200
    # One lookup, made by the check itself; the request still names the host.
    assert lookups == ["localhost"]
    assert receiver.received[0].headers["host"] == f"localhost:{receiver.port}"


def test_redirects_are_returned_not_followed_by_default(loopback_allowed: None) -> None:
    with serve() as receiver:
        receiver.respond = lambda r: Answer(302, b"", {"Location": "https://10.0.0.1/"})
        response = net.send("POST", receiver.url(), content=b"{}", timeout=5)
    assert response.status_code == 302
    assert len(receiver.received) == 1


def test_a_redirect_to_a_private_address_is_refused(
    names: dict[str, list[str]], loopback_allowed: None
) -> None:
    names["internal.example.com"] = ["192.168.1.1"]
    with serve() as receiver:
        for target in ("https://10.0.0.1/", "https://internal.example.com/admin"):
            receiver.respond = lambda r, target=target: Answer(302, b"", {"Location": target})
            with pytest.raises(net.UnsafeURL, match="private"):
                net.send("GET", receiver.url(), timeout=2, max_redirects=3)


def test_redirects_within_the_rules_are_followed_up_to_the_limit(loopback_allowed: None) -> None:
    def answer(request: Received) -> Answer:
        if request.path == "/final":
            return Answer(200, b"arrived")
        return Answer(302, b"", {"Location": "/final"})

    with serve() as receiver:
        receiver.respond = answer
        response = net.send("GET", receiver.url("/start"), timeout=5, max_redirects=2)
        assert response.content == b"arrived"
        assert [r.status_code for r in response.history] == [302]

        receiver.respond = lambda r: Answer(302, b"", {"Location": "/again"})
        with pytest.raises(httpx.TooManyRedirects):
            net.send("GET", receiver.url("/start"), timeout=5, max_redirects=2)


def test_client_checks_every_request(names: dict[str, list[str]], loopback_allowed: None) -> None:
    names["private.example.com"] = ["172.20.0.3"]
    with net.client(timeout=2) as http, pytest.raises(net.UnsafeURL):
        http.get("https://private.example.com/api/orders")


def test_proxies_from_the_environment_are_not_used(
    monkeypatch: pytest.MonkeyPatch, loopback_allowed: None
) -> None:
    # A proxy would make the connection itself, out of reach of the address check.
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.9.9.9:3128")
    with serve() as receiver:
        response = net.send("GET", receiver.url(), timeout=5)
    assert response.status_code == 200


def test_a_long_answer_is_cut(loopback_allowed: None) -> None:
    with serve() as receiver:
        receiver.respond = lambda r: Answer(200, b"x" * 5000)
        response = net.send("GET", receiver.url(), timeout=5, max_response_bytes=100)
    assert response.content == b"x" * 100
    assert response.extensions["truncated"] is True


def test_public_surface() -> None:
    assert sorted(net.__all__) == [
        "DEFAULT_TIMEOUT",
        "UnsafeURL",
        "check_address",
        "check_url",
        "client",
        "resolve",
        "send",
    ]


def _certificate(tmp_path: Path, host: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{host}.pem", tmp_path / f"{host}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize(("served_as", "works"), [("hooks.test", True), ("other.test", False)])
def test_tls_checks_the_certificate_for_the_host_name_while_connecting_to_the_checked_address(
    served_as: str,
    works: bool,
    tmp_path: Path,
    names: dict[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    loopback_allowed: None,
) -> None:
    cert_path, key_path = _certificate(tmp_path, served_as)
    trusted = ssl.create_default_context(cafile=str(cert_path))
    monkeypatch.setattr(net, "_ssl_context", lambda: trusted)
    names["hooks.test"] = ["127.0.0.1"]
    with serve() as receiver:
        server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_side.load_cert_chain(cert_path, key_path)
        receiver.wrap_tls(server_side)
        url = f"https://hooks.test:{receiver.port}/hook"
        if works:
            response = net.send("POST", url, content=b"{}", timeout=5)
            assert response.status_code == 200
            assert receiver.received[0].headers["host"] == f"hooks.test:{receiver.port}"
        else:
            with pytest.raises(httpx.ConnectError, match="certificate"):
                net.send("POST", url, content=b"{}", timeout=5)
            assert receiver.received == []
