"""Open reports in headless Chromium and check: no console errors, no network requests, no
horizontal overflow on a phone-sized screen; take screenshots.

Talks the DevTools protocol over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out, messages
separated by NUL): no websocket client, no port, nothing listening. Skipped only when Chromium
is not installed (CI: ``apt-get install -y chromium``).

``CHAOSRUN_SCREENSHOTS=docs/screenshots pytest tests/test_report_browser.py`` refreshes the
screenshots in the docs.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from journal_factory import deviated_journal, held_journal

from chaosrun.report.html import render_html
from chaosrun.report.index import write_index

CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
CHROMIUM = next((c for c in CANDIDATES if os.path.exists(c)), shutil.which("chromium"))
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)
WAIT = 60.0  # seconds before giving up on an answer (a hang guard, not an assertion)


class Browser:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, user_data_dir: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_fds() -> None:  # in the child: fd 3 = commands in, fd 4 = messages out
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                f"--user-data-dir={user_data_dir}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire_fds,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_chrome, 65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                self._messages.put(json.loads(raw))

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None):
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._messages.get(timeout=WAIT)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        for e in self.events:
            if e.get("method") == method:
                return e
        while True:
            msg = self._messages.get(timeout=WAIT)
            self.events.append(msg)
            if msg.get("method") == method:
                return msg

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._to_chrome)


def inspect(page: Path, user_data_dir: Path, screenshot: Path | None = None) -> dict[str, Any]:
    """Load ``page``; return its console problems, network requests and layout facts."""
    b = Browser(user_data_dir)
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            b.send(f"{domain}.enable", session=s)
        b.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=s,
        )
        b.events.clear()
        b.send("Page.navigate", {"url": page.as_uri()}, session=s)
        b.wait_for("Page.loadEventFired")
        title = b.send(
            "Runtime.evaluate", {"expression": "document.title", "returnByValue": True}, session=s
        )["result"]["value"]
        if screenshot is not None:
            size = b.send("Page.getLayoutMetrics", session=s)["cssContentSize"]
            shot = b.send(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": 1200, "height": size["height"], "scale": 1},
                },
                session=s,
            )
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        b.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
            session=s,
        )
        overflow = b.send(
            "Runtime.evaluate",
            {
                "expression": "document.documentElement.scrollWidth - window.innerWidth",
                "returnByValue": True,
            },
            session=s,
        )["result"]["value"]
        # let late messages (CSP reports, console) arrive: one more round trip
        b.send("Runtime.evaluate", {"expression": "1"}, session=s)
        events = list(b.events)
    finally:
        b.close()
    problems = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning"):
            problems.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            problems.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            problems.append(f"log {params['entry']['source']}: {params['entry']['text']}")
    requests = [
        e["params"]["request"]["url"]
        for e in events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    foreign = [u for u in requests if u != page.as_uri() and not u.startswith("data:")]
    return {"title": title, "problems": problems, "requests": foreign, "overflow": overflow}


def _shot_dir(tmp_path: Path) -> Path:
    target = os.environ.get("CHAOSRUN_SCREENSHOTS")
    out = Path(target) if target else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("build", "shot", "word"),
    [
        (held_journal, "report-held.png", "Held"),
        (deviated_journal, "report-deviated.png", "Restore incomplete"),
    ],
)
def test_report_in_chromium(tmp_path, build, shot, word):
    page = tmp_path / "report.html"
    page.write_text(render_html(build()), encoding="utf-8")
    png = _shot_dir(tmp_path) / shot
    result = inspect(page, tmp_path / "profile", png)
    assert result["problems"] == []
    assert result["requests"] == []
    assert word in result["title"]
    assert result["overflow"] <= 0, "the page scrolls sideways on a phone"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_index_in_chromium(tmp_path):
    for j in (held_journal(), deviated_journal()):
        (tmp_path / f"{j.chaosrun.run_id}.json").write_text(j.to_json())
    result = inspect(write_index(tmp_path), tmp_path / "profile")
    assert result["problems"] == [] and result["requests"] == []
    assert result["overflow"] <= 0


@pytest.mark.slow
def test_the_checker_sees_requests_and_console_errors(tmp_path):
    """Control: a page that breaks both rules must be caught (so the tests above can fail)."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><title>bad</title>"
        '<img src="http://127.0.0.1:9/pixel.png" alt="">'
        "<script>console.error('boom')</script>",
        encoding="utf-8",
    )
    result = inspect(page, tmp_path / "profile")
    assert "http://127.0.0.1:9/pixel.png" in result["requests"]
    assert any("console.error" in p for p in result["problems"])
