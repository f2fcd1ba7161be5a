"""Cross-field rules: declared where they are enforced, and worded as the error that enforces them.

A sweep over the whole registry (like Cloud Custodian's schema tests): every fault and probe
parameter model, nested ones included, that has a model validator declares its rules in ``rules``
(which ``chaosrun list`` shows) or is on ``NO_CROSS_FIELD_RULE``; and every declared rule has a
violating input in ``VIOLATIONS`` whose error carries the very sentence the listing shows.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from chaosrun.cli import cmd_list
from chaosrun.cli.main import main
from chaosrun.faults.apigw_common import StageParams
from chaosrun.faults.apigw_throttle_method import ThrottleMethodParams
from chaosrun.faults.base import TargetedParams
from chaosrun.faults.dynamodb_pause_replication import PauseReplicationParams
from chaosrun.faults.iam_remove_permissions import RemovePermissionsParams
from chaosrun.faults.iam_remove_resource_permission import RemoveResourcePermissionParams
from chaosrun.faults.lambda_disable_event_source import DisableEventSourceParams
from chaosrun.faults.lambda_inject_failure import InjectFailureParams
from chaosrun.faults.lambda_reduce_timeout import ReduceTimeoutParams
from chaosrun.faults.region_impair import ImpairParams, ResourceSelector
from chaosrun.faults.route53_force_failover import HealthCheckParams
from chaosrun.plugins import FAULTS, PROBES
from chaosrun.probes.aa_common import SessionWindow
from chaosrun.probes.aa_rpo import RpoParams
from chaosrun.probes.aa_serving_region import ServingRegionParams
from chaosrun.probes.cloudwatch_alarm import AlarmStateParams
from chaosrun.probes.route53_dns_answer import DnsAnswerParams
from chaosrun.probes.traffic_generate import TrafficParams

#: models whose model validator checks no rule between fields, with the reason
NO_CROSS_FIELD_RULE: dict[type[BaseModel], str] = {
    # checks each endpoint on its own (http:// or https://); the error names the endpoint
    TrafficParams: "per-item URL scheme check",
}

#: arguments each model accepts; a model not listed uses its nearest listed base class
VALID: dict[type[BaseModel], dict[str, Any]] = {
    TargetedParams: {"names": ["f"]},
    StageParams: {"names": ["prod"], "api": "orders"},
    ThrottleMethodParams: {
        "names": ["prod"],
        "api": "orders",
        "resource_path": "/",
        "http_method": "GET",
    },
    ReduceTimeoutParams: {"names": ["f"], "timeout": 3},
    PauseReplicationParams: {"names": ["t"], "duration_seconds": 60},
    DisableEventSourceParams: {"names": ["f"]},
    InjectFailureParams: {"names": ["f"], "mode": "exception"},
    RemoveResourcePermissionParams: {"names": ["f"], "statement_ids": ["s"]},
    RemovePermissionsParams: {"names": ["r"], "remove_inline_policies": ["p"]},
    ResourceSelector: {"names": ["f"]},
    ImpairParams: {"region": "us-east-1", "functions": {"names": ["f"]}},
    HealthCheckParams: {"ids": ["h"]},
    AlarmStateParams: {"alarm_names": ["a"]},
    SessionWindow: {},
    RpoParams: {"read_urls": ["https://eu.api/orders/{id}"]},
    ServingRegionParams: {"url": "https://api.example.com"},
    DnsAnswerParams: {"record_name": "api.example.com", "zone_name": "example.com"},
}

#: (model declaring the rule, arguments merged over VALID that break it, the rule); a row also
#: covers the subclasses that inherit the rule, each checked with its own VALID arguments
VIOLATIONS: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (
        TargetedParams,
        {"arns": ["arn:aws:lambda:us-east-1:1:function:f"]},
        "give exactly one of names, arns or tags to select targets",
    ),
    (TargetedParams, {"count": 1, "percent": 50}, "give count or percent, not both"),
    (StageParams, {"api": None}, "names are stage names: give the REST API id or name as api"),
    (
        DisableEventSourceParams,
        {"uuids": ["u"]},
        "give exactly one of names, arns or tags (of functions) or uuids (of mappings)",
    ),
    (
        InjectFailureParams,
        {"mode": "latency"},
        "mode latency needs max_latency_ms (and optionally min_latency_ms)",
    ),
    (
        InjectFailureParams,
        {"mode": "latency", "min_latency_ms": 500, "max_latency_ms": 100},
        "min_latency_ms must not exceed max_latency_ms",
    ),
    (InjectFailureParams, {"mode": "denylist"}, "mode denylist needs denylist: [host regexes]"),
    (
        RemoveResourcePermissionParams,
        {"principal": "p"},
        "give exactly one of statement_ids or principal",
    ),
    (
        RemovePermissionsParams,
        {"detach_policies": ["arn"]},
        "give exactly one of detach_policies, remove_inline_policies or deny",
    ),
    (ResourceSelector, {"tags": {"team": "a"}}, "give exactly one of names, arns or tags"),
    (
        ImpairParams,
        {"functions": None},
        "select at least one of functions, tables or health_checks",
    ),
    (HealthCheckParams, {"ids": None}, "give exactly one of ids or tags to select health checks"),
    (HealthCheckParams, {"count": 1, "percent": 50}, "give count or percent, not both"),
    (
        AlarmStateParams,
        {"alarm_name_prefix": "api-"},
        "give exactly one of alarm_names or alarm_name_prefix",
    ),
    (
        SessionWindow,
        {"since": "2024-01-01T00:00:00Z", "start_offset_s": 1},
        "give since or start_offset_s, not both",
    ),
    (
        SessionWindow,
        {"until": "2024-01-01T00:00:00Z", "end_offset_s": 1},
        "give until or end_offset_s, not both",
    ),
    (
        RpoParams,
        {"read_urls": None},
        "give read_urls (GET templates with {id}), dynamodb or both to read back",
    ),
    (ServingRegionParams, {"session": "s"}, "give exactly one of url or session"),
    (ServingRegionParams, {"wait_s": 5}, "wait_s needs url and expect_region"),
    (DnsAnswerParams, {"hosted_zone_id": "Z1"}, "give exactly one of hosted_zone_id or zone_name"),
]


def _parameter_models() -> list[type[BaseModel]]:
    """Every registered plugin's parameter model and the nested models ``chaosrun list`` shows."""
    pending: list[type[BaseModel]] = [
        cls.params_model for registry in (FAULTS, PROBES) for _, cls in registry.items()
    ]
    seen: dict[type[BaseModel], None] = {}
    while pending:
        model = pending.pop()
        if model not in seen:
            seen[model] = None
            nested = (cmd_list.nested_model(f.annotation) for f in model.model_fields.values())
            pending.extend(m for m in nested if m is not None)
    return sorted(seen, key=lambda m: f"{m.__module__}.{m.__qualname__}")


