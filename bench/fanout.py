"""Fan-out benchmark: throttle then restore 200 Lambda functions selected by tag.

Half of the functions have a prior reserved concurrency. Every AWS call goes through a proxy
adding 30 ms (an AWS API round trip) in front of a moto server; both run in a process of their
own, like a remote AWS, so they do not share the measured client's interpreter. moto loads its
tagging-API backends lazily (~1.3 s on the first GetResources here): that one-off emulator cost
is paid in setup, before timing, since AWS has no such cold start. Compared in the same run:

- chaosrun: ``apply_fault(awslambda.throttle, tags=...)`` + ``restore_run`` (snapshot, ledger
  fsync, lock tags, drift check included);
- chaostoolkit-aws (side venv, bench/.work/ctk-venv): one ``put_function_concurrency`` and one
  ``delete_function_concurrency`` per function, in sequence as a Chaos Toolkit method runs them;
- the floor: the same 200 puts + 200 restoring writes as bare boto3 calls at chaosrun's
  concurrency (writes only; no reads, no ledger, no locks).

Run: python -m bench.fanout [--functions 200] [--delay 0.03] [--concurrency 16] [--repeats 3]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import botocore.endpoint
from botocore.config import Config

from bench.common import fake_aws_env, remote_emulator, timed

CTK_PYTHON = Path(__file__).parent / ".work" / "ctk-venv" / "bin" / "python"

CTK_SCRIPT = """
import json, sys
from chaosaws.awslambda.actions import put_function_concurrency, delete_function_concurrency
names = json.loads(sys.argv[1])
conf = {"aws_region": "us-east-1"}
for name in names:
    put_function_concurrency(name, 0, configuration=conf)
for name in names:
    delete_function_concurrency(name, configuration=conf)
"""


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return e\n")
    return buf.getvalue()


class RequestCounter:
    """Counts the HTTP requests boto3 sends from this process (retries included): the call
    count each contestant needs. With the emulator serving a fixed number of calls per second,
    chaosrun / floor cannot go below the ratio of their counts."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        original = botocore.endpoint.Endpoint._send

        def counting(endpoint: Any, request: Any) -> Any:
            with self._lock:
                self.count += 1
            return original(endpoint, request)

        botocore.endpoint.Endpoint._send = counting  # type: ignore[method-assign]

    def take(self) -> int:
        """The requests counted since the last call."""
        with self._lock:
            count, self.count = self.count, 0
        return count


#: the floor's retry policy; with --lambda-quotas, chaosrun's (AwsSettings: adaptive, 8 attempts)
FLOOR_RETRIES: dict[str, object] = {"mode": "standard"}


def _client(endpoint: str, concurrency: int, retries: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    return boto3.client(
        "lambda",
        region_name="us-east-1",
        endpoint_url=endpoint,
        config=Config(max_pool_connections=concurrency, retries=retries or {"mode": "standard"}),
    )


def setup(endpoint: str, n: int) -> dict[str, int | None]:
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint)
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = _client(endpoint, 16)
    code = _zip()
    prior: dict[str, int | None] = {}

    def make(i: int) -> None:
        name = f"bench-fn-{i:03d}"
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code},
            Tags={"bench": "fanout"},
        )
        prior[name] = 10 + i if i % 2 == 0 else None

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(make, range(n)))
    return prior


def warm_up(endpoint: str) -> None:
    """Make moto load its tagging-API backends now (a one-off emulator cost, not AWS's)."""
    tagging = boto3.client(
        "resourcegroupstaggingapi", region_name="us-east-1", endpoint_url=endpoint
    )
    list(tagging.get_paginator("get_resources").paginate(ResourceTypeFilters=["lambda:function"]))
    lam = _client(endpoint, 1)
    arn = lam.get_function(FunctionName="bench-fn-000")["Configuration"]["FunctionArn"]
    tagging.tag_resources(ResourceARNList=[arn], Tags={"warm": "up"})
    tagging.untag_resources(ResourceARNList=[arn], TagKeys=["warm"])


