"""WSGI middleware in front of moto: parse each AWS request, let components answer or watch it.

Order per request: read the body once, build an :class:`AwsRequest`, run every component's
``intercept`` (ascending ``order``; the first non-None response wins and moto never sees the
request), otherwise hand the request to moto and afterwards call every component's ``observe``
with moto's status code.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Response
from werkzeug.wsgi import get_input_stream

from chaosrun.sandbox.base import AwsRequest, Component

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: SigV4 signing names whose botocore service model has another name
_MODEL_NAMES = {"monitoring": "cloudwatch", "execute-api": "apigateway", "email": "ses"}

#: per service: (method, path regex, literal length, operation name, required query keys)
_RestPattern = tuple[str, re.Pattern[str], int, str, tuple[str, ...]]
_rest_patterns: dict[str, list[_RestPattern]] = {}
_rest_lock = threading.Lock()


def _uri_regex(uri: str) -> tuple[re.Pattern[str], int]:
    """A regex for a botocore ``requestUri`` such as ``/2015-03-31/functions/{FunctionName}``."""
    path = uri.split("?", 1)[0]
    out = ""
    literal = 0
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("}"):
            out += "(.+)" if part.endswith("+}") else "([^/]+)"
        else:
            out += re.escape(part)
            literal += len(part)
    return re.compile("^" + out.rstrip("/") + "/?$"), literal


def _patterns_for(service: str) -> list[_RestPattern]:
    with _rest_lock:
        cached = _rest_patterns.get(service)
        if cached is not None:
            return cached
        patterns: list[_RestPattern] = []
        try:
            import botocore.session

            model = botocore.session.get_session().get_service_model(
                _MODEL_NAMES.get(service, service)
            )
            for name in model.operation_names:
                http = model.operation_model(name).http
                uri = http.get("requestUri", "/")
                regex, literal = _uri_regex(uri)
                keys = tuple(kv.split("=", 1)[0] for kv in uri.partition("?")[2].split("&") if kv)
                patterns.append((http.get("method", "POST"), regex, literal, name, keys))
        except Exception:  # unknown service: no REST operation names
            log.debug("no botocore model for %s", service, exc_info=True)
        # most specific first: longest literal text
        patterns.sort(key=lambda p: (-len(p[4]), -p[2]))
        _rest_patterns[service] = patterns
        return patterns


def rest_operation(service: str, method: str, path: str, query: dict[str, str]) -> str | None:
    """The operation of a REST request, resolved from botocore's service model."""
    for op_method, regex, _literal, name, keys in _patterns_for(service):
        if op_method == method and regex.match(path) and all(k in query for k in keys):
            return name
    return None


def parse_request(environ: dict[str, Any], body: bytes) -> AwsRequest:
    headers = {
        k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k[:5] == "HTTP_"
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/")
    service, region, access_key = "", "us-east-1", None
    credential = ""
    auth = headers.get("authorization", "")
    if "Credential=" in auth:
        credential = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
    elif "X-Amz-Credential" in query:
        credential = query["X-Amz-Credential"]
    parts = credential.split("/")
    if len(parts) >= 5:
        access_key, region, service = parts[0], parts[2], parts[3].lower()
    service = {"eventbridge": "events"}.get(service, service)
    operation: str | None = None
    target = headers.get("x-amz-target")
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif "Action" in query:
        operation = query["Action"]
    elif headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        operation = form.get("Action")
    elif service:
        operation = rest_operation(service, method, path, query)
    return AwsRequest(
        service=service,
        region=region,
        operation=operation,
        access_key=access_key,
        method=method,
        path=path,
        query=query,
        headers=headers,
        body=body,
    )


class SandboxMiddleware:
    """The WSGI app the sandbox serves: components first, then moto."""

    def __init__(self, moto_app: WsgiApp, components: Callable[[], Sequence[Component]]) -> None:
        self.moto_app = moto_app
        self.components = components

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        stream = get_input_stream(environ)
        body = stream.read()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = False
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.moto_app(environ, start_response)
        request = parse_request(environ, body)
        components = list(self.components())
        for component in components:
            try:
                answer = component.intercept(request)
            except Exception:
                log.exception(
                    "component %s failed to intercept %s", component.name, request.operation
                )
                answer = Response(
                    b'{"message": "sandbox component error"}',
                    status=500,
                    content_type="application/json",
                )
            if answer is not None:
                return answer(environ, start_response)
        # keep the rebuilt body for moto
        environ["wsgi.input"] = io.BytesIO(body)
        status_holder: list[int] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_holder.append(int(status.split(" ", 1)[0]))
            return (
                start_response(status, headers, exc_info)
                if exc_info
                else start_response(status, headers)
            )

        app_iter = self.moto_app(environ, capture)
        try:
            chunks = list(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close:
                close()
        status = status_holder[0] if status_holder else 500
        for component in components:
            try:
                component.observe(request, status)
            except Exception:
                log.exception(
                    "component %s failed to observe %s", component.name, request.operation
                )
        return chunks
