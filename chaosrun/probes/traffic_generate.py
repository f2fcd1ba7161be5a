"""Synthetic traffic: a weighted mix of reads and writes at a target rate, measured precisely.

Runs for ``duration`` seconds, or until the run stops it (``background: true`` activities get
``stop`` set when the method ends). Locally it is an open-loop generator on threads with
keep-alive connections (see :mod:`chaosrun.probes.traffic_worker`); with ``fan_out`` it invokes
that same loop in N Lambda functions and merges their histograms and buckets.

The result is published as a traffic *session* (:mod:`chaosrun.probes.traffic_store`) so the
active-active probes can compute availability, RTO and RPO from it later in the run.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from botocore.config import Config
from pydantic import Field, field_validator, model_validator

from chaosrun.aws.clients import AwsClients
from chaosrun.faults.base import Params
from chaosrun.plugins import PROBES
from chaosrun.probes import traffic_store
from chaosrun.probes.base import Probe
from chaosrun.probes.traffic_store import SESSION_PATTERN, TrafficOutput, from_raw
from chaosrun.probes.traffic_worker import LoopConfig, RawRun, RequestKind, TrafficLoop


class RequestSpec(Params):
    """One kind of request in the mix."""

    name: str = ""
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str = Field("/", description="appended to each endpoint's base URL")
    weight: float = Field(1.0, gt=0, description="relative share of the mix")
    write: bool | None = Field(
        None,
        description="send a JSON body with a unique id and record it when acknowledged "
        "(default: true for POST/PUT/PATCH)",
    )
    body: dict[str, Any] | None = Field(None, description="extra JSON fields for writes")
    headers: dict[str, str] = Field(default_factory=dict)
    expect_status: list[int] | None = Field(None, description="success statuses (default 2xx/3xx)")

    @field_validator("path")
    @classmethod
    def _slash(cls, v: str) -> str:
        return v if v.startswith("/") else "/" + v


class FanOut(Params):
    """Scale out: run the generator loop in ``workers`` Lambda invocations."""

    function_name: str = Field(
        description="a function deployed from traffic_worker.worker_package()"
    )
    workers: int = Field(ge=1, le=1000)
    region: str | None = None
    qualifier: str | None = None
    start_delay_s: float = Field(
        2.0, ge=0, le=60, description="all workers start together this long after the invoke"
    )


class TrafficParams(Params):
    session: str = Field("default", pattern=SESSION_PATTERN, description="name later probes use")
    endpoints: list[str] = Field(min_length=1, description="base URLs; requests round-robin")
    requests: list[RequestSpec] = Field(
        default_factory=lambda: [RequestSpec.model_validate({})], min_length=1
    )
    rate: float = Field(gt=0, le=200_000, description="requests per second, all endpoints")
    duration: float = Field(60.0, gt=0, le=86_400, description="seconds (upper bound if stopped)")
    concurrency: int = Field(64, ge=1, le=2048, description="threads = max requests in flight")
    timeout: float = Field(5.0, gt=0, le=120, description="per request, seconds")
    bucket_ms: int = Field(100, ge=10, le=100, description="time-series resolution (>=10/s)")
    region_header: str = Field("X-Chaosrun-Region", description="response header naming region")
    id_field: str = Field("id", description="JSON field carrying the unique id of a write")
    fan_out: FanOut | None = None
    keep_samples: int = Field(0, ge=0, le=1_000_000, description="raw latencies to keep")
    seed: int | None = Field(None, description="seed of the request mix")
    persist: bool = Field(True, description="write $CHAOSRUN_HOME/traffic/<session>.json")
    persist_every_s: float = Field(5.0, gt=0, description="snapshot period while running")

    @field_validator("endpoints", mode="before")
    @classmethod
    def _one_url(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _urls(self) -> TrafficParams:
        for url in self.endpoints:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"endpoint {url!r} must start with http:// or https://")
        return self

    def loop_config(self) -> LoopConfig:
        return LoopConfig(
            endpoints=list(self.endpoints),
            requests=[
                RequestKind(
                    name=r.name or f"{r.method} {r.path}",
                    method=r.method,
                    path=r.path,
                    weight=r.weight,
                    write=r.write if r.write is not None else r.method in ("POST", "PUT", "PATCH"),
                    body=r.body,
                    headers=dict(r.headers),
                    expect_status=r.expect_status,
                )
                for r in self.requests
            ],
            rate=self.rate,
            duration=self.duration,
            concurrency=self.concurrency,
            timeout=self.timeout,
            bucket_s=self.bucket_ms / 1000,
            region_header=self.region_header,
            id_field=self.id_field,
            session=self.session,
            keep_samples=self.keep_samples,
            seed=self.seed,
        )


def merge_runs(runs: list[RawRun]) -> RawRun:
    """Merge worker results (threads or Lambda invocations) into one run."""
    if not runs:
        raise ValueError("no traffic results to merge")
    merged = RawRun.from_dict(runs[0].to_dict())  # never mutate the inputs
    merged.workers = runs[0].workers
    for other in runs[1:]:
        merged.merge(other)
    merged.writes.sort(key=lambda w: w.sent)
    return merged


def fan_out_configs(config: LoopConfig, workers: int, start_at: float) -> list[LoopConfig]:
    """Split a loop config over ``workers``: each gets rate/workers and the same start time."""
    out = []
    for i in range(workers):
        d = config.to_dict()
        d.update(
            rate=config.rate / workers,
            start_at=start_at,
            worker_id=f"lambda-{i}",
            keep_samples=config.keep_samples // workers,
            seed=None if config.seed is None else config.seed + i,
        )
        out.append(LoopConfig.from_dict(d))
    return out


def _long_lambda_client(clients: AwsClients, region: str, read_timeout: float, pool: int) -> Any:
    """A Lambda client whose read timeout outlasts the traffic run; invocations are not retried
    (a retry would double the traffic). Built from the injected session and settings."""
    settings = clients.settings
    kwargs: dict[str, Any] = {
        "region_name": region,
        "config": Config(
            retries={"mode": "standard", "max_attempts": 1},
            read_timeout=read_timeout,
            connect_timeout=settings.connect_timeout,
            max_pool_connections=max(pool, 10),
        ),
    }
    if settings.endpoint_url:
        kwargs["endpoint_url"] = settings.endpoint_url
    return clients.session.client("lambda", **kwargs)


@PROBES.register("chaosrun.probes.traffic.generate")
class TrafficGenerate(Probe[TrafficParams, TrafficOutput]):
    name = "chaosrun.probes.traffic.generate"
    summary = (
        "Drive a weighted mix of reads and writes at a target rate (open loop) and record "
        "success ratio, latency percentiles and acknowledged writes per 100 ms."
    )
    params_model = TrafficParams
    output_model = TrafficOutput
    permissions = ("lambda:InvokeFunction",)  # only with fan_out

    def run(self) -> TrafficOutput:
        p: TrafficParams = self.params
        config = p.loop_config()
        raw = self._local(config) if p.fan_out is None else self._fan_out(config, p.fan_out)
        out = from_raw(raw, p.session, p.rate)
        traffic_store.put(out, save=p.persist)
        return out

    def _local(self, config: LoopConfig) -> RawRun:
        p: TrafficParams = self.params
        loop = TrafficLoop(config, self.stop)

        def snapshot() -> TrafficOutput:
            return from_raw(loop.snapshot(), p.session, p.rate, live=True)

        traffic_store.register_live(p.session, snapshot)
        done = threading.Event()
        saver = None
        if p.persist:

            def save_periodically() -> None:
                while not done.wait(p.persist_every_s):
                    traffic_store.persist(snapshot())

            saver = threading.Thread(target=save_periodically, name="traffic-persist", daemon=True)
            saver.start()
        try:
            return loop.run()
        finally:
            done.set()
            traffic_store.unregister_live(p.session)
            if saver is not None:
                saver.join()

    def _fan_out(self, config: LoopConfig, fan: FanOut) -> RawRun:
        region = fan.region or self.clients.default_region
        client = _long_lambda_client(
            self.clients,
            region,
            read_timeout=config.duration + fan.start_delay_s + 60,
            pool=fan.workers,
        )
        start_at = time.time() + fan.start_delay_s
        configs = fan_out_configs(config, fan.workers, start_at)

        def invoke(cfg: LoopConfig) -> RawRun:
            kwargs: dict[str, Any] = {
                "FunctionName": fan.function_name,
                "InvocationType": "RequestResponse",
                "Payload": json.dumps({"chaosrun_traffic": cfg.to_dict()}).encode(),
            }
            if fan.qualifier:
                kwargs["Qualifier"] = fan.qualifier
            try:
                resp = client.invoke(**kwargs)
                body = resp["Payload"].read()
                if resp.get("FunctionError"):
                    raise RuntimeError(f"{resp['FunctionError']}: {body[:300]!r}")
                return RawRun.from_dict(json.loads(body)["raw"])
            except Exception as exc:  # a failed worker is reported, the others still count
                failed = RawRun(bucket_s=config.bucket_s, started=start_at, ended=start_at)
                failed.worker_errors.append(f"{cfg.worker_id}: {type(exc).__name__}: {exc}")
                return failed

        with ThreadPoolExecutor(max_workers=fan.workers, thread_name_prefix="fanout") as pool:
            runs = list(pool.map(invoke, configs))
        return merge_runs(runs)
