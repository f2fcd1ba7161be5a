"""Route 53 health checks, evaluated for real.

moto stores health checks but every one of them reports Success. This component probes each
health check's endpoint (``IPAddress``/``Port``/``ResourcePath``, or ``FullyQualifiedDomainName``)
every ``RequestInterval`` seconds (scaled by ``ctx.time_scale``) and keeps AWS's bookkeeping:

- a check turns **unhealthy** after ``FailureThreshold`` consecutive failed probes and
  **healthy** again after ``FailureThreshold`` consecutive successful ones (a new check starts
  healthy);
- ``Inverted`` flips the verdict; ``Disabled`` checks are not probed and count as healthy;
- ``CALCULATED`` checks are healthy when at least ``HealthThreshold`` children are (AWS's
  ``Inverted``/``Disabled`` rules apply on top);
- types: ``HTTP``/``HTTPS`` (2xx/3xx within the timeout), ``HTTP_STR_MATCH``/``HTTPS_STR_MATCH``
  (additionally ``SearchString`` in the first 5,120 bytes of the body) and ``TCP`` (connect).

Health checks are created and updated through moto's API as usual; each tick reads them from
moto's Route 53 backend and every probe reads the check's configuration when it starts, so
``UpdateHealthCheck`` (a fault flipping ``Inverted`` or changing ``ResourcePath``/``Port``)
applies at once: ``Inverted`` to the verdict, the endpoint fields from the next probe on.
``UpdateHealthCheck``'s ``ResetElements`` (which moto ignores) is applied here before moto
handles the rest of the request.

What a probe sees, as on AWS:

- ``GetHealthCheckStatus`` (answered here) lists one observation per checker region (the check's
  ``Regions``, or AWS's default eight) with the last probe's ``StatusReport``, e.g.
  ``"Success: HTTP Status Code 200, OK"`` or ``"Failure: HTTP Status Code 503, Service
  Unavailable. Resolved IP: 127.0.0.1"``. The sandbox probes once per interval on behalf of all
  checkers, so they agree. For an inverted check the prefix is the inverted verdict and the text
  says ``(inverted)``.
- metric ``AWS/Route53 HealthCheckStatus`` (1 healthy / 0 unhealthy, dimension ``HealthCheckId``)
  and ``HealthCheckPercentageHealthy`` in us-east-1 after every evaluation.

Other components ask :meth:`Route53Health.is_healthy`.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Response

from chaosrun.sandbox.base import AwsRequest, Component, SandboxContext

log = logging.getLogger(__name__)

#: AWS's default health-checker regions when a check names none
DEFAULT_CHECKER_REGIONS = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
]
#: AWS waits 4 s to connect and 2 s for the first byte; loopback needs no more
PROBE_TIMEOUT_SECONDS = 2.0
#: AWS searches this many leading bytes of the body for ``SearchString``
SEARCH_WINDOW_BYTES = 5120
#: how often the scheduler looks for due checks (real seconds)
TICK_SECONDS = 0.02


def aws_response(service: str, operation: str, result: dict[str, Any]) -> Response:
    """Serialise ``result`` as moto would answer ``operation`` (XML, JSON... per protocol)."""
    from moto.core.serialize import get_serializer_class
    from moto.core.utils import get_service_model

    model = get_service_model(service)
    serializer = get_serializer_class(service, model.protocol)(
        operation_model=model.operation_model(operation)
    )
    out = serializer.serialize(result)
    return Response(out["body"], status=out["status_code"], headers=dict(out["headers"]))


def aws_error(service: str, code: str, message: str, status: int = 400) -> Response:
    """An AWS-style error in the service's protocol (rest-xml or json)."""
    from moto.core.utils import get_service_model

    protocol = get_service_model(service).protocol
    if protocol in ("json", "rest-json"):
        import json

        body = json.dumps({"__type": code, "message": message})
        return Response(body, status=status, content_type="application/x-amz-json-1.1")
    body = (
        '<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{_xml_escape(message)}</Message></Error></ErrorResponse>"
    )
    return Response(body, status=status, content_type="text/xml")


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def route53_backend(ctx: SandboxContext) -> Any:
    from moto.route53.models import route53_backends

    return route53_backends[ctx.account_id]["aws"]


