"""Invoke a Lambda function and report what came back."""

from __future__ import annotations

import base64
import json
import time
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import Field

from chaosrun.faults.base import Params
from chaosrun.plugins import PROBES
from chaosrun.probes.base import Probe, ProbeOutput


class LambdaInvokeParams(Params):
    function_name: str = Field(description="name or ARN")
    region: str | None = None
    qualifier: str | None = None
    payload: dict[str, Any] | list[Any] | str | None = Field(None, description="JSON event")
    invocation_type: Literal["RequestResponse", "Event", "DryRun"] = "RequestResponse"
    log_tail: bool = Field(False, description="return the last 4 KB of the log")
    excerpt_bytes: int = Field(2048, ge=0, le=262144)


class LambdaInvokeOutput(ProbeOutput):
    function_name: str
    status: int = Field(description="invoke status code; 429 throttled, 0 other API errors")
    ok: bool = Field(description="2xx and no function error")
    function_error: str | None = Field(None, description="Unhandled/Handled when the code failed")
    error_code: str | None = Field(None, description="API error code, e.g. TooManyRequests...")
    throttled: bool = False
    duration_ms: float = Field(description="client-side round trip")
    executed_version: str | None = None
    payload: Any = Field(None, description="decoded JSON response, or a text excerpt")
    log_tail: str | None = None


@PROBES.register("chaosrun.probes.awslambda.invoke")
class LambdaInvoke(Probe[LambdaInvokeParams, LambdaInvokeOutput]):
    name = "chaosrun.probes.awslambda.invoke"
    summary = "Invoke a function; report status, function error, throttling and duration."
    params_model = LambdaInvokeParams
    output_model = LambdaInvokeOutput
    permissions = ("lambda:InvokeFunction",)

    def run(self) -> LambdaInvokeOutput:
        p: LambdaInvokeParams = self.params
        client = self.clients.client("lambda", p.region)
        kwargs: dict[str, Any] = {
            "FunctionName": p.function_name,
            "InvocationType": p.invocation_type,
            "LogType": "Tail" if p.log_tail else "None",
        }
        if p.qualifier:
            kwargs["Qualifier"] = p.qualifier
        if p.payload is not None:
            data = p.payload if isinstance(p.payload, str) else json.dumps(p.payload)
            kwargs["Payload"] = data.encode()
        started = time.perf_counter()
        try:
            resp = client.invoke(**kwargs)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            code = str(err.get("Code", ""))
            return LambdaInvokeOutput(
                function_name=p.function_name,
                status=status,
                ok=False,
                function_error=None,
                error_code=code,
                throttled=code == "TooManyRequestsException" or status == 429,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                payload=str(err.get("Message", ""))[: p.excerpt_bytes],
            )
        raw = resp["Payload"].read() if "Payload" in resp else b""
        duration = (time.perf_counter() - started) * 1000
        payload: Any
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw[: p.excerpt_bytes].decode("utf-8", "replace")
        if isinstance(payload, str | dict | list) and len(json.dumps(payload)) > p.excerpt_bytes:
            payload = json.dumps(payload)[: p.excerpt_bytes]
        log = resp.get("LogResult")
        status = int(resp.get("StatusCode", 0))
        return LambdaInvokeOutput(
            function_name=p.function_name,
            status=status,
            ok=200 <= status < 300 and not resp.get("FunctionError"),
            function_error=resp.get("FunctionError"),
            error_code=None,
            duration_ms=round(duration, 3),
            executed_version=resp.get("ExecutedVersion"),
            payload=payload,
            log_tail=base64.b64decode(log).decode("utf-8", "replace") if log else None,
        )
