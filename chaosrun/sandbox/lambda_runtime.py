"""The Lambda data plane: runs functions' real Python handlers in-process.

``Invoke`` (RequestResponse, Event, DryRun) is answered here instead of by moto. The handler
code comes from the zip moto stores; it is extracted once per code SHA-256 and its module is
imported under a unique name, with the function's own environment (see ``lambda_env``), so two
functions with the same file names never share module state. Handlers run in a thread pool; a
timed-out handler's thread cannot be killed and runs on in the background (its result is
dropped), while the caller gets Lambda's timeout error at the deadline.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import io
import json
import logging
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict
from werkzeug.wrappers import Response

from chaosrun.sandbox import lambda_env, lambda_failures, metrics
from chaosrun.sandbox.base import AwsRequest, Component, SandboxContext

log = logging.getLogger(__name__)

#: executions the pool may run at once, all functions together (AWS: account concurrency)
MAX_WORKERS = 256
_INVOKE_PATH = "/2015-03-31/functions/"


class InvokeResult(BaseModel):
    """What an invocation produced, in Lambda's Invoke API terms."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    status: int  # HTTP status of the Invoke API call
    payload: bytes = b""
    function_error: str | None = None  # "Unhandled" when the handler failed or timed out
    error_type: str | None = None  # x-amzn-ErrorType of an API error (throttle, not found)
    throttled: bool = False
    timed_out: bool = False
    executed_version: str = "$LATEST"
    duration_ms: float = 0.0

    def response(self) -> Response:
        headers = {"X-Amz-Executed-Version": self.executed_version}
        if self.function_error:
            headers["X-Amz-Function-Error"] = self.function_error
        if self.error_type:
            headers["x-amzn-ErrorType"] = self.error_type
        headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return Response(
            self.payload, status=self.status, headers=headers, content_type="application/json"
        )


def api_error(status: int, error_type: str, message: str, **extra: Any) -> InvokeResult:
    body = {"Type": "User", "message": message, **extra}
    return InvokeResult(status=status, payload=json.dumps(body).encode(), error_type=error_type)


class LambdaContext:
    """The ``context`` argument of a Python handler."""

    def __init__(self, fn: Any, request_id: str, deadline: float, client_context: Any) -> None:
        self.function_name: str = fn.function_name
        self.function_version: str = str(fn.version)
        self.invoked_function_arn: str = fn.function_arn
        self.memory_limit_in_mb: int = int(fn.memory_size)
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{fn.function_name}"
        self.log_stream_name = f"{dt.date.today():%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = client_context
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LoadedFunction:
    """A cold-started function: its module, its environment, its handler."""

    def __init__(self, env: lambda_env.FunctionEnv, module: ModuleType, handler: Any) -> None:
        self.env = env
        self.module = module
        self.handler = handler


class _Slot:
    """One execution's hold on its function's concurrency; released exactly once."""

    def __init__(self, runtime: LambdaRuntime, key: str) -> None:
        self.runtime = runtime
        self.key = key
        self.timed_out = False
        self._released = False
        self._lock = threading.Lock()

    def release(self, timed_out: bool = False) -> bool:
        """Release; True when this call released it."""
        with self._lock:
            if self._released:
                return False
            self._released = True
            self.timed_out = timed_out
        self.runtime._release(self.key)
        return True


