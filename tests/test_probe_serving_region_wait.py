"""activeactive.serving_region with wait_s: samples until the expected region serves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import InvalidInput, ProbeFailed
from chaosrun.probes.aa_serving_region import ServingRegion, ServingRegionParams
from chaosrun.probes.activeactive import serving_region


class _FailingBack(BaseHTTPRequestHandler):
    """us-east-1 is down for the first 4 requests (eu-west-1 serves), then serves again."""

    seen = 0

    def do_GET(self) -> None:
        type(self).seen += 1
        region = "eu-west-1" if type(self).seen <= 4 else "us-east-1"
        self.send_response(200)
        self.send_header("X-Chaosrun-Region", region)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def url() -> Iterator[str]:
    _FailingBack.seen = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FailingBack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/health"
    server.shutdown()


def test_waits_until_the_expected_region_serves(url: str) -> None:
    out = serving_region(url=url, samples=2, expect_region="us-east-1", wait_s=30)
    assert out["ok"] is True and out["region"] == "us-east-1"
    assert out["waited_s"] >= 1.0  # two samples of eu-west-1 first, a 1 s pause between
    assert _FailingBack.seen == 6


def test_gives_up_after_wait_s_and_fails(url: str) -> None:
    """A rollback that waited in vain fails (the run then reports exit 4, not a clean restore)."""
    started = time.monotonic()
    with pytest.raises(ProbeFailed, match="ap-south-1 did not serve"):
        serving_region(url=url, samples=1, expect_region="ap-south-1", wait_s=1.5)
    assert time.monotonic() - started >= 1.5


def test_stops_waiting_when_the_engine_says_stop(url: str) -> None:
    stop = threading.Event()
    params = ServingRegionParams(url=url, samples=1, expect_region="ap-south-1", wait_s=60)
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    with pytest.raises(ProbeFailed):
        ServingRegion(params, AwsClients(), stop).run()
    assert time.monotonic() - started < 10


def test_without_wait_one_sample_round(url: str) -> None:
    out = serving_region(url=url, samples=2, expect_region="us-east-1")
    assert out["ok"] is False and out["waited_s"] == 0.0 and _FailingBack.seen == 2


def test_wait_needs_url_and_expected_region() -> None:
    with pytest.raises(InvalidInput):
        serving_region(session="s", wait_s=5)
