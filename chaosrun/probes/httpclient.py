"""A tiny keep-alive HTTP client: one connection per (scheme, host, port), one pool per thread.

``http.client`` is the cheapest way to send many small requests from CPython; reusing the
connection avoids a TCP (and TLS) handshake per request. A stale keep-alive connection (closed by
the server between two requests) is reopened and the request retried once; any other failure is
reported as status 0 with the error text, never raised.

Standard library only: this module is also shipped inside the Lambda traffic worker package.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: status reported for connection errors and timeouts
NO_RESPONSE = 0


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


class HttpPool:
    """Keep-alive connections for one thread. Not thread-safe: give each worker its own."""

    def __init__(self, timeout: float = 5.0, verify_tls: bool = True) -> None:
        self.timeout = timeout
        self.verify_tls = verify_tls
        self._conns: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def _connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        conn = self._conns.get(key)
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(
                    host, port, timeout=self.timeout, context=_tls_context(self.verify_tls)
                )
            else:
                conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
            self._conns[key] = conn
        return conn

    def _drop(self, key: tuple[str, str, int]) -> None:
        conn = self._conns.pop(key, None)
        if conn is not None:
            conn.close()

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        read_limit: int | None = None,
    ) -> HttpResult:
        parts = urlsplit(url)
        scheme = parts.scheme or "http"
        host = parts.hostname or "localhost"
        port = parts.port or (443 if scheme == "https" else 80)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        key = (scheme, host, port)
        send_headers = {"Connection": "keep-alive"}
        if headers:
            send_headers.update(headers)
        for attempt in (0, 1):
            reused = key in self._conns
            conn = self._connection(scheme, host, port)
            try:
                conn.request(method, target, body=body, headers=send_headers)
                resp = conn.getresponse()
                data = resp.read() if read_limit is None else resp.read(read_limit)
                if read_limit is not None and not resp.isclosed():
                    resp.read()  # drain so the connection can be reused
                result = HttpResult(
                    status=resp.status,
                    headers={k.lower(): v for k, v in resp.getheaders()},
                    body=data,
                )
                if resp.will_close:
                    self._drop(key)
                return result
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop(key)
                if reused and attempt == 0:
                    continue  # a stale keep-alive connection: reopen once
                return HttpResult(status=NO_RESPONSE, error=f"{type(exc).__name__}: {exc}")
            except TimeoutError as exc:
                self._drop(key)
                return HttpResult(status=NO_RESPONSE, error=f"timeout after {self.timeout}s: {exc}")
            except (OSError, http.client.HTTPException) as exc:
                self._drop(key)
                return HttpResult(status=NO_RESPONSE, error=f"{type(exc).__name__}: {exc}")
        return HttpResult(status=NO_RESPONSE, error="unreachable")  # pragma: no cover

    def close(self) -> None:
        for key in list(self._conns):
            self._drop(key)
