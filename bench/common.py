"""Shared benchmark plumbing: a moto server, a latency-adding proxy, timing helpers.

Benchmarks print ratios against a baseline measured in the same run, never absolute goals
checked by tests.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from chaosrun.sandbox import moto_compat

    moto_compat.apply()  # GetFunction reports reserved concurrency 0, as AWS does
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _serve(args: list[str]) -> tuple[object, str]:
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._emulator", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, **fake_aws_env()},
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


@contextmanager
def remote_emulator(delay_s: float, lambda_quotas: bool = False) -> Iterator[tuple[str, str]]:
    """``(moto_url, proxy_url)``: a moto server and the latency proxy in front of it, each in a
    process of its own (see bench/_emulator.py); the proxy enforces Lambda's API rate quotas
    when ``lambda_quotas``."""
    moto_proc, moto = _serve(["moto"])
    proxy_proc, proxy = _serve(
        ["proxy", moto, str(delay_s), *(["lambda-quotas"] if lambda_quotas else [])]
    )
    try:
        yield moto, proxy
    finally:
        for proc in (proxy_proc, moto_proc):
            proc.stdin.close()  # type: ignore[attr-defined]
            proc.wait(timeout=30)  # type: ignore[attr-defined]


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def fake_aws_env() -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
