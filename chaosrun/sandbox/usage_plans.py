"""API keys and usage plans for the sandbox's API endpoints, as API Gateway applies them.

moto stores API keys, usage plans and their keys but enforces none of them, so a usage-plan
fault would change nothing a request could see. Here, for a method with ``apiKeyRequired``:

- the ``x-api-key`` header must name an enabled key that belongs to a usage plan covering the
  API's stage, else 403 ``Forbidden`` (API Gateway's answer, not a 401);
- that plan's throttle applies per key (token bucket of ``rateLimit``/``burstLimit``), or the
  per-method override in the plan's ``apiStages[].throttle`` (``"/orders/{id}/GET"``), else
  429 ``Too Many Requests``. A plan without a throttle does not throttle.

Methods that require no key are never subject to usage plans, which is what isolates keyless
customer traffic from partner throttling. Quotas (``quota.limit`` per day/week/month) are not
simulated.
"""

from __future__ import annotations

from typing import Any

from chaosrun.sandbox.throttle import TokenBuckets

FORBIDDEN = (403, "Forbidden", "ForbiddenException")
THROTTLED = (429, "Too Many Requests", "TooManyRequestsException")


class UsagePlans:
    """Per-key admission for key-required methods; token buckets kept across requests."""

    def __init__(self) -> None:
        self._buckets = TokenBuckets()

    def admit(
        self,
        backend: Any,
        api_id: str,
        stage: str,
        template: str,
        http_method: str,
        api_key: str | None,
    ) -> tuple[int, str, str] | None:
        """None to let the request through, else ``(status, message, error type)``."""
        key = _enabled_key(backend, api_key)
        if key is None:
            return FORBIDDEN
        plan = _plan_for(backend, key.id, api_id, stage)
        if plan is None:
            return FORBIDDEN
        limits = _limits(plan, api_id, stage, f"{template}/{http_method}")
        if limits is None:
            return None
        rate, burst = limits
        bucket_key = (plan.id, key.id, api_id, stage, template, http_method, rate, burst)
        return None if self._buckets.take(bucket_key, rate, burst) else THROTTLED


def _enabled_key(backend: Any, value: str | None) -> Any:
    if not value:
        return None
    for key in list(backend.keys.values()):
        if key.value == value and key.enabled:
            return key
    return None


def _plan_for(backend: Any, key_id: str, api_id: str, stage: str) -> Any:
    for plan_id, keys in list(backend.usage_plan_keys.items()):
        plan = backend.usage_plans.get(plan_id)
        if plan is None or key_id not in keys:
            continue
        if any(_stage_of(s) == (api_id, stage) for s in plan.api_stages or []):
            return plan
    return None


def _stage_of(api_stage: dict[str, Any]) -> tuple[str | None, str | None]:
    return api_stage.get("apiId"), api_stage.get("stage")


def _limits(plan: Any, api_id: str, stage: str, method_key: str) -> tuple[float, int] | None:
    """The (rate, burst) that applies: a per-method override of the plan's stage entry, else
    the plan's own throttle; None when neither is set."""
    for api_stage in plan.api_stages or []:
        if _stage_of(api_stage) != (api_id, stage):
            continue
        override = (api_stage.get("throttle") or {}).get(method_key)
        if override:
            return _pair(override)
    return _pair(plan.throttle) if plan.throttle else None


def _pair(throttle: dict[str, Any]) -> tuple[float, int] | None:
    rate, burst = throttle.get("rateLimit"), throttle.get("burstLimit")
    if rate is None and burst is None:
        return None
    # API Gateway's defaults when only one half is set: the account's 10,000 rps / 5,000 burst
    return float(10000.0 if rate is None else rate), int(float(5000 if burst is None else burst))