class LambdaRuntime(Component):
    name: ClassVar[str] = "lambda"
    order: ClassVar[int] = 40

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="lambda")
        self._loaded: dict[tuple[Any, ...], LoadedFunction] = {}
        self._load_locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        self._code_dir = Path(tempfile.mkdtemp(prefix="chaosrun-lambda-"))
        self.ctx: SandboxContext | None = None

    # -- component ---------------------------------------------------------------------------
    def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        lambda_env.install()

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self._code_dir, ignore_errors=True)

    def intercept(self, request: AwsRequest) -> Response | None:
        if request.service != "lambda" or request.operation not in ("Invoke", "InvokeAsync"):
            return None
        rest = request.path[len(_INVOKE_PATH) :] if request.path.startswith(_INVOKE_PATH) else ""
        name = unquote(rest.split("/", 1)[0]) if rest else request.path.split("/")[-3]
        if request.operation == "InvokeAsync":
            invocation_type = "Event"
        else:
            invocation_type = request.headers.get("x-amz-invocation-type", "RequestResponse")
        client_context = None
        if request.headers.get("x-amz-client-context"):
            try:
                client_context = json.loads(
                    base64.b64decode(request.headers["x-amz-client-context"])
                )
            except ValueError:
                client_context = None
        return self.invoke(
            request.region,
            name,
            request.body,
            invocation_type=invocation_type,
            qualifier=request.query.get("Qualifier"),
            client_context=client_context,
        ).response()

    # -- invoking ----------------------------------------------------------------------------
    @property
    def account_id(self) -> str:
        return self.ctx.account_id if self.ctx else metrics.DEFAULT_ACCOUNT

    def function(self, region: str, name: str, qualifier: str | None = None) -> Any:
        """moto's LambdaFunction, or None."""
        from moto.awslambda.models import lambda_backends

        try:
            return lambda_backends[self.account_id][region].get_function(name, qualifier)
        except Exception:
            return None

    def invoke(
        self,
        region: str,
        name: str,
        payload: bytes,
        invocation_type: str = "RequestResponse",
        qualifier: str | None = None,
        client_context: Any = None,
        max_wait: float | None = None,
    ) -> InvokeResult:
        """Invoke ``name`` as the Invoke API would. ``max_wait`` caps how long a synchronous call
        waits (API Gateway's integration timeout); reaching it returns ``timed_out``."""
        fn = self.function(region, name, qualifier)
        if fn is None:
            arn = f"arn:aws:lambda:{region}:{self.account_id}:function:{name}"
            return api_error(
                404,
                "ResourceNotFoundException",
                f"Function not found: {arn}",
                Message=f"Function not found: {arn}",
            )
        if invocation_type == "DryRun":
            return InvokeResult(status=204)
        try:
            event = json.loads(payload) if payload.strip() else {}
        except ValueError:
            return api_error(
                400,
                "InvalidRequestContentException",
                "Could not parse request body into json",
            )
        key = fn.function_arn.split(":function:", 1)[1].split(":", 1)[0]
        if not self._acquire(region, fn, key):
            return api_error(
                429,
                "TooManyRequestsException",
                "Rate Exceeded.",
                Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
            )
        slot = _Slot(self, key)
        if invocation_type == "Event":
            self._pool.submit(self._execute, region, fn, slot, event, client_context)
            return InvokeResult(status=202)
        timeout = float(fn.timeout)
        wait = timeout if max_wait is None else min(timeout, max_wait)
        future: Future[InvokeResult] = self._pool.submit(
            self._execute, region, fn, slot, event, client_context
        )
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            if wait < timeout:  # the caller gave up; the function runs on to its own timeout
                return InvokeResult(status=200, timed_out=True, function_error="Unhandled")
            # AWS frees the execution environment at the deadline; the thread runs on here
            if not slot.release(timed_out=True):
                return future.result()
            return self._timeout_result(fn, timeout, region)

    def _timeout_result(self, fn: Any, seconds: float, region: str) -> InvokeResult:
        request_id = str(uuid.uuid4())
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        body = {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"{stamp} {request_id} Task timed out after {seconds:.2f} seconds",
        }
        metrics.record_lambda(
            region, fn.function_name, invocations=1, errors=1, duration_ms=seconds * 1000
        )
        return InvokeResult(
            status=200,
            payload=json.dumps(body).encode(),
            function_error="Unhandled",
            timed_out=True,
            duration_ms=seconds * 1000,
        )

    def _acquire(self, region: str, fn: Any, key: str) -> bool:
        reserved = fn.reserved_concurrency
        with self._lock:
            running = self._in_flight.get(key, 0)
            if reserved is not None and str(reserved) != "" and running >= int(reserved):
                allowed = False
            else:
                allowed = True
                self._in_flight[key] = running = running + 1
        if allowed:
            metrics.record_lambda(region, fn.function_name, concurrent=running)
        else:
            metrics.record_lambda(region, fn.function_name, throttles=1)
        return allowed

    def _release(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] = max(0, self._in_flight.get(key, 0) - 1)

    def in_flight(self, function_name: str) -> int:
        """Executions of ``function_name`` running now."""
        with self._lock:
            return self._in_flight.get(function_name, 0)

    def _execute(
        self, region: str, fn: Any, slot: _Slot, event: Any, client_context: Any
    ) -> InvokeResult:
        started = time.monotonic()
        deadline = started + float(fn.timeout)
        request_id = str(uuid.uuid4())
        try:
            loaded = self._load(region, fn)
            context = LambdaContext(fn, request_id, deadline, client_context)
            config = lambda_failures.load_config(self.account_id, region, loaded.env.variables)
            with lambda_env.overlay(loaded.env):
                result = lambda_failures.run_with_failures(
                    config,
                    event,
                    context.get_remaining_time_in_millis,
                    lambda: loaded.handler(event, context),
                )
            try:
                body = json.dumps(result).encode()
            except (TypeError, ValueError) as exc:
                raise _MarshalError(f"Unable to marshal response: {exc}") from None
            outcome = InvokeResult(status=200, payload=body)
        except Exception as exc:
            outcome = InvokeResult(
                status=200,
                payload=json.dumps(_error_body(exc, request_id)).encode(),
                function_error="Unhandled",
            )
        duration = (time.monotonic() - started) * 1000
        outcome.duration_ms = duration
        if slot.release():  # else the caller timed it out and reported that
            metrics.record_lambda(
                region,
                fn.function_name,
                invocations=1,
                errors=1 if outcome.function_error else 0,
                duration_ms=duration,
            )
        if outcome.function_error:
            log.info("invocation of %s failed: %s", fn.function_name, outcome.payload[:500])
        return outcome

    # -- cold start --------------------------------------------------------------------------
    def _load(self, region: str, fn: Any) -> LoadedFunction:
        role = str(fn.role)
        variables = dict(fn.environment_vars or {})
        key = (
            fn.function_arn,
            fn.code_sha_256,
            fn.handler,
            role,
            json.dumps(variables, sort_keys=True),
        )
        loaded = self._loaded.get(key)
        if loaded is not None:
            return loaded
        with self._lock:
            lock = self._load_locks.setdefault(key, threading.Lock())
        with lock:
            loaded = self._loaded.get(key)
            if loaded is None:
                loaded = self._cold_start(region, fn, variables, role)
                self._loaded[key] = loaded
            return loaded

    def _cold_start(
        self, region: str, fn: Any, variables: dict[str, str], role: str
    ) -> LoadedFunction:
        assert self.ctx is not None, "LambdaRuntime used before start()"
        creds = self.ctx.components["credentials"].issue(role)  # type: ignore[attr-defined]
        env = {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
            "LAMBDA_TASK_ROOT": "",
            "AWS_ENDPOINT_URL": self.ctx.endpoint_url,
            "AWS_ACCESS_KEY_ID": creds.access_key_id,
            "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
            "AWS_SESSION_TOKEN": creds.session_token,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "_HANDLER": fn.handler,
            **variables,
        }
        sha = str(fn.code_sha_256)
        code_dir = self._code_dir / _safe(sha)
        if not code_dir.exists():
            tmp = self._code_dir / f"{_safe(sha)}.{uuid.uuid4().hex}"
            with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as zf:
                zf.extractall(tmp)
            try:
                tmp.rename(code_dir)
            except OSError:  # another thread extracted the same code first
                shutil.rmtree(tmp, ignore_errors=True)
        env["LAMBDA_TASK_ROOT"] = str(code_dir)
        function_env = lambda_env.FunctionEnv(env)
        module_path, _, attr = str(fn.handler).rpartition(".")
        with _IMPORT_LOCK, lambda_env.overlay(function_env):
            module = _import_isolated(code_dir, module_path, f"{fn.function_name}_{sha[:12]}")
        handler = getattr(module, attr, None)
        if handler is None:
            raise _HandlerNotFound(f"Handler '{attr}' missing on module '{module_path}'")
        return LoadedFunction(function_env, module, handler)