def reset(endpoint: str, prior: dict[str, int | None]) -> None:
    lam = _client(endpoint, 16)

    def one(item: tuple[str, int | None]) -> None:
        name, value = item
        if value is None:
            lam.delete_function_concurrency(FunctionName=name)
        else:
            lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=value)
        tags = lam.list_tags(
            Resource=lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        )
        assert "chaosrun:lock" not in tags["Tags"]

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, prior.items()))


def observed(endpoint: str, prior: dict[str, int | None]) -> dict[str, int | None]:
    lam = _client(endpoint, 16)

    def one(name: str) -> tuple[str, int | None]:
        got = lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
        return name, got

    with ThreadPoolExecutor(16) as pool:
        return dict(pool.map(one, prior))


def run_chaosrun(proxy: str, concurrency: int, ledger_dir: Path) -> None:
    from chaosrun.aws.clients import AwsClients, AwsSettings
    from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
    from chaosrun.ledger import Ledger

    clients = AwsClients(
        AwsSettings(region="us-east-1", endpoint_url=proxy, max_pool_connections=concurrency)
    )
    ctx = FaultContext(
        run_id=new_run_id(), clients=clients, ledger=Ledger(ledger_dir), concurrency=concurrency
    )
    try:
        apply_fault(
            ctx,
            "chaosrun.faults.awslambda.throttle",
            {"tags": {"bench": "fanout"}, "reserved_concurrency": 0},
        )
    finally:  # as the engine does: whatever injection managed is restored
        results = restore_run(ctx.ledger, clients, ctx.run_id, concurrency=concurrency)
    bad = [r for _, r in results if not r.ok]
    assert not bad, bad


def run_floor(proxy: str, concurrency: int, prior: dict[str, int | None]) -> None:
    lam = _client(proxy, concurrency, FLOOR_RETRIES)

    def throttle(name: str) -> None:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)

    def restore(item: tuple[str, int | None]) -> None:
        name, value = item
        if value is None:
            lam.delete_function_concurrency(FunctionName=name)
        else:
            lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=value)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(throttle, prior))
        list(pool.map(restore, prior.items()))


def run_floor_200(proxy: str, concurrency: int, prior: dict[str, int | None]) -> None:
    lam = _client(proxy, concurrency, FLOOR_RETRIES)
    with ThreadPoolExecutor(concurrency) as pool:
        list(
            pool.map(
                lambda n: lam.put_function_concurrency(
                    FunctionName=n, ReservedConcurrentExecutions=0
                ),
                prior,
            )
        )


