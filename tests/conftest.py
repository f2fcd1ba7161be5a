"""Test-wide safety net.

Every test runs with fake credentials, no AWS config files and a guard that fails the test if a
request would leave this machine: botocore's HTTP sender is wrapped so that only loopback
endpoints (the sandbox, a moto server) pass. In-process ``mock_aws`` answers before the sender
is reached, so it is unaffected. Modelled on Prowler's tests/providers/aws/conftest.py.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import botocore.httpsession
import pytest

from chaosrun.sandbox import moto_compat

# moto answers GetFunction like AWS here too (in-process mock_aws and moto servers alike)
moto_compat.apply()

_LOOPBACK_NAMES = {"localhost"}


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RealAwsCallBlocked(AssertionError):
    pass


_original_send = botocore.httpsession.URLLib3Session.send


def _guarded_send(self, request):  # type: ignore[no-untyped-def]
    if not _is_loopback(request.url):
        raise RealAwsCallBlocked(
            f"test tried to reach {request.url}: tests must use moto or the sandbox"
        )
    return _original_send(self, request)


@pytest.fixture(autouse=True)
def _aws_guard(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("CHAOSRUN_HOME", str(tmp_path_factory.mktemp("chaosrun-home")))
    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", _guarded_send)
    yield
