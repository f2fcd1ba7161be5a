"""SignalGuard: first signal stops the run, later ones only say restore is under way."""

from __future__ import annotations

import os
import signal
import threading

from chaosrun.engine.signals import RESTORING_MESSAGE, SignalGuard


def test_first_signal_stops_later_ones_only_report(capsys) -> None:
    called = threading.Event()
    names: list[str] = []

    def on_signal(name: str) -> None:
        names.append(name)
        called.set()

    previous = signal.getsignal(signal.SIGINT)
    with SignalGuard(on_signal) as guard:
        os.kill(os.getpid(), signal.SIGINT)
        assert called.wait(30)
        guard.restoring = True
        os.kill(os.getpid(), signal.SIGINT)  # no KeyboardInterrupt: restore must not stop
        os.kill(os.getpid(), signal.SIGTERM)
    assert names == ["SIGINT"]
    assert guard.received == ["SIGINT", "SIGINT", "SIGTERM"]
    assert capsys.readouterr().err.count(RESTORING_MESSAGE) == 2
    assert signal.getsignal(signal.SIGINT) is previous


def test_not_installed_outside_the_main_thread() -> None:
    seen: dict[str, bool] = {}

    def body() -> None:
        with SignalGuard(lambda _n: None) as guard:
            seen["enabled"] = guard.enabled

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == {"enabled": False}