_IMPORT_LOCK = threading.RLock()
_counter = 0


class _MarshalError(Exception):
    error_type = "Runtime.MarshalError"


class _HandlerNotFound(Exception):
    error_type = "Runtime.HandlerNotFound"


class _ImportModuleError(Exception):
    error_type = "Runtime.ImportModuleError"


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)[:64]


def _error_body(exc: BaseException, request_id: str) -> dict[str, Any]:
    stack = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return {
        "errorMessage": str(exc),
        "errorType": getattr(exc, "error_type", type(exc).__name__),
        "requestId": request_id,
        "stackTrace": [line.rstrip("\n") for line in stack],
    }


def _import_isolated(code_dir: Path, module_path: str, tag: str) -> ModuleType:
    """Import ``module_path`` from ``code_dir`` under a unique name.

    Top-level modules that come with the code (``utils.py`` next to ``app.py``) are imported
    normally while the handler module loads, then dropped from ``sys.modules`` so the next
    function with a ``utils.py`` gets its own; the handler module keeps its references."""
    global _counter
    _counter += 1
    unique = f"_chaosrun_fn_{_safe(tag)}_{_counter}"
    file = code_dir / (module_path.replace(".", "/") + ".py")
    if not file.exists():
        file = code_dir / module_path.replace(".", "/") / "__init__.py"
    if not file.exists():
        raise _ImportModuleError(
            f"Unable to import module '{module_path}': No module named '{module_path}'"
        )
    before = set(sys.modules)
    sys.path.insert(0, str(code_dir))
    try:
        spec = importlib.util.spec_from_file_location(unique, file)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(unique, None)
            raise _ImportModuleError(
                f"Unable to import module '{module_path}': {type(exc).__name__}: {exc}"
            ) from exc
    finally:
        sys.path.remove(str(code_dir))
        for name in set(sys.modules) - before:
            mod_file = getattr(sys.modules.get(name), "__file__", None) or ""
            if mod_file.startswith(str(code_dir)) and name != unique:
                sys.modules.pop(name, None)
    return module
