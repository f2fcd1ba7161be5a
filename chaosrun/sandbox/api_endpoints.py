"""API Gateway REST APIs served on loopback, one HTTP server per region.

APIs, resources, methods, integrations, stages, domain names and base path mappings are read
from moto's apigateway backend at request time, so changes made through the API take effect on
the next request. URL forms (``ctx.api_endpoints[region]`` is the base):

- ``{base}/restapis/{api_id}/{stage}/_user_request_/{path}`` (as LocalStack);
- ``{base}/{path}`` resolved through the region's custom domain names and base path mappings:
  the ``Host`` header names the domain, or the region has exactly one domain name.

Lambda proxy integrations (``AWS_PROXY``) get the v1 event and their response mapped as AWS
does. Status codes: 429 ``Too Many Requests`` when the stage/method throttle (token bucket of
``throttlingRateLimit``/``throttlingBurstLimit``) is exceeded, the usage plan of the request's
API key throttles it (methods with ``apiKeyRequired``; see :mod:`chaosrun.sandbox.usage_plans`,
which also answers 403 for a missing or unknown key) or Lambda throttles; 502 on a
function error or malformed response; 504 on timeout (integration timeout, 29 s by default, or
the function's own); 500 when the function's resource policy does not let
``apigateway.amazonaws.com`` invoke it; 403 ``Missing Authentication Token`` for unknown routes.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
import re
import time
import uuid
from typing import Any, ClassVar
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from chaosrun.sandbox import metrics
from chaosrun.sandbox.base import AwsRequest, Component, SandboxContext
from chaosrun.sandbox.throttle import TokenBuckets
from chaosrun.sandbox.usage_plans import UsagePlans

log = logging.getLogger(__name__)

DEFAULT_INTEGRATION_TIMEOUT = 29.0
_LAMBDA_URI = re.compile(r"arn:aws:apigateway:[^:]+:lambda:path/[^/]+/functions/(.+)/invocations")


def _json(status: int, body: dict[str, Any], error_type: str | None = None) -> Response:
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if error_type:
        headers["x-amzn-ErrorType"] = error_type
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def _template_regex(template: str) -> tuple[re.Pattern[str], int]:
    out = ""
    literal = 0
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{") and part.endswith("+}"):
            out += f"(?P<{_group(part[1:-2])}>.+)"
        elif part.startswith("{"):
            out += f"(?P<{_group(part[1:-1])}>[^/]+)"
        else:
            out += re.escape(part)
            literal += len(part)
    return re.compile("^" + out + "/?$"), literal


def _group(name: str) -> str:
    return "p_" + "".join(c if c.isalnum() else "_" for c in name) + f"_{abs(hash(name)) % 10000}"


class ApiEndpoints(Component):
    name: ClassVar[str] = "api"
    order: ClassVar[int] = 60

    def __init__(self) -> None:
        self._servers: dict[str, Any] = {}
        self._buckets = TokenBuckets()
        self._usage_plans = UsagePlans()
        self.ctx: SandboxContext | None = None

    def start(self, ctx: SandboxContext) -> None:
        from chaosrun.sandbox.server import serve_wsgi

        self.ctx = ctx
        for region in ctx.regions:
            server = serve_wsgi(self._app(region), name=f"api-{region}")
            self._servers[region] = server
            ctx.api_endpoints[region] = f"http://127.0.0.1:{server.server_port}"

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def _app(self, region: str) -> Any:
        def app(environ: dict[str, Any], start_response: Any) -> Any:
            request = Request(environ)
            started = time.monotonic()
            try:
                response, api, stage = self.handle(region, request)
            except Exception:
                log.exception("API endpoint failed on %s %s", request.method, request.path)
                response, api, stage = _json(500, {"message": "Internal server error"}), None, None
            if api is not None and stage is not None:
                latency = (time.monotonic() - started) * 1000
                metrics.record_api(region, api.name, stage, response.status_code, latency)
            return response(environ, start_response)

        return app

    # -- routing -----------------------------------------------------------------------------
    def _backend(self, region: str) -> Any:
        from moto.apigateway.models import apigateway_backends

        assert self.ctx is not None
        return apigateway_backends[self.ctx.account_id][region]

    def resolve(self, region: str, request: Request) -> tuple[str, str, str] | None:
        """(api_id, stage, path) for ``request``, or None."""
        path = request.path
        parts = path.split("/", 5)
        if len(parts) >= 5 and parts[1] == "restapis" and parts[4] == "_user_request_":
            return parts[2], parts[3], "/" + (parts[5] if len(parts) > 5 else "")
        backend = self._backend(region)
        host = (request.host or "").split(":", 1)[0].lower()
        domain = host if host in backend.domain_names else None
        if domain is None and len(backend.domain_names) == 1:
            domain = next(iter(backend.domain_names))
        if domain is None:
            return None
        mappings = backend.base_path_mappings.get(domain, {})
        first, _, rest = path.lstrip("/").partition("/")
        if first and first in mappings:
            m = mappings[first]
            return m.rest_api_id, m.stage, "/" + rest
        if "(none)" in mappings:
            m = mappings["(none)"]
            return m.rest_api_id, m.stage, path
        return None

    def handle(self, region: str, request: Request) -> tuple[Response, Any, str | None]:
        resolved = self.resolve(region, request)
        if resolved is None:
            return _json(403, {"message": "Forbidden"}, "ForbiddenException"), None, None
        api_id, stage_name, path = resolved
        api = self._backend(region).apis.get(api_id)
        if api is None or stage_name not in api.stages:
            return _json(403, {"message": "Forbidden"}, "ForbiddenException"), None, None
        stage = api.stages[stage_name]
        match = self._match(api, path, request.method)
        if match is None:
            return (
                _json(
                    403,
                    {"message": "Missing Authentication Token"},
                    "MissingAuthenticationTokenException",
                ),
                api,
                stage_name,
            )
        resource, method, template, path_params = match
        if method.api_key_required:
            refused = self._usage_plans.admit(
                self._backend(region),
                api_id,
                stage_name,
                template,
                method.http_method,  # the method resource's (ANY for an ANY method)
                request.headers.get("x-api-key"),
            )
            if refused is not None:
                status, message, error_type = refused
                return _json(status, {"message": message}, error_type), api, stage_name
        if not self._admit(api_id, stage, template, request.method):
            return (
                _json(429, {"message": "Too Many Requests"}, "TooManyRequestsException"),
                api,
                stage_name,
            )
        response = self._integrate(
            region, request, api, stage, resource, method, template, path, path_params
        )
        return response, api, stage_name

    def _match(
        self, api: Any, path: str, http_method: str
    ) -> tuple[Any, Any, str, dict[str, str]] | None:
        candidates = []
        for resource in list(api.resources.values()):
            template = resource.get_path()
            regex, literal = _template_regex(template)
            found = regex.match(path if path != "" else "/")
            if found is None:
                continue
            method = resource.resource_methods.get(http_method) or resource.resource_methods.get(
                "ANY"
            )
            if method is None:
                continue
            names = re.findall(r"\{([^}+]+)\+?\}", template)
            params = dict(zip(names, found.groups(), strict=False))
            greedy = "+}" in template
            candidates.append((greedy, -literal, -len(names), template, resource, method, params))
        if not candidates:
            return None
        candidates.sort(key=lambda c: c[:3])
        _, _, _, template, resource, method, params = candidates[0]
        return resource, method, template, params

    def observe(self, request: AwsRequest, status: int) -> None:
        """moto ignores ``UpdateStage`` ``remove /{resource}/{method}`` (a method setting, e.g.
        ``/~1orders/POST`` or ``/*/*``); API Gateway deletes that entry. Apply it afterwards."""
        if request.service != "apigateway" or request.operation != "UpdateStage":
            return
        if status >= 300 or self.ctx is None:
            return
        match = re.search(r"/restapis/([^/]+)/stages/([^/?]+)", request.path)
        try:
            ops = request.json().get("patchOperations") or []
        except ValueError:
            return
        if match is None:
            return
        api = self._backend(request.region).apis.get(match.group(1))
        stage = api.stages.get(unquote(match.group(2))) if api is not None else None
        if stage is None:
            return
        for op in ops:
            parts = str(op.get("path", "")).split("/")
            if op.get("op") == "remove" and len(parts) == 3 and not parts[0]:
                (stage.method_settings or {}).pop(f"{parts[1]}/{parts[2]}", None)

    def _admit(self, api_id: str, stage: Any, template: str, http_method: str) -> bool:
        settings = stage.method_settings or {}
        key = f"{template.replace('/', '~1')}/{http_method}"
        chosen = settings.get(key) or settings.get("*/*")
        if not chosen:
            return True
        rate = float(chosen.get("throttlingRateLimit", 10000.0))
        burst = int(chosen.get("throttlingBurstLimit", 5000))
        scope = key if key in settings else "*/*"
        return self._buckets.take((api_id, stage.name, scope, rate, burst), rate, burst)

    # -- integration -------------------------------------------------------------------------
    def _integrate(
        self,
        region: str,
        request: Request,
        api: Any,
        stage: Any,
        resource: Any,
        method: Any,
        template: str,
        path: str,
        path_params: dict[str, str],
    ) -> Response:
        integration = method.method_integration
        if integration is None:
            return _json(500, {"message": "Internal server error"})
        kind = integration.integration_type
        if kind == "MOCK":
            return Response(b"", status=200)
        uri = str(integration.uri or "")
        for var, value in (stage.variables or {}).items():
            uri = uri.replace("${stageVariables." + var + "}", str(value))
        found = _LAMBDA_URI.match(uri)
        if kind != "AWS_PROXY" or found is None:
            log.warning("API %s: integration %s %s is not simulated", api.id, kind, uri)
            return _json(500, {"message": "Internal server error"})
        function_arn = found.group(1)
        runtime = self.ctx.components.get("lambda") if self.ctx else None
        if runtime is None:
            return _json(500, {"message": "Internal server error"})
        fn_region = function_arn.split(":")[3] if function_arn.startswith("arn:") else region
        fn = runtime.function(fn_region, function_arn)  # type: ignore[attr-defined]
        source_arn = (
            f"arn:aws:execute-api:{region}:{api.account_id}:{api.id}/{stage.name}/"
            f"{request.method}{template}"
        )
        if fn is None or not _apigateway_may_invoke(fn, source_arn):
            log.warning(
                "API %s %s %s: Execution failed due to configuration error: "
                "Invalid permissions on Lambda function",
                api.id,
                request.method,
                path,
            )
            return _json(500, {"message": "Internal server error"})
        event = self._event(request, api, stage, resource, template, path, path_params)
        timeout_ms = integration.timeout_in_millis
        max_wait = float(timeout_ms) / 1000 if timeout_ms else DEFAULT_INTEGRATION_TIMEOUT
        result = runtime.invoke(  # type: ignore[attr-defined]
            fn_region, function_arn, json.dumps(event).encode(), max_wait=max_wait
        )
        if result.throttled or result.status == 429:
            return _json(429, {"message": "Too Many Requests"}, "TooManyRequestsException")
        if result.timed_out:
            return _json(504, {"message": "Endpoint request timed out"})
        if result.status != 200 or result.function_error:
            return _json(502, {"message": "Internal server error"})
        return _proxy_response(result.payload)

    def _event(
        self,
        request: Request,
        api: Any,
        stage: Any,
        resource: Any,
        template: str,
        path: str,
        path_params: dict[str, str],
    ) -> dict[str, Any]:
        headers = {k: v for k, v in request.headers.items()}
        multi_headers = {k: request.headers.getlist(k) for k in headers}
        query = {k: v for k, v in request.args.items()}
        multi_query = {k: request.args.getlist(k) for k in query}
        raw = request.get_data()
        try:
            body: str | None = raw.decode("utf-8") if raw else None
            is_b64 = False
        except UnicodeDecodeError:
            body, is_b64 = base64.b64encode(raw).decode(), True
        now = time.time()
        return {
            "resource": template,
            "path": path,
            "httpMethod": request.method,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_params or None,
            "stageVariables": dict(stage.variables) or None,
            "requestContext": {
                "accountId": api.account_id,
                "apiId": api.id,
                "resourceId": resource.id,
                "resourcePath": template,
                "httpMethod": request.method,
                "stage": stage.name,
                "path": f"/{stage.name}{path}",
                "requestId": str(uuid.uuid4()),
                "extendedRequestId": str(uuid.uuid4()),
                "protocol": "HTTP/1.1",
                "domainName": request.host,
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "requestTimeEpoch": int(now * 1000),
                "identity": {
                    "sourceIp": request.remote_addr or "127.0.0.1",
                    "userAgent": request.headers.get("User-Agent"),
                },
            },
            "body": body,
            "isBase64Encoded": is_b64,
        }


def _proxy_response(payload: bytes) -> Response:
    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("statusCode", 200), int):
        log.warning("malformed Lambda proxy response: %s", payload[:300])
        return _json(502, {"message": "Internal server error"})
    allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}
    if set(data) - allowed:
        return _json(502, {"message": "Internal server error"})
    body = data.get("body")
    raw: bytes
    if body is None:
        raw = b""
    elif data.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    else:
        raw = (body if isinstance(body, str) else json.dumps(body)).encode()
    response = Response(raw, status=int(data.get("statusCode", 200)))
    response.headers.remove("Content-Type")
    for key, value in (data.get("headers") or {}).items():
        response.headers[key] = str(value)
    for key, values in (data.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(key, str(value))
    if "Content-Type" not in response.headers:
        response.headers["Content-Type"] = "application/json"
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response


def _apigateway_may_invoke(fn: Any, source_arn: str) -> bool:
    for stmt in list(getattr(fn.policy, "statements", [])):
        if stmt.get("Effect", "Allow") != "Allow":
            continue
        principal = stmt.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else principal
        services = [services] if isinstance(services, str) else services or []
        if "apigateway.amazonaws.com" not in services and "*" not in services:
            continue
        actions = stmt.get("Action")
        actions = [actions] if isinstance(actions, str) else actions or []
        if not any(a in ("lambda:InvokeFunction", "lambda:*", "*") for a in actions):
            continue
        condition = stmt.get("Condition") or {}
        arn_like = {**condition.get("ArnLike", {}), **condition.get("ArnEquals", {})}
        wanted = arn_like.get("AWS:SourceArn") or arn_like.get("aws:SourceArn")
        if wanted and not fnmatch.fnmatchcase(source_arn, wanted):
            continue
        return True
    return False
