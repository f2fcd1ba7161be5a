"""activeactive.rto on a scripted outage of known length (and the pure computation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chaosrun.aws.clients import AwsClients
from chaosrun.probes.aa_rto import measure_rto
from chaosrun.probes.base import run_probe
from chaosrun.probes.traffic_generate import TrafficGenerate
from chaosrun.probes.traffic_store import TrafficBucket
from tests.test_traffic_support import ScriptedServer

RTO = "chaosrun.probes.activeactive.rto"


def test_rto_of_a_scripted_outage() -> None:
    outage = 1.0
    with ScriptedServer() as srv:
        fault_start, _ = srv.schedule_outage(starts_in=0.5, length=outage)
        run_probe(
            TrafficGenerate,
            {"session": "rto", "endpoints": [srv.url], "rate": 200, "duration": 3.0},
            AwsClients(),
        )
    from chaosrun.probes.activeactive import Rto

    out = run_probe(Rto, {"session": "rto", "sustain_s": 0.5, "max_rto_s": 30}, AwsClients())
    assert out.failure_observed and out.recovered
    # within bucket resolution at both ends, plus a generous margin for scheduling
    assert outage - 0.1 - 0.3 <= out.rto_s <= outage + 0.2 + 0.5
    assert out.failed_requests > 0
    assert abs((out.first_failure - datetime.fromtimestamp(fault_start, UTC)).total_seconds()) < 0.5
    [m] = out.measurements()
    assert m.name == "RTO (rto)" and m.bound == 30 and m.ok is True

    given = run_probe(
        Rto,
        {"session": "rto", "fault_start": datetime.fromtimestamp(fault_start - 1, UTC)},
        AwsClients(),
    )
    assert given.rto_s > out.rto_s  # measured from the given start, a second earlier


def _b(t0: datetime, i: int, n: int, ok: int) -> TrafficBucket:
    return TrafficBucket(start=t0 + timedelta(seconds=i / 10), requests=n, successes=ok)


def test_measure_rto_needs_sustained_recovery() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    # ok, fail x3, one good bucket (blip), fail, then good for 1 s
    ratios = [10, 0, 0, 0, 10, 0] + [10] * 10
    buckets = [_b(t0, i, 10, ok) for i, ok in enumerate(ratios)]
    end = t0 + timedelta(seconds=1.6)
    start, first, recovered, failed, _ = measure_rto(buckets, 0.1, 0.95, 0.5, None, end)
    assert first == t0 + timedelta(seconds=0.1) and start == first
    assert recovered == t0 + timedelta(seconds=0.6)  # the blip at 0.4 s did not count
    assert failed == 40


def test_not_recovered_and_no_failure() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    down = [_b(t0, i, 10, 0 if i >= 3 else 10) for i in range(10)]
    end = t0 + timedelta(seconds=1)
    assert measure_rto(down, 0.1, 0.95, 0.5, None, end)[2] is None
    healthy = [_b(t0, i, 10, 10) for i in range(10)]
    assert measure_rto(healthy, 0.1, 0.95, 0.5, None, end)[1] is None
