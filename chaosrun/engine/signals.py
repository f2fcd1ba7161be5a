"""SIGINT/SIGTERM handling: the first signal stops the run (restore still runs); later signals
only say that restore is under way. Installed only in the main thread; elsewhere the caller uses
``Runner.abort()``.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

RESTORING_MESSAGE = "chaosrun: restoring, please wait (restore always completes)"


class SignalGuard:
    def __init__(self, on_signal: Callable[[str], None], enabled: bool = True) -> None:
        self.on_signal = on_signal
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.restoring = False
        self.received: list[str] = []
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        first = not self.received
        self.received.append(name)
        if self.restoring or not first:
            print(RESTORING_MESSAGE, file=sys.stderr, flush=True)
            return
        print(f"chaosrun: {name} received, stopping and restoring...", file=sys.stderr, flush=True)
        # never take locks inside a signal handler: the interrupted main thread may hold them
        threading.Thread(
            target=self.on_signal, args=(name,), name="chaosrun-signal", daemon=True
        ).start()

    def __enter__(self) -> SignalGuard:
        if self.enabled:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
