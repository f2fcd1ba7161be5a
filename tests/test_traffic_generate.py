"""traffic.generate on a scripted local server: percentiles, buckets, writes, store, fan-out."""

from __future__ import annotations

import io
import json
import math
import threading
import zipfile

import boto3
import pytest
import requests
from moto import mock_aws

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import InvalidParameters
from chaosrun.probes import traffic_store
from chaosrun.probes.base import run_probe
from chaosrun.probes.histogram import RELATIVE_ERROR
from chaosrun.probes.traffic_generate import TrafficGenerate, fan_out_configs, merge_runs
from chaosrun.probes.traffic_worker import (
    AckedWrite,
    Bucket,
    LoopConfig,
    RawRun,
    RequestKind,
    handler,
    worker_package,
)
from tests.test_traffic_support import ScriptedServer


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def _latency(n: int) -> float:
    # a known distribution: 5 % take 30 ms, 20 % 8 ms, the rest 1 ms
    if n % 20 == 0:
        return 0.030
    if n % 5 == 0:
        return 0.008
    return 0.001


def test_percentiles_buckets_and_acknowledged_writes() -> None:
    with ScriptedServer(latency=_latency) as srv:
        out = run_probe(
            TrafficGenerate,
            {
                "session": "mix",
                "endpoints": srv.url,
                "rate": 400,
                "duration": 1.5,
                "concurrency": 32,
                "keep_samples": 100_000,
                "seed": 1,
                "requests": [
                    {"path": "/", "weight": 3},
                    {"method": "POST", "path": "/orders", "weight": 1},
                ],
            },
            AwsClients(),
        )
        orders = dict(srv.orders)
    assert out.requests == 600 and out.successes == 600 and out.success_ratio == 1.0
    # percentiles from the histogram agree with the raw samples within its error bound
    assert len(out.samples_ms) == out.requests
    for q in (50, 95, 99):
        exact = nearest_rank(out.samples_ms, q)
        assert abs(getattr(out, f"p{q}_ms") - exact) <= exact * RELATIVE_ERROR + 0.001
    # and reflect the server's known latency distribution (latency is never below the sleep)
    assert out.p50_ms >= 1.0 and out.p99_ms >= 30.0
    # >= 10 buckets per second, bucket counts add up
    assert out.bucket_ms == 100
    assert len(out.buckets) >= 15
    assert sum(b.requests for b in out.buckets) == out.requests
    assert out.by_status.keys() == {"200", "201"}
    assert out.by_region == {"us-east-1": 600}
    # every acknowledged write carries a unique id the server really stored
    ids = [w.id for w in out.acknowledged_writes]
    assert len(ids) == out.by_status["201"] and len(set(ids)) == len(ids)
    assert set(ids) == set(orders)
    assert all(w.region == "us-east-1" for w in out.acknowledged_writes)
    names = {s.name for s in out.series()}
    assert "traffic mix success ratio" in names and "traffic mix p99" in names
    # later probes (and other processes) find the session
    assert traffic_store.get("mix").requests == 600
    saved = traffic_store.session_path("mix")
    traffic_store.clear("mix")
    assert saved.exists() and traffic_store.get("mix").acknowledged_writes[0].id in orders


def test_errors_by_status_and_early_stop() -> None:
    stop = threading.Event()
    with ScriptedServer() as srv:
        srv.down = True
        probe = TrafficGenerate(
            TrafficGenerate.params_model.model_validate(
                {"session": "down", "endpoints": [srv.url], "rate": 100, "duration": 600}
            ),
            AwsClients(),
            stop,
        )
        threading.Timer(0.5, stop.set).start()
        out = probe.run()
    assert out.requests < 600 * 100  # stopped long before its duration
    assert out.successes == 0 and out.errors_by_status == {"503": out.requests}
    assert out.acknowledged_writes == []


def test_unreachable_endpoint_counts_as_status_0() -> None:
    out = run_probe(
        TrafficGenerate,
        {"endpoints": ["http://127.0.0.1:9"], "rate": 20, "duration": 0.3, "persist": False},
        AwsClients(),
    )
    assert out.requests == 6 and out.errors_by_status == {"0": 6}


