"""Chaos Toolkit python providers for registered faults.

``throttle = fault_provider(Throttle)`` gives a function that any Chaos Toolkit experiment can
call (``module: chaosrun.faults.awslambda, func: throttle``). Under chaosrun's engine the activity
is intercepted and run through :func:`apply_fault` directly; under plain ``chaos run`` the
function records to the ledger itself, and the control :mod:`chaosrun.control` restores at the end
(not declared: the injection warns, and the run is restored when the process exits).

Calls in progress are counted per run (:data:`IN_FLIGHT`): a restore at process exit must wait
for them, or a write still in flight would land after the restore and stay.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chaosrun.errors import RunAborted
from chaosrun.faults.base import Fault
from chaosrun.faults.runtime import FaultContext, active_context, apply_fault


class InFlight:
    """Fault provider calls in progress, per run, and a way to stop new ones and wait for them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._calls: Counter[str] = Counter()

    @contextmanager
    def call(self, ctx: FaultContext) -> Iterator[None]:
        """Count one provider call; refuse it if the run is already cancelled (ending)."""
        with self._cond:
            if ctx.cancel.is_set():
                raise RunAborted(
                    f"run {ctx.run_id} is ending (cancelled); this fault was not injected"
                )
            self._calls[ctx.run_id] += 1
        try:
            yield
        finally:
            with self._cond:
                self._calls[ctx.run_id] -= 1
                if not self._calls[ctx.run_id]:
                    del self._calls[ctx.run_id]
                self._cond.notify_all()

    def cancel_and_wait(self, ctx: FaultContext, timeout: float) -> bool:
        """Set ``ctx.cancel`` (fan-outs stop changing targets, new calls are refused), then wait
        up to ``timeout`` seconds for the calls in flight. False if some are still running."""
        deadline = time.monotonic() + timeout
        with self._cond:
            ctx.cancel.set()
            while self._calls[ctx.run_id] > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True


IN_FLIGHT = InFlight()


def fault_provider(fault_cls: type[Fault[Any, Any]]) -> Callable[..., dict[str, Any]]:
    def provider(configuration: dict[str, Any] | None = None, **arguments: Any) -> dict[str, Any]:
        ctx = active_context(configuration)
        with IN_FLIGHT.call(ctx):
            if ctx.standalone:  # plain `chaos run`: is chaosrun's control there to restore?
                from chaosrun.control import guard_standalone

                guard_standalone(ctx)
            return apply_fault(ctx, fault_cls.name, arguments).model_dump(mode="json")

    provider.__name__ = fault_cls.name.rsplit(".", 1)[-1]
    provider.__doc__ = f"{fault_cls.summary}\n\nParameters: see `chaosrun list faults`."
    provider.fault_class = fault_cls  # type: ignore[attr-defined]
    return provider
