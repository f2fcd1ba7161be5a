"""Builders of realistic :class:`~chaosrun.journal.model.Journal` objects for tests.

Every builder returns a fresh, valid journal; pass keyword arguments to vary the interesting
parts. Other test modules may import these (``from tests.journal_factory import held_journal``
or ``from journal_factory import ...`` with ``tests/`` on ``sys.path``).

- :func:`held_journal` -- steady state held, one Lambda throttle restored cleanly.
- :func:`deviated_journal` -- hypothesis deviated during the method, two faults, one target
  drifted, one restore failed, traffic series, RTO/RPO measurements and alert deliveries.
- :func:`aborted_journal` -- interrupted after injection, everything restored.
- :func:`traffic_journal` -- a long run with many checks and dense traffic series (size tests).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from chaosrun.faults.base import RestoreResult, RestoreStatus, Target
from chaosrun.journal.model import (
    ActivityRun,
    AlertDelivery,
    ChaosrunSection,
    Environment,
    Event,
    FaultRecord,
    Journal,
    Measurement,
    Series,
    SteadyStateCheck,
    SteadyStates,
    TargetRecord,
    Verdict,
)

T0 = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
REGION = "eu-west-1"


def _fn_target(name: str, region: str = REGION) -> Target:
    return Target(
        arn=f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}",
        name=name,
        region=region,
        kind="lambda:function",
    )


def _probe_activity(name: str, tolerance: Any, func: str = "http_ok") -> dict[str, Any]:
    return {
        "type": "probe",
        "name": name,
        "tolerance": tolerance,
        "provider": {
            "type": "python",
            "module": "chaosrun.probes.http",
            "func": func,
            "arguments": {"url": "https://api.example.test/orders"},
        },
    }


PROBES: list[tuple[str, Any]] = [
    ("orders-api-success-ratio", {"type": "range", "range": [0.99, 1.0], "target": "ratio"}),
    ("orders-api-p99-ms", {"type": "range", "range": [0, 800], "target": "p99_ms"}),
]


def probe_run(
    name: str,
    tolerance: Any,
    at: datetime,
    output: Any,
    met: bool,
    phase: str,
) -> ActivityRun:
    return ActivityRun(
        activity=_probe_activity(name, tolerance),
        status="succeeded",
        output=output,
        start=at,
        end=at + timedelta(milliseconds=120),
        duration=0.12,
        tolerance_met=met,
        phase=phase,
    )


def check(phase: str, at: datetime, values: list[tuple[str, Any, Any, bool]]) -> SteadyStateCheck:
    """A hypothesis check; ``values`` = (probe name, tolerance, output, tolerance met)."""
    return SteadyStateCheck(
        phase=phase,  # type: ignore[arg-type]
        at=at,
        steady_state_met=all(v[3] for v in values),
        probes=[probe_run(n, tol, at, out, met, phase) for n, tol, out, met in values],
    )


def environment(sandbox: bool = False) -> Environment:
    return Environment(
        account_id=ACCOUNT,
        regions=[REGION],
        profile="game-day" if not sandbox else None,
        endpoint_url="http://127.0.0.1:4566" if sandbox else None,
        sandbox=sandbox,
        user="alice",
        host="ci-runner-7",
        chaosrun_version="0.1.0",
        chaoslib_version="1.44.0",
        python_version="3.11.9",
        platform="Linux-6.1-x86_64",
    )


def experiment(title: str = "Orders API survives a throttled payment function") -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "title": title,
        "description": (
            "When the payment Lambda is throttled, the orders API queues payments and keeps "
            "answering within 800 ms for 99% of requests."
        ),
        "tags": ["lambda", "throttling", "orders"],
        "steady-state-hypothesis": {
            "title": "Orders API answers",
            "probes": [_probe_activity(n, t) for n, t in PROBES],
        },
        "method": [
            {
                "type": "action",
                "name": "throttle-payments",
                "provider": {
                    "type": "python",
                    "module": "chaosrun.faults.awslambda",
                    "func": "throttle",
                    "arguments": {"names": ["payments"], "reserved_concurrency": 0},
                },
            }
        ],
    }


def _good(phase: str, at: datetime, ratio: float = 1.0, p99: float = 210.0) -> SteadyStateCheck:
    (n1, t1), (n2, t2) = PROBES
    return check(phase, at, [(n1, t1, ratio, ratio >= 0.99), (n2, t2, p99, p99 <= 800)])


def throttle_fault(
    start: datetime,
    inject_after: float,
    restore_after: float,
    targets: list[tuple[str, RestoreResult | None]],
    activity: str = "throttle-payments",
) -> FaultRecord:
    records = []
    for i, (name, result) in enumerate(targets):
        injected = start + timedelta(seconds=inject_after)
        records.append(
            TargetRecord(
                entry_id=f"e{i + 1:03d}",
                target=_fn_target(name),
                before={"reserved_concurrency": None},
                after={"reserved_concurrency": 0},
                injected_at=injected,
                restore=result,
                restored_at=(start + timedelta(seconds=restore_after)) if result else None,
            )
        )
    return FaultRecord(
        activity=activity,
        fault="chaosrun.faults.awslambda.throttle",
        params={"names": [t[0] for t in targets], "reserved_concurrency": 0},
        permissions=["lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"],
        seed=None,
        targets=records,
        started=start + timedelta(seconds=inject_after),
        ended=start + timedelta(seconds=restore_after),
    )


def _action_run(name: str, at: datetime, seconds: float, status: str = "succeeded") -> ActivityRun:
    return ActivityRun(
        activity={"type": "action", "name": name},
        status=status,  # type: ignore[arg-type]
        output=None,
        start=at,
        end=at + timedelta(seconds=seconds),
        duration=seconds,
        phase="method",
    )


def _journal(
    *,
    run_id: str,
    start: datetime,
    duration: float,
    verdict: Verdict,
    status: str,
    deviated: bool,
    steady: SteadyStates,
    section: dict[str, Any],
    run: list[ActivityRun] | None = None,
    rollbacks: list[ActivityRun] | None = None,
    title: str | None = None,
    sandbox: bool = False,
) -> Journal:
    exp = experiment(title) if title else experiment()
    return Journal(
        chaoslib_version="1.44.0",
        platform="Linux-6.1-x86_64",
        node="ci-runner-7",
        experiment=exp,
        start=start,
        end=start + timedelta(seconds=duration),
        duration=duration,
        status=status,  # type: ignore[arg-type]
        deviated=deviated,
        steady_states=steady,
        run=run or [],
        rollbacks=rollbacks or [],
        chaosrun=ChaosrunSection(
            run_id=run_id,
            experiment_file="experiments/orders-throttle.yaml",
            verdict=verdict,
            exit_code=verdict.exit_code,
            environment=environment(sandbox),
            **section,
        ),
    )


def held_journal(
    run_id: str = "20261128T090000Z-held01", start: datetime = T0, sandbox: bool = True
) -> Journal:
    during = [_good("during", start + timedelta(seconds=5 + i * 5), 1.0, 240.0) for i in range(6)]
    fault = throttle_fault(
        start, 4, 34, [("payments", RestoreResult(status=RestoreStatus.RESTORED))]
    )
    return _journal(
        run_id=run_id,
        start=start,
        duration=40.0,
        verdict=Verdict.HELD,
        status="completed",
        deviated=False,
        sandbox=sandbox,
        steady=SteadyStates(
            before=_good("before", start + timedelta(seconds=1)),
            during=during,
            after=_good("after", start + timedelta(seconds=38)),
        ),
        run=[_action_run("throttle-payments", start + timedelta(seconds=4), 30)],
        section={
            "reason": "steady state held throughout; everything restored",
            "faults": [fault],
            "events": [
                Event(at=start, kind="phase", message="steady state before"),
                Event(at=start + timedelta(seconds=4), kind="fault-injected", message="payments"),
                Event(at=start + timedelta(seconds=34), kind="fault-restored", message="payments"),
            ],
            "series": traffic_series(start, 40.0, hz=1.0, degrade=None),
            "measurements": [
                Measurement(name="availability", value=100.0, unit="%", bound=99.0, ok=True),
            ],
        },
    )


def deviated_journal(
    run_id: str = "20261128T100000Z-dev042", start: datetime | None = None
) -> Journal:
    start = start or T0 + timedelta(hours=1)
    deviated_at = start + timedelta(seconds=20)
    (n1, t1), (n2, t2) = PROBES
    during = []
    for i in range(8):
        at = start + timedelta(seconds=5 + i * 5)
        bad = 20 <= 5 + i * 5 <= 30
        ratio = 0.62 if bad else 0.998
        p99 = 2300.0 if bad else 260.0
        during.append(check("during", at, [(n1, t1, ratio, not bad), (n2, t2, p99, not bad)]))
    drift = RestoreResult(
        status=RestoreStatus.DRIFT,
        detail="reserved concurrency changed by someone else since injection; left alone",
        current={"reserved_concurrency": 25},
    )
    failed = RestoreResult(
        status=RestoreStatus.FAILED,
        detail="AccessDeniedException: lambda:DeleteFunctionConcurrency denied; "
        "run `chaosrun rollback 20261128T100000Z-dev042`",
        current={"reserved_concurrency": 0},
    )
    throttle = throttle_fault(
        start,
        4,
        44,
        [
            ("payments", RestoreResult(status=RestoreStatus.RESTORED)),
            ("payments-worker", drift),
        ],
    )
    second = throttle_fault(
        start, 10, 44, [("inventory-sync", failed)], activity="throttle-inventory"
    )
    return _journal(
        run_id=run_id,
        start=start,
        duration=50.0,
        verdict=Verdict.RESTORE_INCOMPLETE,
        status="failed",
        deviated=True,
        steady=SteadyStates(
            before=_good("before", start + timedelta(seconds=1)),
            during=during,
            after=check(
                "after",
                start + timedelta(seconds=48),
                [(n1, t1, 0.97, False), (n2, t2, 640.0, True)],
            ),
        ),
        run=[
            _action_run("throttle-payments", start + timedelta(seconds=4), 40),
            _action_run("throttle-inventory", start + timedelta(seconds=10), 34),
        ],
        rollbacks=[
            ActivityRun(
                activity={"type": "action", "name": "restart-queue-consumer"},
                status="failed",
                start=start + timedelta(seconds=45),
                end=start + timedelta(seconds=46),
                duration=1.0,
                exception=["botocore.exceptions.ClientError: ResourceNotFoundException"],
                phase="rollback",
            )
        ],
        section={
            "reason": "hypothesis deviated during the method; 1 drifted and 1 failed restore",
            "deviated_at": deviated_at,
            "faults": [throttle, second],
            "events": [
                Event(at=start, kind="phase", message="steady state before"),
                Event(at=start + timedelta(seconds=4), kind="fault-injected", message="payments"),
                Event(at=deviated_at, kind="deviation", message="orders-api-success-ratio 0.62"),
                Event(at=start + timedelta(seconds=44), kind="fault-restored", message="drift"),
            ],
            "series": traffic_series(start, 50.0, hz=2.0, degrade=(20.0, 32.0)),
            "measurements": [
                Measurement(
                    name="RTO",
                    value=14.2,
                    unit="s",
                    bound=10.0,
                    ok=False,
                    detail="first good check 14.2 s after restore",
                ),
                Measurement(
                    name="RPO", value=0, unit="messages", bound=0, ok=True, detail="no orders lost"
                ),
                Measurement(name="availability", value=81.4, unit="%", bound=99.0, ok=False),
            ],
            "alerts": [
                AlertDelivery(
                    sink="pagerduty",
                    event="deviation:trigger",
                    status="delivered",
                    attempts=1,
                    at=deviated_at + timedelta(seconds=1),
                ),
                AlertDelivery(
                    sink="slack",
                    event="deviation:trigger",
                    status="failed",
                    attempts=5,
                    at=deviated_at + timedelta(seconds=9),
                    detail="HTTP 503 after 5 attempts",
                ),
            ],
            "errors": ["restore failed for inventory-sync: AccessDeniedException"],
            "notes": ["Game day #12, announced in #orders-oncall."],
        },
    )


def aborted_journal(
    run_id: str = "20261128T110000Z-abo007", start: datetime | None = None
) -> Journal:
    start = start or T0 + timedelta(hours=2)
    fault = throttle_fault(
        start, 3, 12, [("payments", RestoreResult(status=RestoreStatus.RESTORED))]
    )
    return _journal(
        run_id=run_id,
        start=start,
        duration=13.0,
        verdict=Verdict.ABORTED,
        status="interrupted",
        deviated=False,
        steady=SteadyStates(
            before=_good("before", start + timedelta(seconds=1)),
            during=[_good("during", start + timedelta(seconds=6))],
        ),
        run=[_action_run("throttle-payments", start + timedelta(seconds=3), 9, "cancelled")],
        section={
            "reason": "interrupted by SIGINT; everything restored",
            "faults": [fault],
            "events": [
                Event(at=start + timedelta(seconds=11), kind="abort", message="SIGINT received"),
            ],
            "errors": ["RunAborted: interrupted by SIGINT"],
        },
    )


def traffic_series(
    start: datetime, seconds: float, hz: float, degrade: tuple[float, float] | None
) -> list[Series]:
    """Success ratio and latency percentiles sampled at ``hz``; worse inside ``degrade``."""
    rng = random.Random(7)
    n = int(seconds * hz)
    ratio, p50, p95, p99 = [], [], [], []
    for i in range(n):
        t = i / hz
        at = start + timedelta(seconds=t)
        bad = degrade is not None and degrade[0] <= t <= degrade[1]
        wobble = math.sin(t / 7.0)
        ratio.append((at, 0.6 + 0.05 * rng.random() if bad else 0.995 + 0.005 * rng.random()))
        base = 90 + 10 * wobble + rng.random() * 5
        p50.append((at, base * (4 if bad else 1)))
        p95.append((at, base * (8 if bad else 2)))
        p99.append((at, base * (14 if bad else 2.6) if i % 97 else None))
    return [
        Series(name="success_ratio", unit="ratio", points=ratio),
        Series(name="latency_p50", unit="ms", points=p50),
        Series(name="latency_p95", unit="ms", points=p95),
        Series(name="latency_p99", unit="ms", points=p99),
    ]


def traffic_journal(
    run_id: str = "20261128T120000Z-long01",
    seconds: float = 3600.0,
    checks: int = 3600,
    probes: int = 5,
    hz: float = 10.0,
) -> Journal:
    """A long run: ``checks`` during-checks of ``probes`` probes, ``hz`` traffic samples."""
    start = T0 + timedelta(hours=3)
    rng = random.Random(11)
    names = [(f"probe-{k}", {"type": "range", "range": [0, 500]}) for k in range(probes)]
    during = []
    for i in range(checks):
        at = start + timedelta(seconds=i * seconds / checks)
        values = []
        for name, tol in names:
            v = rng.uniform(50, 450) if rng.random() > 0.002 else rng.uniform(600, 900)
            values.append((name, tol, v, v <= 500))
        during.append(check("during", at, values))
    fault = throttle_fault(
        start, 60, seconds - 60, [("payments", RestoreResult(status=RestoreStatus.RESTORED))]
    )
    return _journal(
        run_id=run_id,
        start=start,
        duration=seconds,
        verdict=Verdict.DEVIATED,
        status="failed",
        deviated=True,
        steady=SteadyStates(
            before=check("before", start, [(n, t, 100.0, True) for n, t in names]),
            during=during,
            after=check(
                "after", start + timedelta(seconds=seconds), [(n, t, 100.0, True) for n, t in names]
            ),
        ),
        section={
            "deviated_at": next((c.at for c in during if not c.steady_state_met), None),
            "faults": [fault],
            "series": traffic_series(start, seconds, hz=hz, degrade=(600.0, 900.0)),
            "measurements": [Measurement(name="RTO", value=31.0, unit="s", bound=60.0, ok=True)],
        },
    )
