"""One HTTP request: status, latency, body excerpt and headers of interest."""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from pydantic import Field

from chaosrun.faults.base import Params
from chaosrun.journal.model import Measurement
from chaosrun.plugins import PROBES
from chaosrun.probes.base import Probe, ProbeOutput
from chaosrun.probes.httpclient import HttpPool


class HttpEndpointParams(Params):
    url: str = Field(pattern=r"^https?://", description="full URL")
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    json_body: dict[str, Any] | list[Any] | None = Field(None, alias="json")
    body: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    expect_status: list[int] | None = Field(None, description="ok statuses (default 2xx/3xx)")
    timeout: float = Field(5.0, gt=0, le=120, description="seconds")
    headers_of_interest: list[str] = Field(
        default_factory=lambda: ["X-Chaosrun-Region"], description="response headers reported"
    )
    excerpt_bytes: int = Field(512, ge=0, le=65536)
    verify_tls: bool = True


class HttpEndpointOutput(ProbeOutput):
    url: str
    status: int = Field(description="HTTP status; 0 when no response (timeout, refused)")
    ok: bool
    latency_ms: float
    body: str = Field(description="excerpt of the response body")
    headers: dict[str, str] = Field(description="headers of interest that were present")
    region: str | None = Field(None, description="X-Chaosrun-Region, if sent")
    error: str | None = None

    def measurements(self) -> list[Measurement]:
        return [Measurement(name=f"latency {self.url}", value=self.latency_ms, unit="ms")]


@PROBES.register("chaosrun.probes.http.endpoint")
class HttpEndpoint(Probe[HttpEndpointParams, HttpEndpointOutput]):
    name = "chaosrun.probes.http.endpoint"
    summary = "Call an HTTP endpoint; report status, latency, body excerpt and chosen headers."
    params_model = HttpEndpointParams
    output_model = HttpEndpointOutput

    def run(self) -> HttpEndpointOutput:
        p: HttpEndpointParams = self.params
        headers = dict(p.headers)
        data: bytes | None = None
        if p.json_body is not None:
            data = json.dumps(p.json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif p.body is not None:
            data = p.body.encode()
        pool = HttpPool(timeout=p.timeout, verify_tls=p.verify_tls)
        started = time.perf_counter()
        try:
            result = pool.request(p.method, p.url, body=data, headers=headers)
        finally:
            pool.close()
        latency = (time.perf_counter() - started) * 1000
        if p.expect_status is not None:
            ok = result.status in p.expect_status
        else:
            ok = 200 <= result.status < 400
        wanted = {h.lower(): h for h in p.headers_of_interest}
        seen = {wanted[k]: v for k, v in result.headers.items() if k in wanted}
        return HttpEndpointOutput(
            url=p.url,
            status=result.status,
            ok=ok,
            latency_ms=round(latency, 3),
            body=result.body[: p.excerpt_bytes].decode("utf-8", "replace"),
            headers=seen,
            region=result.headers.get("x-chaosrun-region"),
            error=result.error,
        )
