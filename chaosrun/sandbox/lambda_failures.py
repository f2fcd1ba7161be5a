"""failure-lambda, applied by the sandbox's runtime the way the failure-lambda layer does.

The function's ``FAILURE_INJECTION_PARAM`` names an SSM parameter; its value is parsed with
:meth:`chaosrun.faults.failure_lambda_config.FailureConfig.parse` (cached for at most 1 s, like
the layer's short cache). Modes: ``latency`` (sleep min..max ms before the handler), ``timeout``
(sleep until ``buffer_ms`` before the deadline), ``diskspace`` (not simulated), ``denylist``
(outbound connections of the handler to matching hosts fail), ``statuscode`` (return
``{"statusCode": N}`` without running the handler), ``exception`` (raise before the handler),
``corruption`` (replace the response ``body``).

Denylist patterns are matched against the host a call would reach on AWS: for boto3 calls the
service's regional hostname (``dynamodb.eu-west-1.amazonaws.com``), for any other connection the
host name being resolved.
"""

from __future__ import annotations

import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from chaosrun.faults.failure_lambda_config import PARAM_ENV, FailureConfig, MatchCondition

log = logging.getLogger(__name__)

CACHE_SECONDS = 1.0
_cache: dict[tuple[str, str, str], tuple[float, FailureConfig | None]] = {}
_cache_lock = threading.Lock()
_local = threading.local()
_hook_lock = threading.Lock()
_hooked = False


def load_config(account_id: str, region: str, env: dict[str, str]) -> FailureConfig | None:
    """The function's failure-lambda configuration, or None (no parameter, unreadable, bad)."""
    name = env.get(PARAM_ENV)
    if not name:
        return None
    key = (account_id, region, name)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    config: FailureConfig | None = None
    try:
        from moto.ssm.models import ssm_backends

        param = ssm_backends[account_id][region].get_parameter(name)
        if param is not None:
            config = FailureConfig.parse(param.value)
    except Exception as exc:  # the layer logs and runs the handler unchanged
        log.warning("failure-lambda parameter %s unusable: %s", name, exc)
    with _cache_lock:
        _cache[key] = (now, config)
    return config


def _lookup(event: Any, path: str) -> tuple[bool, Any]:
    cur = event
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return False, None
    return True, cur


def matches(conditions: list[MatchCondition] | None, event: Any) -> bool:
    for cond in conditions or []:
        found, value = _lookup(event, cond.path)
        op = cond.operator or "eq"
        if op == "exists":
            ok = found
        elif not found:
            ok = False
        elif op == "eq":
            ok = str(value) == cond.value
        elif op == "startsWith":
            ok = str(value).startswith(cond.value or "")
        else:
            ok = re.search(cond.value or "", str(value)) is not None
        if not ok:
            return False
    return True


# -- denylist -------------------------------------------------------------------------------
def _denied(host: str) -> bool:
    patterns: list[re.Pattern[str]] = getattr(_local, "denylist", [])
    return any(p.search(host) for p in patterns)


def _install_hooks() -> None:
    global _hooked
    with _hook_lock:
        if _hooked:
            return
        import botocore.endpoint
        from botocore.exceptions import EndpointConnectionError

        original_send = botocore.endpoint.Endpoint._send

        def _send(self: Any, request: Any) -> Any:
            if getattr(_local, "denylist", None):
                auth = request.headers.get("Authorization", b"")
                auth = auth.decode() if isinstance(auth, bytes) else str(auth)
                hosts = [self.host.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]]
                if "Credential=" in auth:
                    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
                    if len(scope) >= 4:
                        hosts.append(f"{scope[3]}.{scope[2]}.amazonaws.com")
                if any(_denied(h) for h in hosts):
                    raise EndpointConnectionError(endpoint_url=f"https://{hosts[-1]}")
            return original_send(self, request)

        botocore.endpoint.Endpoint._send = _send

        original_getaddrinfo = socket.getaddrinfo

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(_local, "denylist", None) and isinstance(host, str) and _denied(host):
                raise socket.gaierror(socket.EAI_NONAME, f"{host} is denylisted")
            return original_getaddrinfo(host, *args, **kwargs)

        socket.getaddrinfo = getaddrinfo
        _hooked = True


def run_with_failures(
    config: FailureConfig | None,
    event: Any,
    remaining_ms: Callable[[], int],
    handler: Callable[[], Any],
) -> Any:
    """Run ``handler`` with the failures ``config`` switches on for this ``event``."""
    if config is None or not config.enabled:
        return handler()
    active = {
        mode: section
        for mode, section in config.sections().items()
        if random.random() < section.rate and matches(section.match, event)
    }
    latency = config.latency if "latency" in active else None
    if latency is not None:
        low = float(latency.min_ms or 0)
        high = float(latency.max_ms if latency.max_ms is not None else low)
        time.sleep(random.uniform(low, max(low, high)) / 1000)
    timeout = config.timeout if "timeout" in active else None
    if timeout is not None:
        time.sleep(max(0.0, (remaining_ms() - float(timeout.buffer_ms or 0)) / 1000))
    statuscode = config.statuscode if "statuscode" in active else None
    if statuscode is not None:
        return {"statusCode": statuscode.status_code or 500}
    exception = config.exception if "exception" in active else None
    if exception is not None:
        raise Exception(exception.message or "Injected exception")  # as the layer: plain Error
    denylist = config.denylist if "denylist" in active else None
    if denylist is not None and denylist.patterns:
        _install_hooks()
        _local.denylist = [re.compile(p) for p in denylist.patterns]
    try:
        result = handler()
    finally:
        _local.denylist = []
    corruption = config.corruption if "corruption" in active else None
    if corruption is not None and isinstance(result, dict) and "body" in result:
        result = {**result, "body": corruption.body or ""}
    return result
