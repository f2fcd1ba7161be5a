"""The sandbox: moto's control plane in-process on loopback, plus data-plane components.

One sandbox per process: moto keeps its state in module-level backends, and :meth:`Sandbox.start`
resets them, so a second sandbox in the same process would share (and reset) the first one's
state.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from types import TracebackType
from typing import Any

import boto3

from chaosrun.aws.clients import AwsClients, AwsSettings
from chaosrun.sandbox.base import Component, SandboxContext

log = logging.getLogger(__name__)

#: the operator's (control-plane) credentials; any key the sandbox did not issue is control plane
CONTROL_ACCESS_KEY = "AKIASANDBOXOPERATOR0"
CONTROL_SECRET_KEY = "sandbox-operator-secret"
ACCOUNT_ID = "123456789012"  # moto's default account

ComponentSpec = str | type[Component] | Component


def load_component(spec: ComponentSpec) -> Component:
    """Build a component from ``"module:Class"``, a class, or an instance."""
    if isinstance(spec, Component):
        return spec
    if isinstance(spec, type):
        return spec()
    module_name, _, attr = spec.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    component: Component = cls()
    return component


def moto_dispatcher(create_app: Any) -> Any:
    """moto's ``DomainDispatcherApplication``, remembering the backend of each host.

    moto resolves the backend of every request with ``get_backend_for_host``: it lists moto's
    package directory (a ``stat`` per service, ~200) and then tries its URL regexes, all under
    the dispatcher's global lock. The answer depends only on the host, so it is kept.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    class CachedDispatcher(DomainDispatcherApplication):
        def __init__(self, create_app: Any) -> None:
            super().__init__(create_app)
            self._backends: dict[str, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None:
                return None
            if host not in self._backends:
                self._backends[host] = super().get_backend_for_host(host)
            return self._backends[host]

    return CachedDispatcher(create_app)


def _quiet_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            log.debug("%s %s -> %s", self.command, self.path, code)

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionResetError, BrokenPipeError):  # the client went away
                log.debug("client closed the connection")

    return Quiet


_QuietHandler: Any = None


def serve_wsgi(app: Any, host: str = "127.0.0.1", port: int = 0, name: str = "sandbox") -> Any:
    """Serve ``app`` on a threaded werkzeug server in a daemon thread; returns the server
    (``server.server_port``; stop with ``shutdown()`` and ``server_close()``)."""
    from werkzeug.serving import make_server

    global _QuietHandler
    if _QuietHandler is None:
        _QuietHandler = _quiet_handler()
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    server.daemon_threads = True  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


def reset_moto() -> None:
    """Forget every resource moto holds in this process."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


class Sandbox:
    """Serve moto + components on 127.0.0.1. See ``docs/sandbox.md``."""

    def __init__(
        self,
        regions: list[str] | None = None,
        time_scale: float = 1.0,
        port: int = 0,
        deploy_app: bool = True,
        components: list[ComponentSpec] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.regions = list(regions or ["us-east-1"])
        self.time_scale = time_scale
        self.port = port
        self.host = host
        self.deploy_app = deploy_app
        self._component_specs = components
        self.components: list[Component] = []
        self.app: Any = None
        self._server: Any = None
        self._context: SandboxContext | None = None

    # -- public -----------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("Sandbox not started: call start() or use it as a context manager")
        return f"http://{self.host}:{self._server.server_port}"

    @property
    def context(self) -> SandboxContext:
        if self._context is None:
            raise RuntimeError("Sandbox not started: call start() or use it as a context manager")
        return self._context

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and probes) at this sandbox, plus the
        sample app's ``CHAOSRUN_APP_*`` endpoints when it is deployed (``AppInfo.env()``)."""
        env = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": CONTROL_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": CONTROL_SECRET_KEY,
            "AWS_DEFAULT_REGION": self.regions[0],
            "AWS_REGION": self.regions[0],
        }
        if self.app is not None and hasattr(self.app, "env"):
            env.update(self.app.env())
        return env

    def clients(self) -> AwsClients:
        """Control-plane clients bound to this sandbox."""
        session = boto3.Session(
            aws_access_key_id=CONTROL_ACCESS_KEY,
            aws_secret_access_key=CONTROL_SECRET_KEY,
            region_name=self.regions[0],
        )
        return AwsClients(
            AwsSettings(region=self.regions[0], endpoint_url=self.endpoint_url, max_attempts=2),
            session=session,
        )

    def start(self) -> Sandbox:
        from moto.moto_server.werkzeug_app import create_backend_app

        from chaosrun.sandbox import moto_compat
        from chaosrun.sandbox.middleware import SandboxMiddleware

        started = time.monotonic()
        moto_compat.apply()
        reset_moto()
        self.components = self._load_components()
        moto_app = moto_dispatcher(create_backend_app)
        app = SandboxMiddleware(moto_app, lambda: self.components)
        self._server = serve_wsgi(app, self.host, self.port, "sandbox-server")
        self._context = SandboxContext(
            endpoint_url=self.endpoint_url,
            regions=self.regions,
            account_id=ACCOUNT_ID,
            clients=self.clients(),
            time_scale=self.time_scale,
            components={c.name: c for c in self.components},
        )
        for component in self.components:
            component.start(self._context)
        if self.deploy_app:
            self._deploy_app()
        log.info("sandbox up at %s in %.2fs", self.endpoint_url, time.monotonic() - started)
        return self

    def stop(self) -> None:
        if self._context is not None:
            self._context.stop.set()
        for component in reversed(self.components):
            try:
                component.stop()
            except Exception:
                log.exception("component %s failed to stop", component.name)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals --------------------------------------------------------------------------
    def _load_components(self) -> list[Component]:
        from chaosrun.sandbox.components import DEFAULT_COMPONENTS

        specs: list[ComponentSpec] = list(
            DEFAULT_COMPONENTS if self._component_specs is None else self._component_specs
        )
        loaded = [load_component(spec) for spec in specs]
        names = {c.name for c in loaded}
        if "credentials" not in names:
            from chaosrun.sandbox.lambda_credentials import Credentials

            loaded.append(Credentials())
        loaded.sort(key=lambda c: c.order)
        return loaded

    def _deploy_app(self) -> None:
        from chaosrun.sandbox.app import deploy

        self.app = deploy(self.context)
