"""chaoslib's HTTP provider (requests) is imported only when an http provider runs.

Each check runs in a fresh interpreter: this test process has imported chaoslib already.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_engine_import_leaves_requests_out() -> None:
    out = run_python(
        """
        import sys
        import chaosrun.engine
        import chaoslib.activity, chaoslib.hypothesis
        print("requests" in sys.modules, "urllib3" in sys.modules)
        """
    )
    assert out.split() == ["False", "False"]


def test_http_provider_runs_through_the_stand_in() -> None:
    out = run_python(
        """
        import http.server, sys, threading, warnings
        import chaosrun.engine
        from chaoslib.activity import ensure_activity_is_valid, run_activity

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"pong")

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        activity = {
            "type": "probe",
            "name": "ping",
            "provider": {"type": "http", "url": f"http://127.0.0.1:{server.server_port}/"},
        }
        ensure_activity_is_valid(activity)
        result = run_activity(activity, {}, {})
        import chaoslib.provider.http as real
        from chaosrun.engine import lazy_http
        print(result["status"], result["body"], "requests" in sys.modules)
        print(type(real).__name__, real is sys.modules["chaoslib.provider.http"])
        print(hasattr(real, "requests"), lazy_http.real_module() is real)
        server.shutdown()
        """
    )
    first, second, third = out.splitlines()
    assert first == "200 pong True"
    assert second == "module True"  # the real module replaced the stand-in
    assert third == "True True"


def test_invalid_http_provider_is_reported_by_chaoslib() -> None:
    out = run_python(
        """
        import chaosrun.engine
        from chaoslib.activity import ensure_activity_is_valid
        from chaoslib.exceptions import InvalidActivity

        try:
            ensure_activity_is_valid(
                {"type": "probe", "name": "p", "provider": {"type": "http"}}
            )
        except InvalidActivity as exc:
            print("invalid:", exc)
        """
    )
    assert out.startswith("invalid: ")
    assert "URL" in out


def test_stand_in_keeps_spec_and_patches_reach_the_real_module() -> None:
    """``find_spec`` answers, and ``mock.patch`` on the stand-in acts on the real module."""
    out = run_python(
        """
        import importlib.util, sys
        from unittest import mock
        import chaosrun.engine
        stand_in = sys.modules["chaoslib.provider.http"]
        print(type(stand_in).__name__, importlib.util.find_spec("chaoslib.provider.http").name)
        sentinel = object()
        with mock.patch.object(stand_in, "requests", sentinel):
            real = sys.modules["chaoslib.provider.http"]
            print(real is not stand_in, real.requests is sentinel)
        print(real.requests is not sentinel, real.requests.__name__)
        """
    )
    assert out.split() == [
        "_LazyHttpProvider",
        "chaoslib.provider.http",
        "True",
        "True",
        "True",
        "requests",
    ]
