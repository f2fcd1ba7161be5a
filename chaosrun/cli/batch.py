"""A batch of experiments stopped by SIGINT/SIGTERM: no further experiment starts.

While an experiment runs, the engine's own handlers stop and restore it and record the signal
(``Runner.signal_received``), also one that lands during its restore and rollbacks. Between
experiments -- writing outputs, starting the next runner -- :class:`BatchInterrupt` catches the
signal, so a cancelled CI job never injects a new fault.
The experiments left are reported as not run, also in the combined Markdown and JUnit files.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType

NOT_RUN = "not run"


class BatchInterrupt:
    """Remembers the first SIGINT/SIGTERM received outside a run (main thread only).

    A signal that lands while a runner is being prepared, before the engine installs its own
    handlers, aborts that runner through :attr:`abort` (from a thread: a signal handler must
    take no locks the interrupted code may hold).
    """

    def __init__(self) -> None:
        #: why the batch stops ("interrupted by SIGTERM"), None while it goes on
        self.reason: str | None = None
        #: aborts the experiment being started, if any (``Runner.abort``)
        self.abort: Callable[[str], None] | None = None
        # here, not at module level: the sub-command's parser must not import the engine (a run
        # imports it later, with the collector paused: chaosrun.cli.collector)
        from chaosrun.engine.signals import StopSignalHandlers

        self._handlers = StopSignalHandlers()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        reason = f"interrupted by {signal.Signals(signum).name}"
        if self.reason is None:
            self.reason = reason
            print(f"chaosrun: {reason}: no further experiment will start", file=sys.stderr)
        abort = self.abort
        if abort is not None:
            threading.Thread(target=abort, args=(reason,), daemon=True).start()

    def __enter__(self) -> BatchInterrupt:
        self._handlers.install(self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        self._handlers.restore()


def announce_not_run(paths: Sequence[str], reason: str) -> None:
    print(
        f"chaosrun: {reason}: {len(paths)} experiment(s) not run: {', '.join(paths)}",
        file=sys.stderr,
    )


def markdown_not_run(paths: Sequence[str], reason: str) -> str:
    """The section appended to the combined Markdown summary."""
    if not paths:
        return ""
    lines = [f"### Not run ({reason})", ""]
    lines += [f"- `{path}`" for path in paths]
    return "\n".join(lines) + "\n"


def junit_not_run(xml: str, paths: Sequence[str], reason: str) -> str:
    """The combined JUnit file plus one suite per experiment not run, its case skipped."""
    if not paths:
        return xml
    import xml.etree.ElementTree as ET  # only for a batch stopped early

    root = ET.fromstring(xml)
    for path in paths:
        suite = ET.SubElement(
            root, "testsuite", name=path, tests="1", failures="0", errors="0", skipped="1"
        )
        case = ET.SubElement(suite, "testcase", name="run", classname=path)
        ET.SubElement(case, "skipped", message=f"{NOT_RUN}: {reason}")
    for key in ("tests", "skipped"):
        root.set(key, str(int(root.get(key, "0")) + len(paths)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