def put_metric(
    ctx: SandboxContext,
    region: str,
    namespace: str,
    name: str,
    value: float,
    dimensions: dict[str, str],
    unit: str = "None",
) -> None:
    """Store one datapoint in moto's CloudWatch, as an AWS service would publish it."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core.utils import utcnow

    cloudwatch_backends[ctx.account_id][region].put_metric_data(
        namespace,
        [
            {
                "MetricName": name,
                "Value": value,
                "Unit": unit,
                "Timestamp": utcnow(),
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            }
        ],
    )


@dataclass
class ProbeResult:
    ok: bool
    report: str  # AWS-style text after "Success: " / "Failure: "
    checked: datetime


@dataclass
class CheckState:
    """What the checkers know about one health check."""

    healthy_raw: bool = True  # thresholded, before Inverted/Disabled
    consecutive_ok: int = 0
    consecutive_fail: int = 0
    next_due: float = 0.0
    in_flight: bool = False
    probes: int = 0
    last: ProbeResult | None = None
    history: list[bool] = field(default_factory=list)


def probe(hc: Any, timeout: float = PROBE_TIMEOUT_SECONDS) -> ProbeResult:
    """Probe a moto ``HealthCheck`` once and describe the outcome as Route 53 does."""
    from moto.core.utils import utcnow

    kind = str(hc.type_ or "HTTP").upper()
    host = hc.ip_address or hc.fqdn or "127.0.0.1"
    port = int(hc.port or (443 if kind.startswith("HTTPS") else 80))
    resolved = f"Resolved IP: {host}"
    try:
        if kind == "TCP":
            with socket.create_connection((host, port), timeout=timeout):
                pass
            return ProbeResult(True, "TCP connection established.", utcnow())
        conn: http.client.HTTPConnection
        if kind.startswith("HTTPS"):
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            path = hc.resource_path or "/"
            if not path.startswith("/"):
                path = "/" + path
            headers = {"User-Agent": "Amazon-Route53-Health-Check-Service (ref chaosrun)"}
            if hc.fqdn:
                headers["Host"] = hc.fqdn
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read(SEARCH_WINDOW_BYTES)
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as exc:
        reason = "Connection timed out" if isinstance(exc, TimeoutError) else str(exc)
        if isinstance(exc, ConnectionRefusedError):
            reason = "Connection refused"
        elif isinstance(exc, ConnectionResetError):
            reason = "Connection reset"
        return ProbeResult(
            False,
            f"{reason}. The endpoint or the internet connection is down, or requests are "
            f"being blocked by your firewall. {resolved}",
            utcnow(),
        )
    status = f"HTTP Status Code {response.status}, {response.reason}"
    if not 200 <= response.status < 400:
        return ProbeResult(False, f"{status}. {resolved}", utcnow())
    if kind.endswith("STR_MATCH"):
        needle = (hc.search_string or "").encode()
        if needle not in body:
            return ProbeResult(
                False,
                f"{status}. Search string '{hc.search_string}' not found in the response "
                f"body. {resolved}",
                utcnow(),
            )
    return ProbeResult(True, status, utcnow())


class Route53Health(Component):
    """Evaluates Route 53 health checks against their endpoints. See the module docstring."""

    name = "route53_health"
    order = 40

    def __init__(self) -> None:
        self.ctx: SandboxContext | None = None
        self._states: dict[str, CheckState] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._stop = threading.Event()

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="r53-checker")
        self._thread = threading.Thread(target=self._run, name="r53-health", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    # -- public ---------------------------------------------------------------------------
    def is_healthy(self, health_check_id: str) -> bool:
        """Route 53's verdict for a health check now (unknown ids count as healthy)."""
        if self.ctx is None:
            return True
        checks = route53_backend(self.ctx).health_checks
        return self._verdict(checks, health_check_id, set())

    def probes_done(self, health_check_id: str) -> int:
        """How many probes the checkers completed for a health check (for tests and waits)."""
        with self._lock:
            state = self._states.get(health_check_id)
            return state.probes if state else 0

    def wait_for_probes(self, health_check_id: str, count: int, timeout: float = 30.0) -> bool:
        """Block until ``count`` more probes of the check have completed (False on timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            start = self._states[health_check_id].probes if health_check_id in self._states else 0
            while True:
                state = self._states.get(health_check_id)
                if state is not None and state.probes >= start + count:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)

    # -- AWS API --------------------------------------------------------------------------
    def intercept(self, request: AwsRequest) -> Response | None:
        if request.service == "route53" and request.operation == "UpdateHealthCheck":
            self._reset_elements(request)
            return None  # moto applies the other fields
        if request.service != "route53" or request.operation != "GetHealthCheckStatus":
            return None
        assert self.ctx is not None
        hc_id = request.path.rstrip("/").split("/")[-2]
        hc = route53_backend(self.ctx).health_checks.get(hc_id)
        if hc is None:
            return aws_error(
                "route53",
                "NoSuchHealthCheck",
                f"A health check with id {hc_id} does not exist.",
                404,
            )
        return aws_response(
            "route53", "GetHealthCheckStatus", {"HealthCheckObservations": self._observations(hc)}
        )

    def _reset_elements(self, request: AwsRequest) -> None:
        """Clear the fields named by ``ResetElements`` (AWS: back to absent/default)."""
        import xml.etree.ElementTree as ET

        assert self.ctx is not None
        try:
            root = ET.fromstring(request.body or b"<x/>")
        except ET.ParseError:
            return  # moto answers the malformed request
        names = {e.text for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "ResettableElementName"}
        hc = route53_backend(self.ctx).health_checks.get(request.path.rstrip("/").split("/")[-1])
        if hc is None or not names:
            return
        if "ResourcePath" in names:
            hc.resource_path = None
        if "FullyQualifiedDomainName" in names:
            hc.fqdn = None
        if "Regions" in names:
            hc.regions = None
        if "ChildHealthChecks" in names:
            hc.children = None

    def _observations(self, hc: Any) -> list[dict[str, Any]]:
        from moto.core.utils import utcnow

        with self._lock:
            state = self._states.get(hc.id)
            last = state.last if state else None
        if hc.type_ == "CALCULATED":
            return []
        if last is None:
            ok, text, checked = True, "Health check has not been evaluated yet", utcnow()
        else:
            ok, text, checked = last.ok, last.report, last.checked
        if hc.inverted and not hc.disabled:
            ok, text = not ok, f"{text} (inverted)"
        prefix = "Success" if ok else "Failure"
        return [
            {
                "Region": region,
                "IPAddress": "127.0.0.1",
                "StatusReport": {"Status": f"{prefix}: {text}", "CheckedTime": checked},
            }
            for region in (hc.regions or DEFAULT_CHECKER_REGIONS)
        ]

    # -- evaluation -----------------------------------------------------------------------
    def _verdict(self, checks: dict[str, Any], hc_id: str, seen: set[str]) -> bool:
        hc = checks.get(hc_id)
        if hc is None or hc.disabled or hc_id in seen:
            return True
        if hc.type_ == "CALCULATED":
            children = hc.children or []
            healthy = sum(self._verdict(checks, c, seen | {hc_id}) for c in children)
            threshold = hc.health_threshold
            raw = healthy >= (int(threshold) if threshold is not None else len(children))
        else:
            with self._lock:
                state = self._states.get(hc_id)
                raw = state.healthy_raw if state else True
        return (not raw) if hc.inverted else raw

    def _run(self) -> None:
        assert self.ctx is not None
        ctx = self.ctx
        while not self._stop.is_set() and not ctx.stop.is_set():
            try:
                self._tick(ctx)
            except Exception:  # keep checking; a half-created check must not kill the loop
                log.exception("route53 health tick failed")
            self._stop.wait(TICK_SECONDS)

    def _tick(self, ctx: SandboxContext) -> None:
        checks = dict(route53_backend(ctx).health_checks)
        now = time.monotonic()
        with self._lock:
            for gone in set(self._states) - set(checks):
                del self._states[gone]
            due = []
            for hc_id, hc in checks.items():
                state = self._states.setdefault(hc_id, CheckState())
                if hc.type_ == "CALCULATED" or hc.disabled or state.in_flight:
                    continue
                if now >= state.next_due:
                    state.in_flight = True
                    state.next_due = now + ctx.scaled(float(hc.request_interval or 30))
                    due.append(hc)
        for hc in due:
            assert self._pool is not None
            self._pool.submit(self._check, ctx, hc)

    def _check(self, ctx: SandboxContext, hc: Any) -> None:
        try:
            result = probe(hc)
        except Exception as exc:  # a probe must never kill its checker
            from moto.core.utils import utcnow

            result = ProbeResult(False, f"Internal error: {exc}", utcnow())
        threshold = int(hc.failure_threshold or 3)
        with self._changed:
            state = self._states.setdefault(hc.id, CheckState())
            state.in_flight = False
            state.probes += 1
            state.last = result
            state.history = ([*state.history, result.ok])[-50:]
            if result.ok:
                state.consecutive_ok += 1
                state.consecutive_fail = 0
                if state.consecutive_ok >= threshold:
                    state.healthy_raw = True
            else:
                state.consecutive_fail += 1
                state.consecutive_ok = 0
                if state.consecutive_fail >= threshold:
                    state.healthy_raw = False
            self._changed.notify_all()
        healthy = self.is_healthy(hc.id)
        try:
            dims = {"HealthCheckId": hc.id}
            put_metric(ctx, "us-east-1", "AWS/Route53", "HealthCheckStatus", float(healthy), dims)
            put_metric(
                ctx,
                "us-east-1",
                "AWS/Route53",
                "HealthCheckPercentageHealthy",
                100.0 if result.ok != bool(hc.inverted) else 0.0,
                dims,
                "Percent",
            )
        except Exception:
            log.debug("could not publish Route 53 metrics", exc_info=True)
