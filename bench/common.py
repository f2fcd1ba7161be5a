"""Shared benchmark plumbing: a moto server, a latency-adding proxy, timing helpers.

Benchmarks print ratios against a baseline measured in the same run, never absolute goals
checked by tests.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: tuple[str, int] = ("127.0.0.1", 0)
    delay: float = 0.0
    local = threading.local()

    def log_message(self, *args: Any) -> None:
        pass

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(*self.upstream, timeout=60)
            self.local.conn = conn
        return conn

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        time.sleep(self.delay)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        for attempt in (1, 2):
            conn = self._conn()
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward


@contextmanager
def latency_proxy(upstream_url: str, delay_s: float) -> Iterator[str]:
    """An HTTP proxy on loopback adding ``delay_s`` to every call (an AWS round trip)."""
    parts = urlsplit(upstream_url)
    handler = type(
        "Handler",
        (_ProxyHandler,),
        {
            "upstream": (parts.hostname, parts.port),
            "delay": delay_s,
            "local": threading.local(),
        },
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _serve(args: list[str]) -> tuple[object, str]:
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._emulator", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, **fake_aws_env()},
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


@contextmanager
def remote_emulator(delay_s: float) -> Iterator[tuple[str, str]]:
    """``(moto_url, proxy_url)``: a moto server and the latency proxy in front of it, each in a
    process of its own (see bench/_emulator.py)."""
    moto_proc, moto = _serve(["moto"])
    proxy_proc, proxy = _serve(["proxy", moto, str(delay_s)])
    try:
        yield moto, proxy
    finally:
        for proc in (proxy_proc, moto_proc):
            proc.stdin.close()  # type: ignore[attr-defined]
            proc.wait(timeout=30)  # type: ignore[attr-defined]


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def fake_aws_env() -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
