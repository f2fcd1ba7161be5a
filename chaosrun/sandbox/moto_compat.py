"""Where moto's answers differ from AWS's in a way that would make chaosrun misread state.

Applied by every process that runs moto for chaosrun: the sandbox (:meth:`Sandbox.start`), the
tests (``tests/conftest.py``) and the benchmarks' emulator. Each fix is a no-op once moto answers
like AWS. A plain moto server started by other means does not have them (use ``chaosrun
sandbox``).

- ``GetFunction`` omits ``Concurrency`` when a function's reserved concurrency is 0 (moto 5.2
  tests the value for truth); AWS returns ``{"ReservedConcurrentExecutions": 0}``. Without the
  fix a throttled function reads as "no reserved concurrency".
"""

from __future__ import annotations

from typing import Any

_FIXED = "_chaosrun_fixed"


def apply() -> None:
    """Install the fixes (idempotent)."""
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction.get_code
    if getattr(original, _FIXED, False):
        return

    def get_code(self: Any) -> dict[str, Any]:
        resp: dict[str, Any] = original(self)
        reserved = getattr(self, "reserved_concurrency", None)
        if reserved is not None and "Concurrency" not in resp:
            resp["Concurrency"] = {"ReservedConcurrentExecutions": int(reserved)}
        return resp

    setattr(get_code, _FIXED, True)
    LambdaFunction.get_code = get_code  # type: ignore[method-assign]
