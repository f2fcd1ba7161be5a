"""Helpers for tests/test_catalogue.py: find the catalogue's experiments, run one against a
sandbox through the engine, and snapshot the app's fault-relevant settings so a test can check
that every fault was restored.

Usable by hand too (prints verdict, reason, duration and any setting that changed)::

    python -m tests.catalogue_support experiments/lambda-throttle-create-order.yaml
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chaosrun.aws.clients import AwsClients, AwsSettings
from chaosrun.engine import Runner, RunOptions
from chaosrun.experiment.loader import LoadedExperiment, load_experiment
from chaosrun.journal.model import Journal
from chaosrun.ledger import Ledger
from chaosrun.probes import traffic_store
from chaosrun.sandbox import Sandbox
from chaosrun.sandbox.app import definition as app

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"
SUFFIXES = (".yaml", ".yml", ".json")


def experiment_files() -> list[Path]:
    """Every experiment of the catalogue (reusable hypotheses in steady_state/ excluded)."""
    return sorted(
        p
        for p in EXPERIMENTS.rglob("*")
        if p.suffix in SUFFIXES and "steady_state" not in p.relative_to(EXPERIMENTS).parts[:-1]
    )


def faults_used(raw: dict[str, Any]) -> set[str]:
    """Registry names of the chaosrun faults an experiment's method calls."""
    names = set()
    for activity in raw.get("method") or []:
        provider = activity.get("provider") or {}
        module = str(provider.get("module", ""))
        if provider.get("type") == "python" and module.startswith("chaosrun.faults."):
            names.add(f"{module}.{provider.get('func')}")
    return names


def expected_verdict(path: Path) -> str:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return str((raw.get("chaosrun") or {}).get("expect"))


# -- the app's settings faults touch ------------------------------------------------------------
def app_state(clients: AwsClients, regions: list[str]) -> dict[str, Any]:
    """Every setting a catalogue fault changes, read through the AWS APIs (a restore check)."""
    state: dict[str, Any] = {}
    iam = clients.client("iam", regions[0])
    for fn in app.FUNCTIONS:
        role = f"{fn['name']}-role"
        names = iam.list_role_policies(RoleName=role)["PolicyNames"]
        state[f"iam:{role}"] = {
            "inline": {
                n: iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]
                for n in sorted(names)
            },
            "attached": sorted(
                p["PolicyArn"]
                for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
            ),
            "tags": _tags(iam.list_role_tags(RoleName=role)["Tags"]),
        }
    r53 = clients.client("route53", regions[0])
    for hc in r53.list_health_checks()["HealthChecks"]:
        tags = r53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=hc["Id"])
        state[f"healthcheck:{hc['Id']}"] = {
            "inverted": hc["HealthCheckConfig"].get("Inverted", False),
            "disabled": hc["HealthCheckConfig"].get("Disabled", False),
            "tags": _tags(tags["ResourceTagSet"].get("Tags", [])),
        }
    for zone in r53.list_hosted_zones()["HostedZones"]:
        records = r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        state[f"zone:{zone['Name']}"] = sorted(
            json.dumps(r, sort_keys=True, default=str) for r in records
        )
    for region in regions:
        state.update(_region_state(clients, region))
    return state


