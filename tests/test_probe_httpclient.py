"""HttpPool, the raw-socket keep-alive client used by the traffic generator and the HTTP probes.

Each test runs a scripted server on loopback: it parses requests itself and answers with exact
bytes (split into pieces, with pauses, or closing the connection) so framing, keep-alive and
error paths are checked on the wire; it counts connections to check reuse.
"""

from __future__ import annotations

import contextlib
import datetime
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chaosrun.probes.httpclient import NO_RESPONSE, HttpPool

# an action: bytes to send, a float to sleep, or CLOSE to close the connection
CLOSE = "close"
Action = bytes | float | str


@dataclass
class Req:
    method: str
    target: str
    headers: dict[str, str]  # lower-cased names
    raw_head: bytes
    body: bytes
    conn: int  # which connection (1-based)


@dataclass
class RawServer:
    respond: Callable[[Req], list[Action]]
    tls: ssl.SSLContext | None = None
    host: str = "127.0.0.1"
    connections: int = 0
    requests: list[Req] = field(default_factory=list)

    def __post_init__(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        self._stop = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}"

    def __enter__(self) -> RawServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            rfile = conn.makefile("rb")
            while True:
                line = rfile.readline()
                if not line:
                    return
                raw = line
                headers: dict[str, str] = {}
                while True:
                    h = rfile.readline()
                    raw += h
                    if h in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = h.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = rfile.read(int(headers.get("content-length", "0")))
                method, target, _ = line.decode("latin-1").split(" ", 2)
                req = Req(method, target, headers, raw, body, number)
                with self._lock:
                    self.requests.append(req)
                for action in self.respond(req):
                    if action == CLOSE:
                        return
                    if isinstance(action, bytes):
                        conn.sendall(action)
                    elif isinstance(action, float):
                        time.sleep(action)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()


def ok(body: bytes = b"hello", extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nX-Chaosrun-Region: eu-west-1\r\n"
        f"{extra}\r\n"
    ).encode() + body


def test_content_length_headers_and_keep_alive_reuse() -> None:
    with RawServer(lambda req: [ok(req.target.encode())]) as srv:
        pool = HttpPool(timeout=2)
        for i in range(5):
            r = pool.request("GET", f"{srv.url}/items/{i}?q=1")
            assert r.status == 200 and r.error is None
            assert r.body == f"/items/{i}?q=1".encode()
        assert r.headers["x-chaosrun-region"] == "eu-west-1"
        assert r.headers["content-length"] == "12"
        assert srv.connections == 1  # one keep-alive connection for all five
        req = srv.requests[0]
        assert req.headers["host"] == f"127.0.0.1:{srv.port}"
        assert req.headers["connection"] == "keep-alive"
        pool.close()


def test_request_bodies_and_headers_on_the_wire() -> None:
    with RawServer(lambda req: [ok(req.body)]) as srv:
        pool = HttpPool(timeout=2)
        r = pool.request(
            "POST", srv.url + "/orders", body=b'{"id": "o1"}', headers={"X-Trace": "abc"}
        )
        assert r.status == 200 and r.body == b'{"id": "o1"}'
        assert pool.request("POST", srv.url + "/orders").status == 200  # no body
        assert pool.request("GET", srv.url + "/").status == 200
        post, empty, get = srv.requests
        assert post.headers["content-length"] == "12" and post.headers["x-trace"] == "abc"
        assert empty.headers["content-length"] == "0"  # like http.client for POST/PUT/PATCH
        assert "content-length" not in get.headers
        assert srv.connections == 1