def run_ctk(proxy: str, prior: dict[str, int | None]) -> None:
    env = {**os.environ, **fake_aws_env(), "AWS_ENDPOINT_URL": proxy}
    proc = subprocess.run(
        [str(CTK_PYTHON), "-c", CTK_SCRIPT, json.dumps(sorted(prior))],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        lines = proc.stderr.strip().splitlines() or ["exited " + str(proc.returncode)]
        raise RuntimeError(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--functions", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.030)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3, help="rounds; medians are printed")
    parser.add_argument(
        "--lambda-quotas",
        action="store_true",
        help="the proxy also enforces Lambda's API rate quotas (429 over 15 control-plane "
        "calls/s); the floor then retries like chaosrun (adaptive, 8 attempts)",
    )
    args = parser.parse_args()
    if args.lambda_quotas:
        FLOOR_RETRIES.update(mode="adaptive", max_attempts=8)
    os.environ.update(fake_aws_env())
    # imports happen before timing for every contestant (boto3 is imported at the top of this
    # file): start-up has a benchmark of its own (bench/startup.py); this one times the fan-out
    import chaosrun.faults.runtime
    from chaosrun.plugins import FAULTS

    FAULTS.get("chaosrun.faults.awslambda.throttle")
    del chaosrun
    times: dict[str, list[float]] = {"floor200": [], "floor": [], "ours": [], "ctk": []}
    exact: dict[str, list[bool]] = {"floor": [], "ours": []}
    failures: dict[str, list[str]] = {k: [] for k in times}
    requests: dict[str, int] = {}
    counter = RequestCounter()

    def attempt(key: str, run: Callable[[], None]) -> None:
        """Time ``run``; a contestant that fails (e.g. retries exhausted) is recorded, not fatal."""
        counter.take()
        try:
            times[key].append(timed(run)[0])
        except Exception as exc:
            failures[key].append(f"{type(exc).__name__}: {str(exc)[:300]}")
        requests[key] = counter.take()  # the last round's (ctk's run in its own process: 0)

    lost, conc = -1, args.concurrency
    emulator = remote_emulator(args.delay, args.lambda_quotas)
    with emulator as (moto, proxy), tempfile.TemporaryDirectory() as tmp:
        prior = setup(moto, args.functions)
        warm_up(moto)
        for round_ in range(args.repeats):
            reset(moto, prior)
            attempt("floor200", partial(run_floor_200, proxy, conc, prior))
            reset(moto, prior)
            attempt("floor", partial(run_floor, proxy, conc, prior))
            exact["floor"].append(observed(moto, prior) == prior)
            reset(moto, prior)
            attempt("ours", partial(run_chaosrun, proxy, conc, Path(tmp) / f"ledger-{round_}"))
            exact["ours"].append(observed(moto, prior) == prior)
            reset(moto, prior)
            if CTK_PYTHON.exists():
                attempt("ctk", partial(run_ctk, proxy, prior))
                after = observed(moto, prior)
                lost = sum(1 for n, v in prior.items() if v is not None and after[n] != v)
    med = {k: statistics.median(v) if v else float("nan") for k, v in times.items()}
    with_prior = sum(1 for v in prior.values() if v is not None)

    def runs(key: str) -> str:
        return " / ".join(f"{t:.2f}" for t in times[key])

    print(
        f"functions={args.functions} delay={args.delay * 1000:.0f}ms "
        f"concurrency={args.concurrency} repeats={args.repeats} "
        f"lambda-quotas={args.lambda_quotas} (median; runs)"
    )
    n = args.functions
    print(f"{f'floor, {n} bare puts':31s}: {med['floor200']:7.2f} s  ({runs('floor200')})")
    print(
        f"{f'floor, {n} puts + {n} restores':31s}: {med['floor']:7.2f} s  ({runs('floor')})  "
        f"restored: {all(exact['floor'])}"
    )
    print(
        f"chaosrun throttle + restore    : {med['ours']:7.2f} s  ({runs('ours')})  "
        f"exact restore: {all(exact['ours'])}"
    )
    print(
        f"chaostoolkit-aws put + delete  : {med['ctk']:7.2f} s  ({runs('ctk')})  "
        f"prior values lost: {lost}/{with_prior}"
    )
    for key, errors in failures.items():
        for error in errors:
            print(f"FAILED {key}: {error}")
    vs_ctk, vs_floor = med["ctk"] / med["ours"], med["ours"] / med["floor"]
    print(f"ratio chaostoolkit-aws / chaosrun      : {vs_ctk:6.1f}x  (goal >= 5x)")
    print(f"ratio chaosrun / floor (puts+restores) : {vs_floor:6.2f}x  (goal <= 1.5x)")
    print(f"ratio chaosrun / floor ({n} bare puts) : {med['ours'] / med['floor200']:6.2f}x")
    calls_ours, calls_floor = requests.get("ours", 0), requests.get("floor", 0)
    if calls_ours and calls_floor:
        print(
            f"API requests, last round: chaosrun {calls_ours}, floor (puts+restores) "
            f"{calls_floor}: ratio {calls_ours / calls_floor:.2f}x, the least chaosrun / floor "
            f"can be at the same calls/s; time per request chaosrun / floor "
            f"{(med['ours'] / calls_ours) / (med['floor'] / calls_floor):.2f}x"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