def _tags(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return dict(sorted(tags.items()))
    return {t["Key"]: t["Value"] for t in sorted(tags, key=lambda t: t["Key"])}


def _region_state(clients: AwsClients, region: str) -> dict[str, Any]:
    state: dict[str, Any] = {}
    lam = clients.client("lambda", region)
    for fn in lam.list_functions()["Functions"]:
        name = fn["FunctionName"]
        conf = lam.get_function_configuration(FunctionName=name)
        try:
            policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]
        except lam.exceptions.ResourceNotFoundException:
            policy = []
        state[f"lambda:{region}:{name}"] = {
            "concurrency": lam.get_function_concurrency(FunctionName=name).get(
                "ReservedConcurrentExecutions"
            ),
            "timeout": conf["Timeout"],
            "environment": (conf.get("Environment") or {}).get("Variables", {}),
            "layers": [layer["Arn"] for layer in conf.get("Layers", [])],
            "policy": sorted(json.dumps(s, sort_keys=True) for s in policy),
            "tags": _tags(lam.list_tags(Resource=fn["FunctionArn"]).get("Tags", {})),
        }
    for esm in lam.list_event_source_mappings()["EventSourceMappings"]:
        state[f"esm:{region}:{esm['UUID']}"] = esm["State"] in ("Enabled", "Enabling")
    ssm = clients.client("ssm", region)
    state[f"ssm:{region}"] = sorted(
        p["Name"] for p in ssm.describe_parameters().get("Parameters", [])
    )
    ddb = clients.client("dynamodb", region)
    for table in ddb.list_tables()["TableNames"]:
        arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
        try:
            policy = ddb.get_resource_policy(ResourceArn=arn)["Policy"]
        except ddb.exceptions.PolicyNotFoundException:
            policy = None
        except ddb.exceptions.ResourceNotFoundException:
            policy = None
        state[f"dynamodb:{region}:{table}"] = {
            "policy": policy,
            "tags": _tags(ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])),
        }
    events = clients.client("events", region)
    for bus in events.list_event_buses()["EventBuses"]:
        for rule in events.list_rules(EventBusName=bus["Name"])["Rules"]:
            targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus["Name"])
            state[f"rule:{region}:{bus['Name']}/{rule['Name']}"] = {
                "state": rule["State"],
                # a set keyed by Id: a restored target may come back in another position
                "targets": sorted(targets["Targets"], key=lambda t: str(t["Id"])),
                "tags": _tags(events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]),
            }
    apigw = clients.client("apigateway", region)
    for api in apigw.get_rest_apis()["items"]:
        for stage in apigw.get_stages(restApiId=api["id"])["item"]:
            state[f"stage:{region}:{api['name']}/{stage['stageName']}"] = {
                "methodSettings": stage.get("methodSettings", {}),
                "tags": stage.get("tags", {}),
            }
    for plan in apigw.get_usage_plans()["items"]:
        state[f"usageplan:{region}:{plan['name']}"] = plan.get("throttle")
    return state


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Settings that differ (key -> (before, after))."""
    keys = set(before) | set(after)
    return {k: (before.get(k), after.get(k)) for k in sorted(keys) if before.get(k) != after.get(k)}


# -- running ----------------------------------------------------------------------------------
@dataclass
class Outcome:
    loaded: LoadedExperiment
    journal: Journal
    ledger: Ledger
    duration: float
    before: dict[str, Any]
    after: dict[str, Any]

    @property
    def changed(self) -> dict[str, tuple[Any, Any]]:
        return diff(self.before, self.after)

    @property
    def pending(self) -> list[Any]:
        return self.ledger.load(self.journal.chaosrun.run_id).pending


@contextmanager
def app_sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox with the orders app in its regions (as ``chaosrun run --sandbox``)."""
    with Sandbox(regions=list(app.REGIONS)) as sb:
        yield sb


def run_in_sandbox(path: Path, sb: Sandbox, ledger_dir: Path) -> Outcome:
    """Load and run ``path`` through the engine against ``sb`` (its env must be set)."""
    traffic_store.clear()
    loaded = load_experiment(path)
    clients = AwsClients(AwsSettings(region=loaded.settings.aws.region))
    before = app_state(sb.clients(), sb.regions)
    ledger = Ledger(ledger_dir)
    started = time.monotonic()
    journal = Runner(
        loaded.raw,
        loaded.settings,
        clients=clients,
        ledger=ledger,
        options=RunOptions(experiment_file=str(path), sandbox=True, handle_signals=False),
    ).run()
    duration = time.monotonic() - started
    after = app_state(sb.clients(), sb.regions)
    return Outcome(loaded, journal, ledger, duration, before, after)


def summary(outcome: Outcome) -> str:
    j = outcome.journal
    lines = [
        f"{outcome.loaded.path.name}: {j.verdict.value} (expected "
        f"{outcome.loaded.settings.expect}) in {outcome.duration:.1f}s — {j.chaosrun.reason}"
    ]
    for check in (j.steady_states.before, *j.steady_states.during, j.steady_states.after):
        if check is None:
            continue
        failing = [
            f"{p.activity.get('name')}={p.status}/{p.tolerance_met}"
            for p in check.probes
            if p.tolerance_met is not True
        ]
        if failing or check.phase != "during":
            lines.append(f"  {check.phase}: met={check.steady_state_met} {failing}")
    for m in j.chaosrun.measurements:
        lines.append(f"  measurement {m.name}: {m.value} {m.unit} (bound {m.bound}, ok {m.ok})")
    for err in j.chaosrun.errors:
        lines.append(f"  error: {err[:300]}")
    for key, (b, a) in outcome.changed.items():
        lines.append(f"  CHANGED {key}: {b} -> {a}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:  # pragma: no cover - manual use
    import tempfile

    paths = [Path(a) for a in argv] or experiment_files()
    with app_sandbox() as sb:
        os.environ.update(sb.env())
        for path in paths:
            with tempfile.TemporaryDirectory() as ledger_dir:
                print(summary(run_in_sandbox(path.resolve(), sb, Path(ledger_dir))), flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