def test_chunked_body_in_pieces_with_extensions_and_trailers() -> None:
    pieces: list[Action] = [
        b"HTTP/1.1 200 OK\r\nTransfer-",
        0.02,
        b"Encoding: chunked\r\nX-Chaosrun-Region: us-east-1\r\n\r\n5;ext=1\r\nhel",
        0.02,
        b"lo\r\n",
        b"7\r\n, world\r\n0\r\nX-Trailer: t\r\n",
        0.02,
        b"\r\n",
    ]
    with RawServer(lambda req: list(pieces)) as srv:
        pool = HttpPool(timeout=2)
        r = pool.request("GET", srv.url + "/")
        assert (r.status, r.body) == (200, b"hello, world")
        assert r.headers["x-chaosrun-region"] == "us-east-1"
        limited = pool.request("GET", srv.url + "/", read_limit=3)
        assert (limited.status, limited.body) == (200, b"hel")
        assert pool.request("GET", srv.url + "/").body == b"hello, world"
        assert srv.connections == 1  # the rest of each body was drained, not the connection


def test_read_limit_keeps_the_connection() -> None:
    big = bytes(range(256)) * 400  # 100 KiB, several recv()s
    with RawServer(lambda req: [ok(big)]) as srv:
        pool = HttpPool(timeout=2)
        r = pool.request("GET", srv.url + "/", read_limit=100)
        assert r.status == 200 and r.body == big[:100]
        assert pool.request("GET", srv.url + "/").body == big
        assert pool.request("GET", srv.url + "/", read_limit=0).body == b""
        assert srv.connections == 1


