"""The engine alerts on-call as things happen: a signed webhook receives the deviation while the
run is still restoring, and every delivery lands in the journal."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chaosrun.alerts.config import AlertSettings
from chaosrun.engine import Runner, RunOptions
from chaosrun.experiment.extensions import ChaosrunSettings
from chaosrun.ledger import Ledger


class Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    handler = type("H", (Receiver,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler.received
    server.shutdown()


def _experiment(probe_value: bool) -> dict:
    return {
        "title": "alerting",
        "steady-state-hypothesis": {
            "title": "h",
            "probes": [
                {
                    "type": "probe",
                    "name": "p",
                    "tolerance": True,
                    "provider": {
                        "type": "python",
                        "module": "json",
                        "func": "loads",
                        "arguments": {"s": "true" if probe_value else "false"},
                    },
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "noop",
                "provider": {
                    "type": "python",
                    "module": "json",
                    "func": "dumps",
                    "arguments": {"obj": 1},
                },
            }
        ],
    }


def _run(exp: dict, url: str, tmp_path, from_file: bool) -> object:
    sink = {"type": "webhook", "url": url, "secret": {"env": "HOOK_KEY"}}
    settings = ChaosrunSettings.model_validate({} if from_file else {"alerts": [sink]})
    options = RunOptions(
        handle_signals=False,
        alert_settings=AlertSettings.model_validate({"sinks": [sink]}) if from_file else None,
    )
    return Runner(exp, settings, ledger=Ledger(tmp_path / "l"), options=options).run()


@pytest.mark.parametrize("from_file", [False, True])
def test_deviation_alerted_and_recorded(receiver, tmp_path, monkeypatch, from_file) -> None:
    monkeypatch.setenv("HOOK_KEY", "s3cret-signing-key")
    url, received = receiver
    journal = _run(_experiment(False), url, tmp_path, from_file)
    assert journal.chaosrun.verdict.value == "deviated"
    conditions = [(m.get("condition"), m.get("action")) for m in received]
    assert ("deviation", "trigger") in conditions, received
    delivered = [a for a in journal.chaosrun.alerts if a.status == "delivered"]
    assert delivered and all(a.sink == "webhook" for a in delivered)
    assert "s3cret-signing-key" not in journal.to_json()


def test_no_sinks_no_alerts(tmp_path) -> None:
    journal = Runner(
        _experiment(True), ledger=Ledger(tmp_path / "l"), options=RunOptions(handle_signals=False)
    ).run()
    assert journal.chaosrun.alerts == []
