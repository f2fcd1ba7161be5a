"""Chaos Toolkit python providers for registered faults.

``throttle = fault_provider(Throttle)`` gives a function that any Chaos Toolkit experiment can
call (``module: chaosrun.faults.awslambda, func: throttle``). Under chaosrun's engine the activity
is intercepted and run through :func:`apply_fault` directly; under plain ``chaos run`` the
function records to the ledger itself, and the control :mod:`chaosrun.control` restores at the end
(not declared: the injection warns, and the run is restored when the process exits).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chaosrun.faults.base import Fault
from chaosrun.faults.runtime import active_context, apply_fault


def fault_provider(fault_cls: type[Fault[Any, Any]]) -> Callable[..., dict[str, Any]]:
    def provider(configuration: dict[str, Any] | None = None, **arguments: Any) -> dict[str, Any]:
        ctx = active_context(configuration)
        if ctx.standalone:  # plain `chaos run`: is chaosrun's control there to restore?
            from chaosrun.control import guard_standalone

            guard_standalone(ctx)
        return apply_fault(ctx, fault_cls.name, arguments).model_dump(mode="json")

    provider.__name__ = fault_cls.name.rsplit(".", 1)[-1]
    provider.__doc__ = f"{fault_cls.summary}\n\nParameters: see `chaosrun list faults`."
    provider.fault_class = fault_cls  # type: ignore[attr-defined]
    return provider
