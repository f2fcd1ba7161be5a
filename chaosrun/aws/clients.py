"""Injectable boto3 clients.

Faults and probes never create clients at import time; they receive an :class:`AwsClients`.
Everything goes through a ``boto3.Session``, so the standard credential chain, profiles, regions
and ``AWS_ENDPOINT_URL`` (read by botocore itself) apply unchanged. Nothing here knows about the
sandbox: pointing ``AWS_ENDPOINT_URL`` at it is enough.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chaosrun.ledger import AwsRecord

if TYPE_CHECKING:  # boto3 is imported on first use: runs that make no AWS call start faster
    import boto3

DEFAULT_REGION = "us-east-1"


def aws_errors() -> tuple[type[Exception], ...]:
    """``(ClientError, BotoCoreError)``: what an AWS call raises when AWS (or the network)
    refuses it; anything else is a bug. botocore is imported on the first call, not at start-up
    (``except aws_errors():`` evaluates it only when something is raised)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)


@dataclass(frozen=True)
class AwsSettings:
    """How to reach AWS. ``None`` means: let boto3 resolve it (env, config files, IMDS)."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 8
    max_pool_connections: int = 32
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> AwsRecord:
        """What the ledger keeps so that ``chaosrun rollback`` can reach the same account."""
        return AwsRecord(profile=self.profile, region=self.region, endpoint_url=self.endpoint_url)


class AwsClients:
    """A thread-safe cache of boto3 clients, one per (service, region).

    botocore's adaptive retry mode is on by default: it backs off on throttling, which chaos runs
    with large fan-outs hit first.
    """

    def __init__(
        self, settings: AwsSettings | None = None, session: boto3.Session | None = None
    ) -> None:
        self.settings = settings or AwsSettings()
        self._session = session
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> boto3.Session:
        with self._lock:
            if self._session is None:
                import boto3

                self._session = boto3.Session(
                    profile_name=self.settings.profile, region_name=self.settings.region
                )
            return self._session

    @property
    def default_region(self) -> str:
        # the settings and the environment answer without building a session (boto3's import
        # costs start-up time); only a region from a config-file profile needs the session
        explicit = (
            self.settings.region
            or (None if self.settings.profile else os.environ.get("AWS_REGION"))
            or (None if self.settings.profile else os.environ.get("AWS_DEFAULT_REGION"))
        )
        return explicit or self.session.region_name or DEFAULT_REGION

    def client(self, service: str, region: str | None = None) -> Any:
        """Return a cached client; creation is serialised because ``Session`` is not thread-safe."""
        region = region or self.default_region
        key = (service, region)
        cached = self._clients.get(key)
        if cached is not None:
            return cached
        session = self.session
        with self._lock:
            cached = self._clients.get(key)
            if cached is None:
                from botocore.config import Config

                config = Config(
                    retries={"mode": "adaptive", "max_attempts": self.settings.max_attempts},
                    max_pool_connections=self.settings.max_pool_connections,
                    connect_timeout=self.settings.connect_timeout,
                    read_timeout=self.settings.read_timeout,
                )
                kwargs: dict[str, Any] = {"region_name": region, "config": config}
                if self.settings.endpoint_url:
                    kwargs["endpoint_url"] = self.settings.endpoint_url
                cached = session.client(service, **kwargs)
                self._clients[key] = cached
            return cached

    def account_id(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])
