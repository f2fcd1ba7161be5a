"""HTTP alert sinks against a local receiver (127.0.0.1) that checks each service's documented
payload schema, plus retries and the dispatcher's non-blocking behaviour."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from journal_factory import deviated_journal, held_journal

from chaosrun.alerts.config import Condition, parse_sinks
from chaosrun.alerts.dispatch import AlertDispatcher
from chaosrun.alerts.events import AlertContext, AlertEvent

PD_SEVERITIES = {"critical", "error", "warning", "info"}
OPSGENIE_CREATE_KEYS = {
    "message", "alias", "description", "responders", "visibleTo", "actions", "tags", "details",
    "entity", "source", "priority", "user", "note",
}  # fmt: skip
PD_TOP_KEYS = {
    "routing_key", "event_action", "dedup_key", "payload", "images", "links", "client",
    "client_url",
}  # fmt: skip
PD_PAYLOAD_KEYS = {
    "summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details",
}  # fmt: skip


def check_opsgenie_create(body: dict[str, Any]) -> None:
    assert set(body) <= OPSGENIE_CREATE_KEYS, set(body) - OPSGENIE_CREATE_KEYS
    assert isinstance(body["message"], str) and 0 < len(body["message"]) <= 130
    assert len(body.get("alias", "")) <= 512
    assert len(body.get("description", "")) <= 15000
    assert len(body.get("entity", "")) <= 512 and len(body.get("source", "")) <= 100
    tags = body.get("tags", [])
    assert len(tags) <= 20 and all(isinstance(t, str) and len(t) <= 50 for t in tags)
    details = body.get("details", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in details.items())
    assert body.get("priority", "P3") in {"P1", "P2", "P3", "P4", "P5"}
    for r in body.get("responders", []):
        assert r["type"] in {"team", "user", "escalation", "schedule"}


def check_pagerduty(body: dict[str, Any]) -> None:
    assert set(body) <= PD_TOP_KEYS, set(body) - PD_TOP_KEYS
    assert isinstance(body["routing_key"], str) and body["routing_key"]
    assert body["event_action"] in {"trigger", "acknowledge", "resolve"}
    assert 0 < len(body["dedup_key"]) <= 255
    if body["event_action"] == "trigger":
        p = body["payload"]
        assert set(p) <= PD_PAYLOAD_KEYS, set(p) - PD_PAYLOAD_KEYS
        assert 0 < len(p["summary"]) <= 1024
        assert isinstance(p["source"], str) and p["source"]
        assert p["severity"] in PD_SEVERITIES
    for link in body.get("links", []):
        assert set(link) <= {"href", "text"}


def check_slack(body: dict[str, Any]) -> None:
    assert body.get("text") or body.get("blocks")
    blocks = body.get("blocks", [])
    assert len(blocks) <= 50
    for b in blocks:
        assert b["type"] in {"header", "section", "context", "divider", "actions"}
        if b["type"] == "header":
            assert b["text"]["type"] == "plain_text" and len(b["text"]["text"]) <= 150
        if b["type"] == "section":
            if "text" in b:
                assert b["text"]["type"] in {"mrkdwn", "plain_text"}
                assert len(b["text"]["text"]) <= 3000
            fields = b.get("fields", [])
            assert len(fields) <= 10 and all(len(f["text"]) <= 2000 for f in fields)


@dataclass
class Hit:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.raw)


@dataclass
class Receiver:
    url: str
    hits: list[Hit] = field(default_factory=list)
    #: status codes to answer in turn (then 202); (code, headers)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    validator: Any = None
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event | None = None
    problems: list[str] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urlsplit(self.path)
            hit = Hit(unquote(parts.path), parse_qs(parts.query), dict(self.headers.items()), raw)
            state.hits.append(hit)
            state.entered.set()
            if state.release is not None:
                state.release.wait(30)
            code, headers = state.script.pop(0) if state.script else (202, {})
            if code < 300 and state.validator is not None:
                try:
                    state.validator(hit)
                except AssertionError as exc:  # answer 400 like the service would
                    state.problems.append(repr(exc))
                    code = 400
            self.send_response(code)
            for k, v in headers.items():
                self.send_header(k, v)
            out = b'{"result":"Request will be processed","status":"success"}'
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    if state.release is not None:
        state.release.set()
    server.shutdown()
    server.server_close()


FAST = {"attempts": 3, "base_delay": 0, "max_delay": 0, "timeout": 5}


def _dispatch(sinks: list[dict[str, Any]], events: list[AlertEvent], journal: Any = None):
    d = AlertDispatcher(sinks, report_base_url="https://reports.example.test/chaos")
    j = journal or deviated_journal()
    for e in events:
        d.notify(e, j)
    return d.close(timeout=30)


TRIGGER = AlertEvent(condition=Condition.RESTORE_FAILED)
RESOLVE = AlertEvent(condition=Condition.RESTORE_FAILED, action="resolve")


@pytest.mark.parametrize("region", ["us", "eu"])
def test_opsgenie_create_and_close_by_alias(receiver, monkeypatch, region):
    monkeypatch.setenv("OG_KEY", "og-key-123")

    def validate(hit: Hit) -> None:
        assert hit.headers["Authorization"] == "GenieKey og-key-123"
        if hit.path.endswith("/close"):
            assert hit.query == {"identifierType": ["alias"]}
            assert set(hit.body) <= {"user", "source", "note"}
        else:
            assert hit.path == "/v2/alerts"
            check_opsgenie_create(hit.body)

    receiver.validator = validate
    sink = {
        "type": "opsgenie",
        "region": region,
        "api_key": {"env": "OG_KEY"},
        "base_url": receiver.url,
        "responders": [{"type": "team", "name": "Orders"}],
        "tags": ["game-day"],
        "retry": FAST,
    }
    deliveries = _dispatch([sink], [TRIGGER, RESOLVE])
    assert [d.status for d in deliveries] == ["delivered", "delivered"], receiver.problems
    create, close = receiver.hits
    body = create.body
    assert body["alias"] == "chaosrun-20261128T100000Z-dev042-restore_failed"
    assert body["priority"] == "P1"
    assert body["details"]["report"].endswith("/chaos/20261128T100000Z-dev042.html")
    assert "payments-worker" in body["description"]
    assert "game-day" in body["tags"]
    assert close.path == "/v2/alerts/chaosrun-20261128T100000Z-dev042-restore_failed/close"
    assert [d.event for d in deliveries] == ["restore_failed:trigger", "restore_failed:resolve"]


def test_opsgenie_default_bases():
    from chaosrun.alerts.sinks import OPSGENIE_EU, OPSGENIE_US

    assert OPSGENIE_US == "https://api.opsgenie.com"
    assert OPSGENIE_EU == "https://api.eu.opsgenie.com"


def test_long_titles_are_clipped_to_the_limits(receiver, monkeypatch):
    monkeypatch.setenv("OG_KEY", "k")
    receiver.validator = lambda hit: check_opsgenie_create(hit.body)
    j = deviated_journal()
    j.experiment["title"] = "x" * 5000
    j.chaosrun.reason = "y" * 20000
    sink = {"type": "jsm", "api_key": {"env": "OG_KEY"}, "base_url": receiver.url, "retry": FAST}
    deliveries = _dispatch([sink], [TRIGGER], j)
    assert deliveries[0].status == "delivered", receiver.problems
    assert receiver.hits[0].path == "/jsm/ops/integration/v2/alerts"
    assert len(receiver.hits[0].body["message"]) == 130


def test_jsm_close_path(receiver, monkeypatch):
    monkeypatch.setenv("JSM_KEY", "jsm-key")
    sink = {"type": "jsm", "api_key": {"env": "JSM_KEY"}, "base_url": receiver.url, "retry": FAST}
    _dispatch([sink], [TRIGGER, RESOLVE])
    assert receiver.hits[1].path.startswith("/jsm/ops/integration/v2/alerts/chaosrun-")
    assert receiver.hits[1].path.endswith("-restore_failed/close")
    assert receiver.hits[1].headers["Authorization"] == "GenieKey jsm-key"


def test_pagerduty_trigger_and_resolve(receiver, monkeypatch):
    monkeypatch.setenv("PD_KEY", "R0UT1NGKEY")

    def validate(hit: Hit) -> None:
        assert hit.path == "/v2/enqueue"
        check_pagerduty(hit.body)

    receiver.validator = validate
    sink = {
        "type": "pagerduty",
        "routing_key": {"env": "PD_KEY"},
        "base_url": receiver.url,
        "component": "orders-api",
        "class": "chaos-experiment",
        "retry": FAST,
    }
    events = [AlertEvent(condition=Condition.DEVIATION), TRIGGER, RESOLVE]
    deliveries = _dispatch([sink], events)
    assert all(d.status == "delivered" for d in deliveries), receiver.problems
    dev, restore, resolve = (h.body for h in receiver.hits)
    assert dev["payload"]["severity"] == "warning"
    assert restore["payload"]["severity"] == "critical"
    assert restore["payload"]["class"] == "chaos-experiment"
    assert restore["routing_key"] == "R0UT1NGKEY"
    assert restore["links"][0]["href"].endswith("20261128T100000Z-dev042.html")
    assert resolve == {
        "routing_key": "R0UT1NGKEY",
        "event_action": "resolve",
        "dedup_key": "chaosrun-20261128T100000Z-dev042-restore_failed",
    }


def test_slack_blocks(receiver, monkeypatch):
    monkeypatch.setenv("SLACK_URL", receiver.url + "/services/T000/B000/XXXX")
    receiver.validator = lambda hit: check_slack(hit.body)
    deliveries = _dispatch([{"type": "slack", "webhook_url": {"env": "SLACK_URL"}}], [TRIGGER])
    assert deliveries[0].status == "delivered", receiver.problems
    body = receiver.hits[0].body
    assert receiver.hits[0].path == "/services/T000/B000/XXXX"
    assert body["blocks"][0]["type"] == "header"
    assert "<https://reports.example.test/chaos/" in json.dumps(body)


def test_webhook_is_signed_and_verifiable(receiver, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", "s3cr3t")
    sink = {"type": "webhook", "url": receiver.url + "/hook", "secret": {"env": "HOOK_SECRET"}}
    deliveries = _dispatch([sink], [TRIGGER])
    assert deliveries[0].status == "delivered"
    hit = receiver.hits[0]
    ts = hit.headers["X-Chaosrun-Timestamp"]
    expected = hmac.new(b"s3cr3t", ts.encode() + b"." + hit.raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hit.headers["X-Chaosrun-Signature"], "sha256=" + expected)
    assert hit.headers["X-Chaosrun-Event"] == "restore_failed:trigger"
    assert hit.body["dedup_key"] == "chaosrun-20261128T100000Z-dev042-restore_failed"
    assert hit.body["severity"] == "critical" and hit.body["priority"] == "P1"


def test_retries_429_honouring_retry_after_then_succeeds(receiver, monkeypatch):
    monkeypatch.setenv("PD_KEY", "k")
    receiver.script = [(429, {"Retry-After": "0"}), (503, {})]
    sink = {"type": "pagerduty", "routing_key": {"env": "PD_KEY"}, "base_url": receiver.url}
    sink["retry"] = FAST
    (delivery,) = _dispatch([sink], [TRIGGER])
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert len(receiver.hits) == 3


def test_400_is_not_retried(receiver, monkeypatch):
    monkeypatch.setenv("PD_KEY", "k")
    receiver.script = [(400, {})]
    sink = {"type": "pagerduty", "routing_key": {"env": "PD_KEY"}, "base_url": receiver.url}
    sink["retry"] = FAST
    (delivery,) = _dispatch([sink], [TRIGGER])
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "HTTP 400" in delivery.detail and "not retried" in delivery.detail
    assert len(receiver.hits) == 1


def test_gives_up_after_the_configured_attempts(receiver, monkeypatch):
    monkeypatch.setenv("PD_KEY", "k")
    receiver.script = [(500, {})] * 5
    sink = {"type": "pagerduty", "routing_key": {"env": "PD_KEY"}, "base_url": receiver.url}
    sink["retry"] = FAST
    (delivery,) = _dispatch([sink], [TRIGGER])
    assert delivery.status == "failed" and delivery.attempts == 3
    assert "after 3 attempts" in delivery.detail


def test_unreachable_sink_and_missing_secret_are_recorded_not_raised(monkeypatch):
    monkeypatch.setenv("SLACK_URL", "http://127.0.0.1:9/hook-with-secret-token")
    sinks = [
        {"type": "slack", "webhook_url": {"env": "SLACK_URL"}, "retry": FAST},
        {"type": "pagerduty", "routing_key": {"env": "NOT_SET_ANYWHERE"}},
    ]
    deliveries = _dispatch(sinks, [TRIGGER])
    assert [d.status for d in deliveries] == ["failed", "failed"]
    assert "secret-token" not in deliveries[0].detail
    assert "NOT_SET_ANYWHERE" in deliveries[1].detail


def test_notify_does_not_wait_for_delivery(receiver, monkeypatch):
    monkeypatch.setenv("PD_KEY", "k")
    receiver.release = threading.Event()
    sink = {"type": "pagerduty", "routing_key": {"env": "PD_KEY"}, "base_url": receiver.url}
    d = AlertDispatcher([sink])
    d.notify(TRIGGER, deviated_journal())
    # notify returned although the receiver has not answered (it waits for `release`)
    assert receiver.entered.wait(30)
    assert d.deliveries == []
    receiver.release.set()
    (delivery,) = d.close(timeout=30)
    assert delivery.status == "delivered"


def test_one_alert_per_condition_and_resolve_only_what_was_triggered(receiver, monkeypatch):
    monkeypatch.setenv("PD_KEY", "k")
    sink = {"type": "pagerduty", "routing_key": {"env": "PD_KEY"}, "base_url": receiver.url}
    ctx = AlertContext(run_id="r1", title="live")
    d = AlertDispatcher([sink])
    d.notify(AlertEvent(condition=Condition.ABORTED, action="resolve"), ctx)  # never triggered
    d.notify(AlertEvent(condition=Condition.DEVIATION), ctx)
    d.notify(AlertEvent(condition=Condition.DEVIATION), ctx)  # duplicate
    d.close(timeout=30)
    assert len(receiver.hits) == 1
    assert receiver.hits[0].body["dedup_key"] == "chaosrun-r1-deviation"


def test_sink_event_filter_and_journal_events(receiver, monkeypatch):
    monkeypatch.setenv("PD_KEY", "k")
    sinks = parse_sinks(
        [
            {
                "type": "pagerduty",
                "routing_key": {"env": "PD_KEY"},
                "base_url": receiver.url,
                "events": ["restore_failed"],
            }
        ]
    )
    d = AlertDispatcher(sinks)
    journal = deviated_journal()
    journal.chaosrun.alerts.clear()  # nothing alerted live during the run
    events = d.notify_journal(journal)
    assert {e.name for e in events} == {"restore_failed:trigger", "deviation:trigger"}
    deliveries = d.close(timeout=30)
    assert [x.event for x in deliveries] == ["restore_failed:trigger"]


def test_held_run_sends_nothing(receiver, monkeypatch):
    monkeypatch.setenv("PD_KEY", "k")
    sink = {"type": "pagerduty", "routing_key": {"env": "PD_KEY"}, "base_url": receiver.url}
    d = AlertDispatcher([sink])
    assert d.notify_journal(held_journal()) == []
    assert d.close(timeout=30) == []
    assert receiver.hits == []
