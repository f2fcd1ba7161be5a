"""Pausing Python's cyclic garbage collector around start-up work and short batch jobs.

Importing chaosrun's libraries and building pydantic's schemas creates many container objects
that live until exit and hold no cycles worth collecting; young collections on the way scan
them again and again: ~15 ms of a ~195 ms one-probe ``chaosrun run``, ~11 ms of a ~310 ms
one-hour ``chaosrun report`` (``docs/benchmarks.md``). Reference counting frees objects as
usual meanwhile. Commands pause the collector only for their start-up and for short batch
jobs; it is back on before anything long-running (an experiment's method, a sandbox).

Re-enabling alone would only defer the work: everything made during the pause is then the
youngest generation, and the next collection scans it all. So the ``chaosrun`` process (not a
Python caller of :func:`chaosrun.cli.main.main`) freezes what the pause made first, as the
``gc.freeze`` documentation suggests for state built once at start-up.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_freeze = False


def freeze_after_pauses() -> None:
    """Called by the process entry point: the process is chaosrun's own, so what a pause made
    can be moved out of the collector's sight (``gc.freeze``) instead of rescanned."""
    global _freeze
    _freeze = True


@contextmanager
def paused_collector() -> Iterator[None]:
    """Disable the cyclic collector for the block; leave it enabled if it was."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _freeze:
            gc.freeze()
        if collecting:
            gc.enable()
