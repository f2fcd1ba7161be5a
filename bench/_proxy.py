"""A lean HTTP/1.1 proxy adding a fixed delay per call: the network half of a remote AWS.

It relays bytes (request head and body, then the response) between each client connection and a
connection of its own to the upstream, parsing only what framing needs (``Content-Length``,
chunked responses). An earlier version built on ``ThreadingHTTPServer`` + ``http.client``
spent more CPU per call than moto itself and, on a 2-core machine shared with moto and the
client, capped throughput at ~200 calls/s: it measured the proxy, not the client under test.

With ``quotas`` (:data:`LAMBDA_QUOTAS`), it also answers Lambda's control-plane rate quotas the
way Lambda does: per account and region, ``GetFunction`` 100 requests/s, ``GetPolicy`` 15/s and
every other control-plane call together 15/s (invocations unlimited); a call over its quota gets
HTTP 429 ``TooManyRequestsException`` "Rate exceeded" and never reaches moto. Token buckets
hold one second's worth (AWS does not document the burst).
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from chaosrun.sandbox.throttle import TokenBuckets

_HEAD_END = b"\r\n\r\n"

#: (name, request-line pattern, requests/s): the first match applies; None = unlimited
#: (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html, "API requests")
LAMBDA_QUOTAS: list[tuple[str, re.Pattern[bytes], float | None]] = [
    ("Invoke", re.compile(rb"^POST /\d{4}-\d\d-\d\d/functions/[^/?]+/invocations"), None),
    ("GetFunction", re.compile(rb"^GET /2015-03-31/functions/[^/?]+/?(\?\S*)? "), 100.0),
    ("GetPolicy", re.compile(rb"^GET /2015-03-31/functions/[^/?]+/policy"), 15.0),
    ("control plane", re.compile(rb"^[A-Z]+ /\d{4}-\d\d-\d\d/"), 15.0),
]

_THROTTLED = (
    b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
    b"x-amzn-ErrorType: TooManyRequestsException\r\nContent-Length: %d\r\n\r\n%s"
)
_THROTTLED_BODY = b'{"Reason":"CallerRateLimitExceeded","Type":"User","message":"Rate exceeded"}'


class _Quotas:
    """One token bucket per quota name (refill ``rate``/s, capacity one second's worth)."""

    def __init__(self, rules: list[tuple[str, re.Pattern[bytes], float | None]]) -> None:
        self.rules = rules
        self.buckets = TokenBuckets()

    def admit(self, head: bytes) -> bool:
        for name, pattern, rate in self.rules:
            if pattern.match(head):
                return rate is None or self.buckets.take(name, rate, int(rate))
        return True


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


async def _read_body(reader: asyncio.StreamReader, head: bytes, response: bool) -> bytes:
    length = _header(head, b"content-length")
    if length is not None:
        return await reader.readexactly(int(length))
    if (_header(head, b"transfer-encoding") or b"").lower() == b"chunked":
        parts = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            parts.append(size_line + await reader.readexactly(size + 2))
            if size == 0:
                return b"".join(parts)
    status = head.split(b" ", 2)[1] if response else b""
    if not response or status in (b"204", b"304") or status.startswith(b"1"):
        return b""
    return await reader.read()  # no framing: the body runs to the end of the connection


async def _relay(
    client_r: asyncio.StreamReader,
    client_w: asyncio.StreamWriter,
    upstream: tuple[str, int],
    delay: float,
    quotas: _Quotas | None,
) -> None:
    up_r: asyncio.StreamReader | None = None
    up_w: asyncio.StreamWriter | None = None
    try:
        while True:
            try:
                head = await client_r.readuntil(_HEAD_END)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            body = await _read_body(client_r, head, response=False)
            await asyncio.sleep(delay)
            if quotas is not None and not quotas.admit(head):
                client_w.write(_THROTTLED % (len(_THROTTLED_BODY), _THROTTLED_BODY))
                await client_w.drain()
                continue
            if up_w is None or up_w.is_closing():
                up_r, up_w = await asyncio.open_connection(*upstream)
            assert up_r is not None
            up_w.write(head + body)
            resp_head = await up_r.readuntil(_HEAD_END)
            head_only = head.startswith(b"HEAD ")
            resp_body = b"" if head_only else await _read_body(up_r, resp_head, response=True)
            client_w.write(resp_head + resp_body)
            await client_w.drain()
            if (_header(resp_head, b"connection") or b"").lower() == b"close":
                up_w.close()
                up_w = None
    finally:
        if up_w is not None:
            up_w.close()
        client_w.close()


@contextmanager
def latency_proxy(
    upstream_url: str,
    delay_s: float,
    quotas: list[tuple[str, re.Pattern[bytes], float | None]] | None = None,
) -> Iterator[str]:
    """An HTTP proxy on loopback adding ``delay_s`` to every call (an AWS round trip), and
    answering 429 over ``quotas`` (e.g. :data:`LAMBDA_QUOTAS`) when given."""
    limiter = _Quotas(quotas) if quotas else None
    parts = urlsplit(upstream_url)
    upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    port: list[int] = []
    stopping: list[asyncio.Event] = []

    async def serve() -> None:
        stop = asyncio.Event()
        stopping.append(stop)
        server = await asyncio.start_server(
            lambda r, w: _relay(r, w, upstream, delay_s, limiter), "127.0.0.1", 0, backlog=512
        )
        port.append(server.sockets[0].getsockname()[1])
        started.set()
        async with server:  # closes the listener on the way out
            await stop.wait()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    serving = asyncio.run_coroutine_threadsafe(serve(), loop)
    started.wait(10)
    try:
        yield f"http://127.0.0.1:{port[0]}"
    finally:
        loop.call_soon_threadsafe(stopping[0].set)
        try:
            serving.result(10)
        except Exception as exc:  # reported, not raised over an error from the body
            print(f"latency proxy: failed while stopping: {exc!r}", file=sys.stderr)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