def test_no_body_for_head_204_and_304() -> None:
    def respond(req: Req) -> list[Action]:
        if req.method == "HEAD":
            return [b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"]
        if req.target == "/204":
            return [b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"]
        if req.target == "/304":
            return [b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"]
        return [ok()]

    with RawServer(respond) as srv:
        pool = HttpPool(timeout=1)
        head = pool.request("HEAD", srv.url + "/")
        assert (head.status, head.body, head.headers["content-length"]) == (200, b"", "1234")
        assert (pool.request("GET", srv.url + "/204").status, srv.connections) == (204, 1)
        assert pool.request("GET", srv.url + "/304").status == 304
        after = pool.request("GET", srv.url + "/")  # the connection is still in step
        assert (after.status, after.body, srv.connections) == (200, b"hello", 1)


def test_interim_1xx_responses_are_skipped() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    with RawServer(lambda req: [interim, 0.01, ok(b"final")]) as srv:
        r = HttpPool(timeout=2).request("POST", srv.url + "/", body=b"x")
        assert (r.status, r.body) == (200, b"final")
        assert "link" not in r.headers


def test_connection_close_and_read_until_close() -> None:
    def respond(req: Req) -> list[Action]:
        if req.target == "/close":
            return [ok(b"bye", "Connection: close\r\n"), CLOSE]
        if req.target == "/http10":  # no length: the body ends when the server closes
            return [b"HTTP/1.0 200 OK\r\n\r\nuntil ", 0.02, b"close", CLOSE]
        return [ok()]

    with RawServer(respond) as srv:
        pool = HttpPool(timeout=2)
        assert pool.request("GET", srv.url + "/close").body == b"bye"
        assert pool.request("GET", srv.url + "/").status == 200
        assert srv.connections == 2  # reopened because the server said close, no error
        r = pool.request("GET", srv.url + "/http10")
        assert (r.status, r.body) == (200, b"until close")
        assert pool.request("GET", srv.url + "/", read_limit=1).body == b"h"
        assert srv.connections == 3


def test_stale_keep_alive_connection_is_retried_once() -> None:
    # the server answers, then closes without saying so (idle timeout on a keep-alive connection)
    with RawServer(lambda req: [ok(), CLOSE]) as srv:
        pool = HttpPool(timeout=2)
        assert pool.request("GET", srv.url + "/").status == 200
        time.sleep(0.05)
        second = pool.request("GET", srv.url + "/")
        assert second.status == 200 and second.error is None
        assert srv.connections == 2 and len(srv.requests) == 2


def test_partial_response_is_an_error_and_not_retried() -> None:
    def respond(req: Req) -> list[Action]:
        if len(srv.requests) == 1:
            return [ok()]
        return [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", 0.02, CLOSE]

    with RawServer(respond) as srv:
        pool = HttpPool(timeout=2)
        assert pool.request("GET", srv.url + "/").status == 200
        r = pool.request("GET", srv.url + "/")  # on the reused connection: something came back
        assert r.status == NO_RESPONSE and r.error and "IncompleteRead" in r.error
        assert len(srv.requests) == 2  # not sent again
        assert pool.request("GET", srv.url + "/").status == NO_RESPONSE  # fresh: same answer


def test_garbage_and_fresh_close_are_status_0() -> None:
    def respond(req: Req) -> list[Action]:
        return [b"SSH-2.0-OpenSSH\r\n\r\n"] if req.target == "/garbage" else [CLOSE]

    with RawServer(respond) as srv:
        pool = HttpPool(timeout=2)
        garbage = pool.request("GET", srv.url + "/garbage")
        assert garbage.status == NO_RESPONSE and "bad status line" in (garbage.error or "")
        closed = pool.request("GET", srv.url + "/close")
        assert closed.status == NO_RESPONSE and "RemoteDisconnected" in (closed.error or "")
        assert len(srv.requests) == 2  # a fresh connection is not retried


def test_timeout_is_status_0_with_an_error() -> None:
    with RawServer(lambda req: [1.0, ok()]) as srv:
        pool = HttpPool(timeout=0.2)
        t0 = time.monotonic()
        r = pool.request("GET", srv.url + "/")
        assert time.monotonic() - t0 < 0.9
        assert r.status == NO_RESPONSE and r.error and r.error.startswith("timeout after 0.2s")


def test_unreachable_and_bad_urls_are_status_0() -> None:
    pool = HttpPool(timeout=1)
    refused = pool.request("GET", "http://127.0.0.1:9/")
    assert refused.status == NO_RESPONSE and "ConnectionRefused" in (refused.error or "")
    bad = pool.request("GET", "http://127.0.0.1:99999/")
    assert bad.status == NO_RESPONSE and bad.error
    injected = pool.request("GET", "http://127.0.0.1:9/", headers={"X": "a\r\nB: c"})
    assert injected.status == NO_RESPONSE and "control character" in (injected.error or "")


def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_ipv6_literal_url() -> None:
    with RawServer(lambda req: [ok()], host="::1") as srv:
        assert srv.url.startswith("http://[::1]:")
        r = HttpPool(timeout=2).request("GET", srv.url + "/")
        assert (r.status, r.body) == (200, b"hello")
        assert srv.requests[0].headers["host"] == f"[::1]:{srv.port}"


def _self_signed(tmp: Path) -> tuple[Path, Path] | None:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            return None
        args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        args += ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"]
        subprocess.run(
            ["openssl", *args, "-addext", "subjectAltName=DNS:localhost"],
            check=True,
            capture_output=True,
        )
        return cert, key
    pkey = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(pkey.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(pkey, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        pkey.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[RawServer]:
    pair = _self_signed(tmp_path)
    if pair is None:
        pytest.skip("neither the cryptography package nor the openssl CLI to make a certificate")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*pair)
    sni: list[str | None] = []
    ctx.sni_callback = lambda sock, name, c: sni.append(name)

    def respond(req: Req) -> list[Action]:
        if req.target == "/chunked":
            return [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"]
        return [ok(b"secure")]

    with RawServer(respond, tls=ctx) as srv:
        srv.sni = sni  # type: ignore[attr-defined]
        yield srv


def test_https_keep_alive_and_sni(tls_server: RawServer) -> None:
    url = f"https://localhost:{tls_server.port}"
    pool = HttpPool(timeout=2, verify_tls=False)
    for _ in range(3):
        r = pool.request("GET", url + "/")
        assert (r.status, r.body, r.headers["x-chaosrun-region"]) == (200, b"secure", "eu-west-1")
    assert pool.request("GET", url + "/chunked").body == b"abc"
    assert tls_server.connections == 1
    assert tls_server.sni == ["localhost"]  # type: ignore[attr-defined]
    pool.close()


def test_https_verifies_certificates_by_default(tls_server: RawServer) -> None:
    r = HttpPool(timeout=2).request("GET", f"https://localhost:{tls_server.port}/")
    assert r.status == NO_RESPONSE and "CERTIFICATE_VERIFY_FAILED" in (r.error or "")
