"""Interruptible waiting: a stop signal that wakes every waiter at once, and daemon workers.

Activities run in daemon threads so that the thread driving the run can stop waiting for them at
any moment (a provider call cannot be killed, only abandoned) and so that an abandoned call never
holds up interpreter exit the way ``ThreadPoolExecutor`` workers do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class StopSignal:
    """A ``threading.Event`` that also wakes future-waiters and sets linked events when set."""

    def __init__(self, name: str = "stop") -> None:
        self.name = name
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._wakers: set[threading.Event] = set()
        self._linked: list[threading.Event | StopSignal] = []

    def set(self) -> None:
        with self._lock:
            self._event.set()
            wakers = list(self._wakers)
            linked = list(self._linked)
        for waker in wakers:
            waker.set()
        for event in linked:
            event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def link(self, event: threading.Event | StopSignal) -> None:
        """Set ``event`` whenever this signal is set (at once if it already is)."""
        with self._lock:
            self._linked.append(event)
            already = self._event.is_set()
        if already:
            event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds; True if the signal was set (the pause interrupted)."""
        return self._event.wait(timeout)

    def wait_future(self, future: Future[Any], timeout: float | None = None) -> bool:
        """Wait until ``future`` is done, ``timeout`` passes or the signal is set.

        Returns whether the future is done.
        """
        waker = threading.Event()
        with self._lock:
            if self._event.is_set():
                return future.done()
            self._wakers.add(waker)
        try:
            future.add_done_callback(lambda _f: waker.set())
            waker.wait(timeout)
        finally:
            with self._lock:
                self._wakers.discard(waker)
        return future.done()


def spawn(fn: Callable[[], T], name: str = "chaosrun-activity") -> Future[T]:
    """Run ``fn`` in a new daemon thread; its result or exception lands in the returned future."""
    future: Future[T] = Future()
    future.set_running_or_notify_cancel()

    def target() -> None:
        try:
            result = fn()
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)

    threading.Thread(target=target, name=name, daemon=True).start()
    return future