def _looks_across(model: type[BaseModel]) -> bool:
    """A model validator, or a field validator taking ``info`` (it can read other fields)."""
    decorators = model.__pydantic_decorators__
    field_info = any(
        len(inspect.signature(d.func).parameters) > 1 for d in decorators.field_validators.values()
    )
    return bool(decorators.model_validators) or field_info


MODELS = _parameter_models()
CROSS_FIELD = [m for m in MODELS if _looks_across(m)]
RULED = [(m, rule) for m in MODELS for rule in getattr(m, "rules", ())]


def _valid(model: type[BaseModel]) -> dict[str, Any]:
    base = next(c for c in model.__mro__ if c in VALID)
    return VALID[base]


@pytest.mark.parametrize("model", CROSS_FIELD, ids=lambda m: m.__name__)
def test_cross_field_validators_declare_their_rules(model: type[BaseModel]) -> None:
    assert getattr(model, "rules", ()) or model in NO_CROSS_FIELD_RULE, (
        f"{model.__name__} validates across fields: declare each rule in its `rules` "
        "(shown by `chaosrun list`) or add it to NO_CROSS_FIELD_RULE with the reason"
    )


def test_sweep_reaches_rules_and_nested_models() -> None:
    assert ResourceSelector in CROSS_FIELD and HealthCheckParams in CROSS_FIELD  # nested
    assert RULED, "no parameter model declares a rule"


@pytest.mark.parametrize(("model", "rule"), RULED, ids=[f"{m.__name__}:{r}" for m, r in RULED])
def test_each_rule_is_the_error_that_enforces_it(model: type[BaseModel], rule: str) -> None:
    valid = _valid(model)
    model.model_validate(valid)  # VALID itself passes, so the error below is the rule's
    rows = [args for owner, args, r in VIOLATIONS if r == rule and issubclass(model, owner)]
    assert rows, f"{model.__name__}: add a VIOLATIONS row breaking {rule!r}"
    for args in rows:
        with pytest.raises(ValidationError) as caught:
            model.model_validate({**valid, **args})
        assert rule in str(caught.value), f"{model.__name__} {args}: {caught.value}"


@pytest.mark.parametrize("row", VIOLATIONS, ids=lambda r: r[2])
def test_violation_rows_name_a_declared_rule(row: tuple[type[BaseModel], Any, str]) -> None:
    model, _, rule = row
    assert rule in getattr(model, "rules", ()), f"{model.__name__} does not declare {rule!r}"


def test_list_shows_the_rules_of_real_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "faults"]) == 0
    out = capsys.readouterr().out
    assert "  rules:\n    - give exactly one of names, arns or tags to select targets\n" in out
    assert "        - give exactly one of ids or tags to select health checks\n" in out  # nested
