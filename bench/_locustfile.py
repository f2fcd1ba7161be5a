"""Locustfile for ``bench.traffic``; runs inside bench/.work/locust-venv, not chaosrun's env.

``locust -f bench/_locustfile.py HttpGet`` (requests-based, locust's default) or ``FastGet``
(geventhttpclient). Environment:

- ``BENCH_THROUGHPUT_PER_USER``: requests/s per user (``constant_throughput``); 0 = no wait;
- ``BENCH_SAMPLES``: if set, every request's ``response_time`` (ms, as locust measured it) is
  written there as JSON when locust quits (the raw samples behind its reported percentiles),
  with the wall times of the first and last request.
"""

from __future__ import annotations

import json
import os
import time

from locust import FastHttpUser, HttpUser, constant, constant_throughput, events, task

_PER_USER = float(os.environ.get("BENCH_THROUGHPUT_PER_USER", "0"))
_WAIT = constant_throughput(_PER_USER) if _PER_USER > 0 else constant(0)
_SAMPLES: list[float] = []
_SPAN: list[float] = []  # wall time of the first and the last request


if os.environ.get("BENCH_SAMPLES"):

    @events.request.add_listener
    def _record(response_time: float, **_: object) -> None:
        _SAMPLES.append(response_time)
        now = time.time()
        if not _SPAN:
            _SPAN.append(now)
        _SPAN[1:] = [now]

    @events.quitting.add_listener
    def _dump(**_: object) -> None:
        with open(os.environ["BENCH_SAMPLES"], "w", encoding="utf-8") as fh:
            json.dump({"samples": _SAMPLES, "span": _SPAN}, fh)


class HttpGet(HttpUser):
    wait_time = _WAIT

    @task
    def get(self) -> None:
        self.client.get("/")


class FastGet(FastHttpUser):
    wait_time = _WAIT

    @task
    def get(self) -> None:
        self.client.get("/")
