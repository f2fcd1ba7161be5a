"""A fast loopback HTTP/1.1 server for the traffic benchmarks, run as its own process.

    python -m bench._httpserver --cpu 0 --lifetime 60 [--delay-ms 2 --dist lognormal]
        [--outage EPOCH:SECONDS ... --outage-mode 503|refused]

It prints ``PORT <n>`` on its first stdout line, then serves keep-alive requests until
``--lifetime`` seconds have passed (always bounded) or its stdin closes. Every response waits a
delay drawn from a known distribution (``fixed`` or ``lognormal`` with the given median), so
latency is a property of the server, and the generator under test is the only thing measured.

Outages are scripted on the wall clock (shared by every process on the machine):

- ``503``: every request inside ``[start, start + seconds)`` is answered 503 at once;
- ``refused``: at ``start`` the listening socket and every open connection are closed (clients
  get ``connection refused``/reset); at ``start + seconds`` the server listens again on the
  same port.

Only 127.0.0.1 is ever bound. Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
    b"X-Chaosrun-Region: local\r\n\r\nok"
)
UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\ndown"
)


class Behaviour:
    def __init__(self, args: argparse.Namespace) -> None:
        self.delay_s = args.delay_ms / 1000
        self.dist = args.dist
        self.mu = math.log(self.delay_s) if self.delay_s > 0 else 0.0
        self.sigma = args.sigma
        self.rnd = random.Random(args.seed)
        self.mode = args.outage_mode
        self.outages = [tuple(float(x) for x in o.split(":")) for o in args.outage]
        self.served = 0
        self.unavailable = 0

    def delay(self) -> float:
        if self.delay_s <= 0:
            return 0.0
        if self.dist == "lognormal":
            return self.rnd.lognormvariate(self.mu, self.sigma)
        return self.delay_s

    def down(self) -> bool:
        if self.mode != "503" or not self.outages:
            return False
        now = time.time()
        return any(start <= now < start + length for start, length in self.outages)


class Conn(asyncio.Protocol):
    def __init__(self, behaviour: Behaviour, open_conns: set[Conn]) -> None:
        self.b = behaviour
        self.open = open_conns
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.open.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open.discard(self)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end]
            length = 0
            lower = head.lower()
            at = lower.find(b"content-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at)
                length = int(lower[at + 15 : stop if stop >= 0 else None])
            total = end + 4 + length
            if len(self.buf) < total:
                return
            self.buf = self.buf[total:]
            self._answer()

    def _answer(self) -> None:
        if self.b.down():
            self.b.unavailable += 1
            self._write(UNAVAILABLE)
            return
        self.b.served += 1
        delay = self.b.delay()
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self._write, OK)
        else:
            self._write(OK)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


async def serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    behaviour = Behaviour(args)
    open_conns: set[Conn] = set()

    async def listen(port: int) -> asyncio.Server:
        return await loop.create_server(
            lambda: Conn(behaviour, open_conns),
            "127.0.0.1",
            port,
            reuse_address=True,
            backlog=1024,
        )

    server = await listen(args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)

    async def refuse(start: float, length: float) -> None:
        nonlocal server
        await asyncio.sleep(max(start - time.time(), 0))
        server.close()
        for c in list(open_conns):
            if c.transport is not None:
                c.transport.abort()
        await asyncio.sleep(max(start + length - time.time(), 0))
        server = await listen(port)

    tasks = []
    if args.outage_mode == "refused":
        for o in args.outage:
            start, length = (float(x) for x in o.split(":"))
            tasks.append(asyncio.create_task(refuse(start, length)))

    stdin_closed = asyncio.Event()
    loop.add_reader(
        sys.stdin.fileno(), lambda: stdin_closed.set() if not sys.stdin.read(1) else None
    )
    with suppress(TimeoutError):
        await asyncio.wait_for(stdin_closed.wait(), timeout=args.lifetime)
    for t in tasks:
        t.cancel()
    server.close()
    print(f"SERVED {behaviour.served} UNAVAILABLE {behaviour.unavailable}", flush=True)


@contextmanager
def http_server(
    cpu: int | None = 0,
    lifetime: float = 120.0,
    delay_ms: float = 0.0,
    dist: str = "fixed",
    sigma: float = 0.5,
    outages: list[tuple[float, float]] | None = None,
    outage_mode: str = "503",
) -> Iterator[str]:
    """Start the server in its own process; yields its base URL, stops it on exit."""
    cmd = [sys.executable, "-m", "bench._httpserver", "--lifetime", str(lifetime)]
    cmd += ["--delay-ms", str(delay_ms), "--dist", dist, "--sigma", str(sigma)]
    cmd += ["--outage-mode", outage_mode]
    if cpu is not None:
        cmd += ["--cpu", str(cpu)]
    for start, length in outages or []:
        cmd += ["--outage", f"{start}:{length}"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if line[:1] != ["PORT"]:
            raise RuntimeError(f"server did not start: {line}")
        yield f"http://127.0.0.1:{line[1]}"
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this core")
    parser.add_argument("--lifetime", type=float, default=120.0, help="exit after (seconds)")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="median response delay")
    parser.add_argument("--dist", choices=("fixed", "lognormal"), default="fixed")
    parser.add_argument("--sigma", type=float, default=0.5, help="lognormal shape")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--outage", action="append", default=[], help="EPOCH:SECONDS")
    parser.add_argument("--outage-mode", choices=("503", "refused"), default="503")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
