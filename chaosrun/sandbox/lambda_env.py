"""Per-thread environment for in-process Lambda handlers.

``os.environ`` is replaced (once, process-wide) by :class:`OverlayEnviron`: in a thread that runs
a function (inside :func:`overlay`), reads and writes see only that function's environment plus
a few process basics (``PATH``, ``HOME`` ...); everywhere else it is the normal environment.
``boto3``'s default session is made per-function in the same way, so ``boto3.client("dynamodb")``
at a handler's import time picks up the function's region, endpoint and credentials.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

#: process variables a function still sees (Lambda's own environment has equivalents)
BASE_VARS = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "LD_LIBRARY_PATH", "SSL_CERT_FILE")

_local = threading.local()
_install_lock = threading.Lock()


class FunctionEnv:
    """One function's environment and its boto3 default session (created on first use)."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables: dict[str, str] = dict(variables)
        self._session: Any = None
        self._lock = threading.Lock()

    def session(self) -> Any:
        with self._lock:
            if self._session is None:
                import boto3

                self._session = boto3.Session()
            return self._session


def current() -> FunctionEnv | None:
    return getattr(_local, "env", None)


class OverlayEnviron(os._Environ):
    """``os.environ`` that consults the running function's environment first."""

    def __init__(self, base: os._Environ) -> None:
        super().__init__(
            base._data,  # type: ignore[attr-defined]
            base.encodekey,
            base.decodekey,
            base.encodevalue,
            base.decodevalue,
        )

    def __getitem__(self, key: str) -> str:
        env = current()
        if env is None:
            return super().__getitem__(key)
        if key in env.variables:
            return env.variables[key]
        if key in BASE_VARS:
            return super().__getitem__(key)
        raise KeyError(key)

    def __setitem__(self, key: str, value: str) -> None:
        env = current()
        if env is None:
            super().__setitem__(key, value)
        else:
            env.variables[str(key)] = str(value)

    def __delitem__(self, key: str) -> None:
        env = current()
        if env is None:
            super().__delitem__(key)
        else:
            del env.variables[key]

    def __iter__(self) -> Iterator[str]:
        env = current()
        if env is None:
            yield from super().__iter__()
            return
        data = self._data  # type: ignore[attr-defined]
        base = [k for k in BASE_VARS if self.encodekey(k) in data and k not in env.variables]
        yield from list(env.variables) + base

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def copy(self) -> dict[str, str]:
        return dict(self)


def install() -> None:
    """Replace ``os.environ`` and boto3's default session lookup (idempotent)."""
    with _install_lock:
        if not isinstance(os.environ, OverlayEnviron):
            os.environ = OverlayEnviron(os.environ)  # noqa: B003 (replaced, not cleared)
        import boto3

        if not getattr(boto3._get_default_session, "_sandbox", False):
            original = boto3._get_default_session

            def _get_default_session() -> Any:
                env = current()
                if env is not None:
                    return env.session()
                return original()

            _get_default_session._sandbox = True  # type: ignore[attr-defined]
            boto3._get_default_session = _get_default_session


@contextmanager
def overlay(env: FunctionEnv) -> Iterator[FunctionEnv]:
    """Run the body with ``env`` as this thread's environment."""
    install()
    previous = current()
    _local.env = env
    try:
        yield env
    finally:
        _local.env = previous
