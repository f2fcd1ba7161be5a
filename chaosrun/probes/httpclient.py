"""A tiny keep-alive HTTP/1.1 client: one connection per (scheme, host, port), one pool per thread.

Written on raw sockets rather than ``http.client``: that module builds every request header by
header and parses every response head with ``email.parser``, which dominated the traffic
generator's profile. Here a request head is built once per (method, URL, headers) and cached,
sent with one ``sendall``; the response is read into a plain buffer (usually one ``recv``), the
head decoded once and split on CRLF. Framing follows RFC 9112: no body for HEAD, 1xx, 204 and
304; ``Transfer-Encoding: chunked``; ``Content-Length``; otherwise read until close. Interim 1xx
responses (``100 Continue``, ``103 Early Hints``) are skipped.

Reusing the connection avoids a TCP (and TLS) handshake per request. A keep-alive connection the
server closed between two requests (nothing at all received back) is reopened and the request
retried once; any other failure is reported as status 0 with the error text, never raised.

Standard library only: this module is also shipped inside the Lambda traffic worker package.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: status reported for connection errors and timeouts
NO_RESPONSE = 0

_RECV = 65536
_MAX_HEAD = 65536 + 100 * 1024  # like http.client: a 64 KiB line, about 100 headers
_DRAIN_BUDGET = 1 << 20  # beyond read_limit, discard up to 1 MiB to keep the connection
_CACHE_MAX = 512  # parsed URLs / pre-built request heads kept per pool
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})  # http.client sends Content-Length: 0

_tls_lock = threading.Lock()
_tls_contexts: dict[bool, ssl.SSLContext] = {}


def _tls_context(verify: bool) -> ssl.SSLContext:
    """One shared context per mode: loading the CA store takes tens of ms, under the GIL."""
    with _tls_lock:
        ctx = _tls_contexts.get(verify)
        if ctx is None:
            ctx = ssl.create_default_context()
            if not verify:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            _tls_contexts[verify] = ctx
        return ctx


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    error: str | None = None


class ProtocolError(Exception):
    """The server answered something that is not HTTP/1.x (or not the framing it announced)."""


class RemoteDisconnected(ConnectionError):
    """The server closed the connection before sending anything back."""


class IncompleteRead(ConnectionError):
    """The server closed the connection in the middle of a response."""


class _Conn:
    """One socket and its receive buffer (``buf[pos:]`` is unread)."""

    __slots__ = ("buf", "pos", "received", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.pos = 0
        self.received = False  # any byte of the current response

    def fill(self) -> None:
        data = self.sock.recv(_RECV)
        if not data:
            if self.received:
                raise IncompleteRead("connection closed in the middle of a response")
            raise RemoteDisconnected("remote end closed connection without response")
        self.received = True
        self.buf = self.buf[self.pos :] + data if self.pos < len(self.buf) else data
        self.pos = 0

    def line(self) -> bytes:
        """One line without its line ending (chunk sizes and trailers)."""
        while True:
            i = self.buf.find(b"\n", self.pos)
            if i >= 0:
                out = self.buf[self.pos : i]
                self.pos = i + 1
                return out[:-1] if out.endswith(b"\r") else out
            if len(self.buf) - self.pos > 65536:
                raise ProtocolError("line too long")
            self.fill()

    def read(self, n: int, keep: int) -> bytes:
        """Consume ``n`` bytes, returning at most the first ``keep`` of them."""
        avail = len(self.buf) - self.pos
        if avail >= n:  # the common case: already buffered
            start = self.pos
            self.pos = start + n
            return self.buf[start : start + min(n, keep)]
        parts = []
        while n > 0:
            if self.pos >= len(self.buf):
                self.fill()
            take = min(n, len(self.buf) - self.pos)
            if keep > 0:
                parts.append(self.buf[self.pos : self.pos + min(take, keep)])
                keep -= take
            self.pos += take
            n -= take
        return b"".join(parts)

    def read_to_close(self, keep: int) -> bytes:
        parts = [self.buf[self.pos : self.pos + keep]]
        kept = len(parts[0])
        self.pos = len(self.buf)
        while kept < keep:
            data = self.sock.recv(_RECV)
            if not data:
                break
            parts.append(data[: keep - kept])
            kept += len(parts[-1])
        return b"".join(parts)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _target(url: str) -> tuple[tuple[str, str, int], str, str]:
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    host = parts.hostname or "localhost"
    default = 443 if scheme == "https" else 80
    port = parts.port or default
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    host_header = f"[{host}]" if ":" in host else host  # IPv6 literal
    if port != default:
        host_header += f":{port}"
    return (scheme, host, port), host_header, target


def _parse_head(head: str) -> tuple[int, str, dict[str, str]]:
    """``HTTP/1.1 200 OK\\r\\nName: value...`` -> (status, version, lower-cased headers)."""
    lines = head.split("\n")
    status_line = lines[0].rstrip("\r")
    version, _, rest = status_line.partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
        raise ProtocolError(f"bad status line: {status_line[:100]!r}")
    headers: dict[str, str] = {}
    last = ""
    for line in lines[1:]:
        if not line or line == "\r":
            continue
        if line[0] in " \t":  # obsolete line folding: continues the previous value
            if last:
                headers[last] = (headers[last] + " " + line.strip()).strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            last = name.strip().lower()
            headers[last] = value.strip()
    return int(code), version, headers


class HttpPool:
    """Keep-alive connections for one thread. Not thread-safe: give each worker its own."""

    def __init__(self, timeout: float = 5.0, verify_tls: bool = True) -> None:
        self.timeout = timeout
        self.verify_tls = verify_tls
        self._conns: dict[tuple[str, str, int], _Conn] = {}
        self._urls: dict[str, tuple[tuple[str, str, int], str, str]] = {}
        self._heads: dict[tuple[object, ...], tuple[bytes, bool]] = {}

    # -- connections -----------------------------------------------------------------------
    def _open(self, key: tuple[str, str, int]) -> _Conn:
        scheme, host, port = key
        sock = socket.create_connection((host, port), timeout=self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                sock = _tls_context(self.verify_tls).wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        conn = self._conns[key] = _Conn(sock)
        return conn

    def _drop(self, key: tuple[str, str, int]) -> None:
        conn = self._conns.pop(key, None)
        if conn is not None:
            conn.close()

    # -- requests --------------------------------------------------------------------------
    def _head(
        self, method: str, host_header: str, target: str, headers: dict[str, str] | None, body: bool
    ) -> tuple[bytes, bool]:
        """The request head, and whether a Content-Length line must follow it (per request)."""
        hkey = (method, host_header, target, body, tuple(headers.items()) if headers else ())
        cached = self._heads.get(hkey)
        if cached is None:
            send = {"Connection": "keep-alive"}
            if headers:
                send.update(headers)
            lower = {k.lower() for k in send}
            lines = [f"{method} {target} HTTP/1.1"]
            if "host" not in lower:
                lines.append(f"Host: {host_header}")
            if "accept-encoding" not in lower:
                lines.append("Accept-Encoding: identity")
            lines += [f"{k}: {v}" for k, v in send.items()]
            if any(c in line for line in lines for c in "\r\n\0") or " " in target:
                raise ValueError(f"control character or space in the request: {lines[0]!r}")
            with_length = (body or method in _BODY_METHODS) and not (
                "content-length" in lower or "transfer-encoding" in lower
            )
            text = "\r\n".join(lines) + ("\r\nContent-Length: " if with_length else "\r\n\r\n")
            try:
                head = text.encode("latin-1")
            except UnicodeEncodeError:
                head = text.encode("utf-8")
            if len(self._heads) >= _CACHE_MAX:
                self._heads.clear()
            cached = self._heads[hkey] = (head, with_length)
        return cached

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        read_limit: int | None = None,
    ) -> HttpResult:
        parsed = self._urls.get(url)
        if parsed is None:
            try:
                parsed = _target(url)
            except ValueError as exc:
                return HttpResult(status=NO_RESPONSE, error=f"{type(exc).__name__}: {exc}")
            if len(self._urls) >= _CACHE_MAX:
                self._urls.clear()
            self._urls[url] = parsed
        key, host_header, target = parsed
        try:
            head, with_length = self._head(method, host_header, target, headers, body is not None)
        except ValueError as exc:
            return HttpResult(status=NO_RESPONSE, error=f"{type(exc).__name__}: {exc}")
        if with_length:
            payload = body or b""
            message = head + str(len(payload)).encode() + b"\r\n\r\n" + payload
        else:
            message = head + body if body else head
        for attempt in (0, 1):
            conn = self._conns.get(key)
            reused = conn is not None
            try:
                if conn is None:
                    conn = self._open(key)
                elif conn.pos < len(conn.buf):  # bytes nobody asked for: start afresh
                    self._drop(key)
                    reused = False
                    conn = self._open(key)
                conn.received = False
                conn.sock.sendall(message)
                return self._response(key, conn, method, read_limit)
            except (RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                nothing = not (conn is not None and conn.received)
                self._drop(key)
                if reused and attempt == 0 and nothing:
                    continue  # a stale keep-alive connection: reopen once
                return HttpResult(status=NO_RESPONSE, error=f"{type(exc).__name__}: {exc}")
            except TimeoutError as exc:
                self._drop(key)
                return HttpResult(status=NO_RESPONSE, error=f"timeout after {self.timeout}s: {exc}")
            except (OSError, ProtocolError, ValueError) as exc:
                nothing = not (conn is not None and conn.received)
                self._drop(key)
                if (
                    reused
                    and attempt == 0
                    and nothing
                    and isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError)
                ):
                    continue  # a stale TLS connection
                return HttpResult(status=NO_RESPONSE, error=f"{type(exc).__name__}: {exc}")
        return HttpResult(status=NO_RESPONSE, error="unreachable")  # pragma: no cover

    def _response(
        self, key: tuple[str, str, int], conn: _Conn, method: str, read_limit: int | None
    ) -> HttpResult:
        while True:  # skip interim 1xx responses
            end = conn.buf.find(b"\r\n\r\n", conn.pos)
            sep = 4
            while end < 0:
                end = conn.buf.find(b"\n\n", conn.pos)  # a server ending lines with LF only
                if end >= 0:
                    sep = 2
                    break
                if len(conn.buf) - conn.pos > _MAX_HEAD:
                    raise ProtocolError("response head too long")
                conn.fill()
                end = conn.buf.find(b"\r\n\r\n", conn.pos)
            head = conn.buf[conn.pos : end].decode("latin-1")
            conn.pos = end + sep
            status, version, headers = _parse_head(head)
            if status >= 200 or status == 101:
                break
        keep = _DRAIN_BUDGET if read_limit is None else read_limit
        conn_tokens = headers.get("connection", "").lower()
        # HTTP/1.1 keeps the connection open unless told; HTTP/1.0 closes unless told
        close = "close" in conn_tokens if version == "HTTP/1.1" else "keep-alive" not in conn_tokens
        te = headers.get("transfer-encoding")
        cl = headers.get("content-length")
        if method == "HEAD" or status in (204, 304) or status < 200:
            data = b""
            close = close or status == 101
        elif te is not None and te.lower().rstrip().endswith("chunked"):
            data, close = self._chunked(conn, keep, read_limit is None, close)
        elif cl is not None and cl.strip().isdigit():
            n = int(cl)
            if read_limit is None:
                data = conn.read(n, n)
            elif n - read_limit > _DRAIN_BUDGET:  # not worth draining: drop the connection
                data = conn.read(min(n, read_limit), read_limit)
                close = True
            else:
                data = conn.read(n, read_limit)
        else:  # no framing: the body ends when the server closes
            data = conn.read_to_close(1 << 62 if read_limit is None else read_limit)
            close = True
        if close:
            self._drop(key)
        return HttpResult(status=status, headers=headers, body=data)

    @staticmethod
    def _chunked(conn: _Conn, keep: int, whole: bool, close: bool) -> tuple[bytes, bool]:
        parts: list[bytes] = []
        kept = 0
        seen = 0
        while True:
            size_line = conn.line()
            size_text = size_line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size: {size_line[:40]!r}") from None
            if size == 0:
                while conn.line():  # trailers, up to the blank line
                    pass
                return b"".join(parts), close
            want = size if whole else max(0, keep - kept)
            part = conn.read(size, want)
            if part:
                parts.append(part)
                kept += len(part)
            if conn.line():
                raise ProtocolError("chunk not followed by CRLF")
            seen += size
            if not whole and seen - keep > _DRAIN_BUDGET:
                return b"".join(parts), True  # not worth draining: drop the connection

    def close(self) -> None:
        for key in list(self._conns):
            self._drop(key)