def test_params_are_strict() -> None:
    with pytest.raises(InvalidParameters, match="rate"):
        run_probe(TrafficGenerate, {"endpoints": ["http://x"], "rate": 0}, AwsClients())
    with pytest.raises(InvalidParameters, match="http"):
        run_probe(TrafficGenerate, {"endpoints": ["ftp://x"], "rate": 1}, AwsClients())
    with pytest.raises(InvalidParameters, match="rps: Extra"):
        run_probe(TrafficGenerate, {"endpoints": ["http://x"], "rate": 1, "rps": 2}, AwsClients())


def _raw(start: float, key_offsets: dict[int, tuple[int, int]], write: str) -> RawRun:
    raw = RawRun(bucket_s=0.1, started=start, ended=start + 1)
    for k, (n, ok) in key_offsets.items():
        b = Bucket(requests=n, successes=ok, errors={503: n - ok} if n > ok else {})
        for i in range(n):
            b.hist.record(1000 * (i + 1))
            raw.hist.record(1000 * (i + 1))
        raw.buckets[k] = b
        raw.statuses[200] = raw.statuses.get(200, 0) + ok
    raw.writes.append(AckedWrite(id=write, sent=start, acked=start, region="r", endpoint="e"))
    return raw


def test_merge_adds_aligned_buckets_histograms_and_writes() -> None:
    a = _raw(100.0, {1000: (4, 4), 1001: (2, 1)}, "a")
    b = _raw(100.5, {1001: (2, 2), 1002: (3, 0)}, "b")
    merged = merge_runs([a, RawRun.from_dict(json.loads(json.dumps(b.to_dict())))])
    assert merged.buckets[1001].requests == 4 and merged.buckets[1001].successes == 3
    assert merged.buckets[1002].errors == {503: 3}
    assert merged.hist.total == 11 and merged.workers == 2
    assert [w.id for w in merged.writes] == ["a", "b"]
    assert merged.started == 100.0 and merged.ended == 101.5
    assert a.buckets[1001].requests == 2  # inputs untouched
    with pytest.raises(ValueError, match="bucket"):
        merge_runs([a, RawRun(bucket_s=0.05, started=0, ended=0)])


def test_fan_out_splits_rate_and_aligns_start() -> None:
    cfg = LoopConfig(endpoints=["http://x"], requests=[RequestKind()], rate=900, duration=5)
    parts = fan_out_configs(cfg, 3, start_at=1234.5)
    assert [p.rate for p in parts] == [300, 300, 300]
    assert {p.start_at for p in parts} == {1234.5}
    assert len({p.worker_id for p in parts}) == 3


def test_worker_package_is_self_contained() -> None:
    names = zipfile.ZipFile(io.BytesIO(worker_package())).namelist()
    assert sorted(names) == ["histogram.py", "httpclient.py", "traffic_worker.py"]


@mock_aws(config={"lambda": {"use_docker": False}})
def test_fan_out_invokes_lambda_workers_and_merges() -> None:
    # each "Lambda" answers with what the worker handler returned when run here for real
    with ScriptedServer() as srv:
        event = LoopConfig(
            endpoints=[srv.url],
            requests=[RequestKind(method="POST", path="/orders", write=True)],
            rate=50,
            duration=0.2,
        )
        answers = [json.dumps(handler({"chaosrun_traffic": event.to_dict()})) for _ in range(2)]
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="w", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda", region_name="us-east-1").create_function(
        FunctionName="traffic-worker",
        Runtime="python3.12",
        Role=role,
        Handler="traffic_worker.handler",
        Code={"ZipFile": worker_package()},
    )
    resp = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/lambda-simple/response",
        json={"results": answers, "region": "us-east-1"},
        timeout=5,
    )
    assert resp.status_code == 201
    out = run_probe(
        TrafficGenerate,
        {
            "session": "fan",
            "endpoints": ["http://127.0.0.1:9"],
            "rate": 100,
            "duration": 0.2,
            "fan_out": {"function_name": "traffic-worker", "workers": 2, "start_delay_s": 0},
        },
        AwsClients(),
    )
    assert out.workers == 2 and out.worker_errors == []
    assert out.requests == 20 and out.successes == 20
    assert len(out.acknowledged_writes) == 20
