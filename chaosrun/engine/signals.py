"""SIGINT/SIGTERM handling: the first signal stops the run (restore still runs); later signals
only say that restore is under way. The first one is reported to the run also when it lands
during restore and rollbacks, so that a batch never starts another experiment after it.
Installed only in the main thread; elsewhere the caller uses ``Runner.abort()``.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

RESTORING_MESSAGE = "chaosrun: restoring, please wait (restore always completes)"

Handler = Callable[[int, FrameType | None], None]


class StopSignalHandlers:
    """SIGINT and SIGTERM routed to one handler until :meth:`restore` puts the previous back.

    Shared by the run's :class:`SignalGuard` and the batch's ``BatchInterrupt``, which nest: each
    restores what it found. Python installs signal handlers from the main thread only; elsewhere
    :meth:`install` leaves them alone.
    """

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}

    def install(self, handler: Handler) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, handler)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()


class SignalGuard:
    def __init__(self, on_signal: Callable[[str], None], enabled: bool = True) -> None:
        self.on_signal = on_signal
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.restoring = False
        self.received: list[str] = []
        self._handlers = StopSignalHandlers()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        first = not self.received
        self.received.append(name)
        if not first:
            print(RESTORING_MESSAGE, file=sys.stderr, flush=True)
            return
        what = (
            "received while restoring: restore and rollbacks complete first, then the run stops"
            if self.restoring
            else "received, stopping and restoring..."
        )
        print(f"chaosrun: {name} {what}", file=sys.stderr, flush=True)
        # never take locks inside a signal handler: the interrupted main thread may hold them
        threading.Thread(
            target=self.on_signal, args=(name,), name="chaosrun-signal", daemon=True
        ).start()

    def __enter__(self) -> SignalGuard:
        if self.enabled:
            self._handlers.install(self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        self._handlers.restore()
