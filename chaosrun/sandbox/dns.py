"""Route 53 answers and the global endpoint.

moto stores record sets but answers no DNS queries. This component

- answers ``TestDNSAnswer`` (moto lacks it) the way Route 53 would answer a resolver now:
  **failover** (PRIMARY while healthy, else a healthy SECONDARY; if both are unhealthy Route 53
  answers PRIMARY), **weighted** (by ``Weight`` among healthy records; weight-0 records only
  when every record is 0; all records if none is healthy), **latency** (the record of the
  caller's region if healthy, else the nearest healthy one), **multivalue** (every healthy
  record) and simple records. A record is unhealthy when its ``HealthCheckId`` is (as the
  ``route53_health`` component evaluates it), or when it is an alias with
  ``EvaluateTargetHealth`` to a record set of the same zone that has no healthy answer.
- serves a **global endpoint** (``ctx.global_endpoint``, a loopback HTTP server): each request is
  routed by the answer for its record (the request's ``Host`` if that names a record, else
  :attr:`Dns.global_record`, ``api.orders.sandbox`` by default) to the chosen region's API
  endpoint (``ctx.api_endpoints[region]``) and proxied there. Every response carries
  ``X-Chaosrun-Region: <region>``: a probe uses it to tell which region served. When no region
  can be chosen the endpoint answers 503 without the header. The answer is re-evaluated on every
  request (no resolver caching, i.e. as if TTLs were 0).

The caller's region (latency records): ``ResolverIP`` or ``EDNS0ClientSubnetIP`` looked up in
:data:`REGION_HINT_NETWORKS` (well-known AWS ranges), or -- a sandbox convenience -- a region
name passed as ``ResolverIP``; for the global endpoint the ``X-Chaosrun-Client-Region`` request
header. Default: the sandbox's first region.

A record's region: its ``Region`` (latency records), else the first region named in its alias
target, values or set identifier (``d-abc.execute-api.eu-west-1.amazonaws.com`` → eu-west-1).

Sandbox deviation: an alias to something outside the zone (an API Gateway domain) is answered
with the target's DNS name rather than its IP addresses (every sandbox endpoint is 127.0.0.1).
Weighted choices draw from ``random.Random(seed)``: set :attr:`Dns.seed` (or env
``CHAOSRUN_SANDBOX_DNS_SEED``) for a reproducible sequence.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import os
import random
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

from chaosrun.sandbox.base import AwsRequest, Component, SandboxContext
from chaosrun.sandbox.route53_health import Route53Health, aws_error, aws_response, route53_backend

log = logging.getLogger(__name__)

DEFAULT_GLOBAL_RECORD = "api.orders.sandbox"
REGION_HEADER = "X-Chaosrun-Region"
CLIENT_REGION_HEADER = "X-Chaosrun-Client-Region"
#: resolver / client-subnet networks that tell the caller's region (a few well-known AWS ranges)
REGION_HINT_NETWORKS: dict[str, list[str]] = {
    "us-east-1": ["3.80.0.0/12", "54.144.0.0/12"],
    "us-east-2": ["3.128.0.0/12"],
    "us-west-1": ["13.52.0.0/15"],
    "us-west-2": ["34.208.0.0/12"],
    "eu-west-1": ["34.240.0.0/13", "52.16.0.0/14"],
    "eu-central-1": ["3.120.0.0/14"],
    "ap-southeast-1": ["13.228.0.0/15"],
    "ap-northeast-1": ["13.112.0.0/14"],
}
_REGION_RE = re.compile(r"\b([a-z]{2}(?:-gov)?-[a-z]+-\d)\b")
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


def _norm(name: str) -> str:
    return name.rstrip(".").lower()


def region_from_hint(hint: str | None) -> str | None:
    """The region a resolver / client-subnet IP (or a region name) stands for."""
    if not hint:
        return None
    if _REGION_RE.fullmatch(hint):
        return hint
    try:
        address = ipaddress.ip_address(hint.split("/")[0])
    except ValueError:
        return None
    for region, networks in REGION_HINT_NETWORKS.items():
        if any(address in ipaddress.ip_network(n) for n in networks):
            return region
    return None


@dataclass
class DnsAnswer:
    """What Route 53 answers for a name now, and which record (and region) it came from."""

    name: str
    type: str
    data: list[str] = field(default_factory=list)
    response_code: str = "NOERROR"
    record: Any = None  # moto RecordSet chosen (last in an alias chain)
    region: str | None = None


class Dns(Component):
    """Answers TestDNSAnswer and runs the global endpoint. See the module docstring."""

    name = "dns"
    order = 41

    def __init__(self) -> None:
        self.ctx: SandboxContext | None = None
        self.global_record = DEFAULT_GLOBAL_RECORD
        seed = os.environ.get("CHAOSRUN_SANDBOX_DNS_SEED")
        self.seed: int | None = int(seed) if seed else None
        self._rng = random.Random(self.seed)
        self._rng_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self.start_rng()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        ctx.global_endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-global-endpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- public ---------------------------------------------------------------------------
    def start_rng(self) -> None:
        """Restart weighted choices from :attr:`seed` (the same seed gives the same sequence)."""
        with self._rng_lock:
            self._rng = random.Random(self.seed)

    def resolve(
        self,
        name: str,
        rtype: str = "A",
        client_region: str | None = None,
        hosted_zone_id: str | None = None,
    ) -> DnsAnswer:
        """Route 53's answer for ``name``/``rtype`` now, as seen from ``client_region``."""
        assert self.ctx is not None
        zone = self._zone_for(name, hosted_zone_id)
        answer = DnsAnswer(name=_norm(name), type=rtype)
        if zone is None:
            answer.response_code = "NXDOMAIN"
            return answer
        region = client_region or self.ctx.regions[0]
        return self._resolve_in(zone, _norm(name), rtype, region, answer, depth=0)

    # -- AWS API --------------------------------------------------------------------------
    def intercept(self, request: AwsRequest) -> Response | None:
        if request.service != "route53" or request.operation != "TestDNSAnswer":
            return None
        q = {k.lower(): v for k, v in request.query.items()}
        zone_id, name, rtype = q.get("hostedzoneid"), q.get("recordname"), q.get("recordtype")
        if not zone_id or not name or not rtype:
            return aws_error(
                "route53", "InvalidInput", "hostedzoneid, recordname and recordtype are required"
            )
        from moto.route53.exceptions import NoSuchHostedZone

        try:
            route53_backend(self.ctx_required).get_hosted_zone(zone_id)
        except NoSuchHostedZone:
            return aws_error(
                "route53", "NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}", 404
            )
        client_region = region_from_hint(q.get("resolverip")) or region_from_hint(
            q.get("edns0clientsubnetip")
        )
        answer = self.resolve(name, rtype, client_region, zone_id)
        return aws_response(
            "route53",
            "TestDNSAnswer",
            {
                "Nameserver": "ns-sandbox.awsdns-00.com",
                "RecordName": name,
                "RecordType": rtype,
                "RecordData": answer.data,
                "ResponseCode": answer.response_code,
                "Protocol": "UDP",
            },
        )

    @property
    def ctx_required(self) -> SandboxContext:
        if self.ctx is None:
            raise RuntimeError("the dns component has not been started")
        return self.ctx

    # -- resolution -----------------------------------------------------------------------
    def _zone_for(self, name: str, hosted_zone_id: str | None) -> Any:
        backend = route53_backend(self.ctx_required)
        if hosted_zone_id:
            return backend.zones.get(hosted_zone_id.replace("/hostedzone/", ""))
        wanted = _norm(name)
        best = None
        for zone in list(backend.zones.values()):
            zname = _norm(zone.name)
            if (wanted == zname or wanted.endswith("." + zname)) and (
                best is None or len(zname) > len(_norm(best.name))
            ):
                best = zone
        return best

    def _healthy(self, record: Any, zone: Any, client_region: str, depth: int) -> bool:
        health = self.ctx_required.components.get("route53_health")
        if (
            record.health_check_id
            and isinstance(health, Route53Health)
            and not health.is_healthy(record.health_check_id)
        ):
            return False
        alias = record.alias_target or {}
        if str(alias.get("EvaluateTargetHealth", "")).lower() == "true" and depth < 8:
            target = _norm(str(alias.get("DNSName", "")))
            if self._records(zone, target, record.type):
                sub = DnsAnswer(name=target, type=record.type)
                sub = self._resolve_in(zone, target, record.type, client_region, sub, depth + 1)
                return bool(sub.data) and sub.response_code == "NOERROR"
        return True

    @staticmethod
    def _records(zone: Any, name: str, rtype: str) -> list[Any]:
        return [r for r in list(zone.rrsets) if _norm(r.name) == name and r.type == rtype]

    def _resolve_in(
        self, zone: Any, name: str, rtype: str, client_region: str, answer: DnsAnswer, depth: int
    ) -> DnsAnswer:
        records = self._records(zone, name, rtype) or self._records(zone, name, "CNAME")
        if not records:
            if not any(_norm(r.name) == name for r in zone.rrsets):
                answer.response_code = "NXDOMAIN"
            return answer
        chosen = self._choose(records, zone, client_region, depth)
        for record in chosen:
            alias = record.alias_target
            if alias:
                target = _norm(str(alias.get("DNSName", "")))
                if self._records(zone, target, record.type) and depth < 8:
                    sub = self._resolve_in(
                        zone, target, record.type, client_region, answer, depth + 1
                    )
                    answer.region = answer.region or sub.region
                    continue
                answer.data.append(target)
            else:
                answer.data.extend(str(v) for v in (record.records or []))
            answer.record = answer.record or record
            answer.region = answer.region or self._record_region(record)
        return answer

    def _choose(self, records: list[Any], zone: Any, client_region: str, depth: int) -> list[Any]:
        def healthy(r: Any) -> bool:
            return self._healthy(r, zone, client_region, depth)

        if any(r.failover for r in records):
            primary = [r for r in records if str(r.failover).upper() == "PRIMARY"]
            secondary = [r for r in records if str(r.failover).upper() == "SECONDARY"]
            for group in (primary, secondary):
                if group and healthy(group[0]):
                    return group[:1]
            return (primary or secondary)[:1]
        if any(r.weight is not None for r in records):
            up = [r for r in records if healthy(r)] or records
            weighted = [(r, float(r.weight or 0)) for r in up]
            if all(w == 0 for _, w in weighted):
                weighted = [(r, 1.0) for r, _ in weighted]
            weighted = [(r, w) for r, w in weighted if w > 0]
            with self._rng_lock:
                pick = self._rng.uniform(0, sum(w for _, w in weighted))
            for r, w in weighted:
                pick -= w
                if pick <= 0:
                    return [r]
            return [weighted[-1][0]]
        if any(r.region for r in records):
            ordered = sorted(records, key=lambda r: _distance(client_region, str(r.region)))
            for r in ordered:
                if healthy(r):
                    return [r]
            return ordered[:1]
        if any(r.multi_value_answer for r in records):
            return [r for r in records if healthy(r)] or records
        return records[:1]

    def _record_region(self, record: Any) -> str | None:
        if record.region:
            return str(record.region)
        alias = record.alias_target or {}
        texts = [str(alias.get("DNSName", "")), *map(str, record.records or [])]
        texts.append(str(record.set_identifier or ""))
        known = self.ctx_required.regions
        for text in texts:
            for region in known:
                if region in text:
                    return region
        for text in texts:
            found = _REGION_RE.search(text)
            if found:
                return found.group(1)
        return None

    # -- global endpoint ------------------------------------------------------------------
    def route(self, host: str | None, client_region: str | None) -> DnsAnswer:
        """The answer the global endpoint routes a request for ``host`` by."""
        name = _norm((host or "").split(":")[0])
        if name and not _is_loopback(name) and self._zone_for(name, None) is not None:
            answer = self.resolve(name, "A", client_region)
            if answer.data:
                return answer
        return self.resolve(self.global_record, "A", client_region)


