"""StopSignalHandlers, shared by the run's SignalGuard and the batch's BatchInterrupt: nested,
each puts back the SIGINT and SIGTERM handlers it found; off the main thread it changes nothing."""

from __future__ import annotations

import signal
import threading

from chaosrun.cli.batch import BatchInterrupt
from chaosrun.engine.signals import SignalGuard, StopSignalHandlers


def current() -> tuple[object, object]:
    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


def test_nested_guards_restore_what_each_found() -> None:
    before = current()
    with BatchInterrupt() as batch:
        batch_handlers = current()
        assert batch_handlers == (batch._handle, batch._handle)
        with SignalGuard(lambda _n: None) as guard:
            assert current() == (guard._handle, guard._handle)
        assert current() == batch_handlers
    assert current() == before


def test_install_outside_the_main_thread_changes_nothing() -> None:
    before = current()
    errors: list[BaseException] = []

    def body() -> None:
        handlers = StopSignalHandlers()
        try:
            handlers.install(lambda _s, _f: None)
            handlers.restore()
        except BaseException as exc:  # signal.signal raises ValueError off the main thread
            errors.append(exc)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert errors == [] and current() == before
