"""Pausing Python's cyclic garbage collector around start-up work and short batch jobs.

Importing chaosrun's libraries and building pydantic's schemas creates many container objects
that live until exit; young collections on the way scan them again and again: ~15 ms of a
~195 ms one-probe ``chaosrun run``, ~11 ms of a ~310 ms one-hour ``chaosrun report``
(``docs/benchmarks.md``). Reference counting frees objects as usual meanwhile. Commands pause
the collector only for their start-up and for short batch jobs; it is back on before anything
long-running (an experiment's method, a sandbox).

Re-enabling alone would only defer the work: everything made during the pause is then the
youngest generation, and the next collection scans it all. So the ``chaosrun`` process (not a
Python caller of :func:`chaosrun.cli.main.main`) calls ``gc.freeze()`` first, which moves
everything alive out of the collector's sight for good. That includes the cyclic garbage the
pause left behind (import-time functions, cells, temporary types): measured at ~0.6 MB for one
run and ~0.8 MB for a 20-experiment batch, kept once until exit and not growing with the run.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_freeze = False
_lock = threading.Lock()
_depth = 0  # pauses in progress (main() may run in several threads of one process)
_was_enabled = False


def freeze_after_pauses() -> None:
    """Called by the process entry point: the process is chaosrun's own, so what is alive after
    a pause can be moved out of the collector's sight (``gc.freeze``) instead of rescanned."""
    global _freeze
    _freeze = True


@contextmanager
def paused_collector() -> Iterator[None]:
    """Disable the cyclic collector for the block; the last of overlapping pauses (threads)
    leaves it as the first one found it."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if _freeze:
                    gc.freeze()
                if _was_enabled:
                    gc.enable()