def _distance(a: str, b: str) -> tuple[int, str]:
    if a == b:
        return (0, b)
    same_area = a.split("-")[0] == b.split("-")[0]
    return (1 if same_area else 2, b)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _make_handler(dns: Dns) -> type[BaseHTTPRequestHandler]:
    class GlobalEndpointHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _proxy(self) -> None:
            ctx = dns.ctx_required
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            answer = dns.route(self.headers.get("Host"), self.headers.get(CLIENT_REGION_HEADER))
            base = ctx.api_endpoints.get(answer.region or "")
            if not answer.data or answer.region is None or base is None:
                why = (
                    f"no region for {dns.global_record}: answer "
                    f"{answer.data or answer.response_code}, API endpoints "
                    f"{sorted(ctx.api_endpoints)}"
                )
                self._send(503, {"Content-Type": "application/json"}, _json_message(why), None)
                return
            target = urlsplit(base)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Host"] = answer.name
            if body:
                headers["Content-Length"] = str(len(body))
            prefix = target.path.rstrip("/")
            conn = http.client.HTTPConnection(
                target.hostname or "127.0.0.1", target.port, timeout=30
            )
            try:
                conn.request(self.command, prefix + self.path, body=body or None, headers=headers)
                upstream = conn.getresponse()
                data = upstream.read()
                out = {k: v for k, v in upstream.getheaders() if k.lower() not in _HOP_BY_HOP}
                self._send(upstream.status, out, data, answer.region)
            except (OSError, http.client.HTTPException) as exc:
                why = f"{answer.region} endpoint {base} failed: {exc}"
                self._send(
                    502, {"Content-Type": "application/json"}, _json_message(why), answer.region
                )
            finally:
                conn.close()

        def _send(
            self, status: int, headers: dict[str, str], body: bytes, region: str | None
        ) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if region:
                self.send_header(REGION_HEADER, region)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _proxy

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("global endpoint: " + format, *args)

    return GlobalEndpointHandler


def _json_message(text: str) -> bytes:
    import json

    return json.dumps({"message": text}).encode()
