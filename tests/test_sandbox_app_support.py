"""Helpers shared by the data-plane component tests (route53, dns, alarms ...); no tests here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeEndpoint:
    """A loopback HTTP server whose ``status`` a test flips (stands in for a regional API)."""

    def __init__(self, body: bytes = b'{"status": "ok"}') -> None:
        self.status = 200
        self.body = body
        self.hits = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.hits += 1
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(endpoint.body)))
                self.end_headers()
                self.wfile.write(endpoint.body)

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def eventually(check: Callable[[], object], what: str, attempts: int = 400) -> object:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` otherwise.

    Not a timed assertion: the bound only keeps a broken component from hanging the suite.
    """
    for _ in range(attempts):
        value = check()
        if value:
            return value
        time.sleep(0.025)
    raise AssertionError(f"never happened: {what}")
