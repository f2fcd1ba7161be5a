"""The sandbox's seams: what every data-plane component sees and implements.

The sandbox is moto's control plane (served in-process on loopback) plus components that add the
effects moto lacks. A component may

- run background work (health checkers, replication, alarm evaluation) between ``start`` and
  ``stop``;
- look at every AWS API request before moto does (``intercept``) and answer it itself, e.g. the
  Lambda runtime answers ``Invoke``, the IAM enforcer denies calls made by a function whose role
  lost a permission.

Faults and probes never import this package: they reach the sandbox through boto3 with
``AWS_ENDPOINT_URL`` and plain HTTP, exactly as they reach AWS.
"""

from __future__ import annotations

import threading
from abc import ABC
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from chaosrun.aws.clients import AwsClients


@dataclass
class AwsRequest:
    """An AWS API request as the sandbox's middleware parsed it."""

    service: str  # signing name: "lambda", "dynamodb", "events" ...
    region: str
    operation: str | None  # e.g. "PutItem", "Invoke" when it can be told
    access_key: str | None
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    #: ARN of the IAM role the caller acts as, when the access key was issued to a Lambda
    #: execution role by the sandbox; None for the control plane (the operator's own calls)
    principal: str | None = None

    def json(self) -> Any:
        import json

        return json.loads(self.body or b"{}")


@dataclass
class SandboxContext:
    """Shared by all components of one running sandbox."""

    endpoint_url: str
    regions: list[str]
    account_id: str
    clients: AwsClients
    #: multiply every simulated interval (health-check period, replication lag, alarm period)
    #: by this; tests use e.g. 0.05 to run minutes of behaviour in seconds
    time_scale: float = 1.0
    stop: threading.Event = field(default_factory=threading.Event)
    components: dict[str, Component] = field(default_factory=dict)
    #: per-region base URL of the API endpoints, filled by the API component
    api_endpoints: dict[str, str] = field(default_factory=dict)
    #: base URL of the global (Route 53 routed) endpoint, filled by the DNS component
    global_endpoint: str | None = None

    def component(self, name: str) -> Component:
        return self.components[name]

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale


class Component(ABC):
    """A piece of the sandbox's data plane. Override what you need."""

    name: ClassVar[str]
    #: lower starts earlier and intercepts first
    order: ClassVar[int] = 50

    def start(self, ctx: SandboxContext) -> None:  # noqa: B027
        """Start background work. Must return quickly (start-up budget: under 3 s in total)."""

    def stop(self) -> None:  # noqa: B027
        """Stop background work and release ports."""

    def intercept(self, request: AwsRequest) -> Response | None:
        """Answer ``request`` instead of moto, or return None to pass it on."""
        return None

    def observe(self, request: AwsRequest, status: int) -> None:  # noqa: B027
        """Called after moto answered ``request`` with ``status`` (e.g. to replicate a write)."""
