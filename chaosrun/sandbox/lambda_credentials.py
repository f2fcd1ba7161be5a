"""Sandbox-issued credentials: one access key per Lambda execution role.

Functions run in the sandbox's process with an access key id minted here; every request that
carries such a key is marked with the role's ARN (``AwsRequest.principal``), which is how the IAM
enforcer tells a function's own calls from the operator's control-plane calls.
"""

from __future__ import annotations

import secrets
import threading
from typing import ClassVar

from pydantic import BaseModel

from chaosrun.sandbox.base import AwsRequest, Component, SandboxContext

#: prefix of every access key id the sandbox issues (AWS: ASIA = temporary credentials)
KEY_PREFIX = "ASIASBX"


class IssuedCredentials(BaseModel):
    access_key_id: str
    secret_access_key: str
    session_token: str
    role_arn: str


class Credentials(Component):
    """Issues per-role credentials and tags incoming requests with the caller's role."""

    name: ClassVar[str] = "credentials"
    order: ClassVar[int] = 0

    def __init__(self) -> None:
        self._by_role: dict[str, IssuedCredentials] = {}
        self._by_key: dict[str, IssuedCredentials] = {}
        self._lock = threading.Lock()

    def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx

    def issue(self, role_arn: str) -> IssuedCredentials:
        """The (stable) credentials of ``role_arn``."""
        with self._lock:
            creds = self._by_role.get(role_arn)
            if creds is None:
                creds = IssuedCredentials(
                    access_key_id=KEY_PREFIX + secrets.token_hex(7).upper()[:13],
                    secret_access_key=secrets.token_urlsafe(30),
                    session_token="sandbox-" + secrets.token_urlsafe(24),
                    role_arn=role_arn,
                )
                self._by_role[role_arn] = creds
                self._by_key[creds.access_key_id] = creds
            return creds

    def role_of(self, access_key: str | None) -> str | None:
        if not access_key:
            return None
        creds = self._by_key.get(access_key)
        return creds.role_arn if creds else None

    def intercept(self, request: AwsRequest) -> None:
        request.principal = self.role_of(request.access_key)
        return None
