"""A scripted regional API on 127.0.0.1 for the traffic and active-active tests, and its tests.

``ScriptedServer`` speaks HTTP/1.1 keep-alive, sleeps a scripted latency per request, answers
503 during a scripted outage window, stores ``POST /orders`` bodies (``GET /orders/{id}`` reads
them back) and may *lose* acknowledged writes on purpose. Every response names its region in
``X-Chaosrun-Region``.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # listen backlog: many generator workers connect at once
    daemon_threads = True


class ScriptedServer:
    def __init__(
        self,
        region: str = "us-east-1",
        latency: Callable[[int], float] | None = None,
        lose_write: Callable[[dict[str, object]], bool] | None = None,
        orders: dict[str, dict[str, object]] | None = None,
    ) -> None:
        self.region = region
        self.latency = latency  # request number -> seconds to sleep
        self.lose_write = lose_write  # acknowledged but not stored
        self.orders: dict[str, dict[str, object]] = {} if orders is None else orders
        self.outage: tuple[float, float] | None = None  # monotonic [start, end): answer 503
        self.down = False  # answer 503 until cleared
        self.hits = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes

            def _reply(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Chaosrun-Region", server.region)
                self.end_headers()
                self.wfile.write(data)

            def _begin(self) -> bool:
                with server._lock:
                    n = server.hits
                    server.hits += 1
                if server.latency is not None:
                    time.sleep(server.latency(n))
                if server.unavailable():
                    self._reply(503, {"message": "Service Unavailable"})
                    return False
                return True

            def do_GET(self) -> None:
                if not self._begin():
                    return
                if self.path.startswith("/orders/"):
                    order = server.orders.get(self.path.rsplit("/", 1)[1])
                    self._reply(200 if order else 404, order or {"message": "not found"})
                else:
                    self._reply(200, {"status": "ok"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self._begin():
                    return
                if server.lose_write is None or not server.lose_write(body):
                    server.orders[str(body.get("id"))] = body
                self._reply(201, {"id": body.get("id"), "region": server.region})

            def log_message(self, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def unavailable(self) -> bool:
        if self.down:
            return True
        if self.outage is None:
            return False
        start, end = self.outage
        return start <= time.monotonic() < end

    def schedule_outage(self, starts_in: float, length: float) -> tuple[float, float]:
        """503 from ``starts_in`` seconds from now for ``length`` seconds; returns wall times."""
        mono = time.monotonic() + starts_in
        self.outage = (mono, mono + length)
        wall = time.time() + starts_in
        return wall, wall + length

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _get(url: str, path: str) -> tuple[int, dict[str, str], bytes]:
    host = url.split("//", 1)[1]
    conn = http.client.HTTPConnection(host, timeout=5)
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, dict(resp.getheaders()), resp.read()


def test_scripted_server_outage_orders_and_lost_writes() -> None:
    with ScriptedServer(region="eu-west-1", lose_write=lambda b: b.get("id") == "lost") as srv:
        status, headers, _ = _get(srv.url, "/")
        assert status == 200 and headers["X-Chaosrun-Region"] == "eu-west-1"
        host = srv.url.split("//", 1)[1]
        for oid in ("kept", "lost"):
            conn = http.client.HTTPConnection(host, timeout=5)
            conn.request("POST", "/orders", body=json.dumps({"id": oid}))
            assert conn.getresponse().status == 201
        assert _get(srv.url, "/orders/kept")[0] == 200
        assert _get(srv.url, "/orders/lost")[0] == 404
        srv.down = True
        assert _get(srv.url, "/")[0] == 503
        srv.down = False
        srv.schedule_outage(0, 3600)
        assert _get(srv.url, "/")[0] == 503
        srv.outage = None
        assert _get(srv.url, "/")[0] == 200
