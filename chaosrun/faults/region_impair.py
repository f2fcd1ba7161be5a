"""Take one region out: a composite of Lambda throttling, DynamoDB deny and DNS failover.

In ``region``, the selected ``functions`` get reserved concurrency 0 (every invoke is throttled,
``chaosrun.faults.awslambda.throttle``), the selected ``tables`` refuse item reads and writes
(``chaosrun.faults.dynamodb.deny_access``), and the selected Route 53 ``health_checks`` (those
of the region's endpoints) are failed with ``how: unreachable`` so DNS fails over
(``chaosrun.faults.route53.force_failover``): pointed at a path/port their endpoint cannot serve,
they stay failed while the region's endpoints really fail. (Inverting them would not hold: an
inverted check turns healthy again ``FailureThreshold`` failed probes after the region's
``/health`` breaks, and traffic would go back to the dead region.) Route 53 moves traffic after
its detection time (``FailureThreshold`` x ``RequestInterval``), as in a real outage.

The parts are applied DNS first, then functions, then tables, under one ledger group;
``restore_run`` restores the group as one unit. Selectors by ``names`` or ``tags`` look only in
``region``; ``arns`` name their own region.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator

from chaosrun.faults.base import CompositeFault, Params
from chaosrun.faults.dynamodb_deny_access import DenyAccess
from chaosrun.faults.lambda_throttle import Throttle
from chaosrun.faults.route53_force_failover import ForceFailover, HealthCheckParams
from chaosrun.plugins import FAULTS

_ONE_SELECTOR = "give exactly one of names, arns or tags"
_SOMETHING = "select at least one of functions, tables or health_checks"


class ResourceSelector(Params):
    """Resources of the region by ``names``, ``arns`` or ``tags`` (exactly one)."""

    rules: ClassVar[tuple[str, ...]] = (_ONE_SELECTOR,)

    names: list[str] | None = None
    arns: list[str] | None = None
    tags: dict[str, str] | None = None

    @model_validator(mode="after")
    def _one_selector(self) -> ResourceSelector:
        if sum(1 for k in ("names", "arns", "tags") if getattr(self, k)) != 1:
            raise ValueError(_ONE_SELECTOR)
        return self


class ImpairParams(Params):
    rules: ClassVar[tuple[str, ...]] = (_SOMETHING,)

    region: str = Field(description="the region to take out, e.g. us-east-1")
    functions: ResourceSelector | None = Field(None, description="Lambda functions to throttle")
    tables: ResourceSelector | None = Field(None, description="DynamoDB tables to deny")
    health_checks: HealthCheckParams | None = Field(
        None,
        description="Route 53 health checks of the region's endpoints to fail (unreachable)",
    )
    table_duration_seconds: int | None = Field(
        None, ge=1, le=43200, description="the tables' Deny statements expire by themselves"
    )

    @model_validator(mode="after")
    def _something(self) -> ImpairParams:
        if not (self.functions or self.tables or self.health_checks):
            raise ValueError(_SOMETHING)
        return self


def _selection(selector: Params) -> dict[str, Any]:
    return selector.model_dump(mode="json", exclude_none=True)


# the registry is typed for plain faults; the runtime dispatches composites by ``composite``
@FAULTS.register("chaosrun.faults.region.impair")  # type: ignore[arg-type]
class Impair(CompositeFault):
    name = "chaosrun.faults.region.impair"
    summary = (
        "Take a region out: throttle its Lambda functions to 0, deny its DynamoDB tables, "
        "fail its Route 53 health checks (unreachable); restored as one unit."
    )
    params_model = ImpairParams
    permissions = tuple(
        sorted({*Throttle.permissions, *DenyAccess.permissions, *ForceFailover.permissions})
    )

    def expand(self) -> list[tuple[str, dict[str, Any]]]:
        p: ImpairParams = self.params
        parts: list[tuple[str, dict[str, Any]]] = []
        if p.health_checks:
            # never ``invert``: the region's own endpoints fail too (see the module docstring)
            parts.append(
                (ForceFailover.name, {**_selection(p.health_checks), "how": "unreachable"})
            )
        if p.functions:
            parts.append(
                (
                    Throttle.name,
                    {**_selection(p.functions), "regions": [p.region], "reserved_concurrency": 0},
                )
            )
        if p.tables:
            args = {**_selection(p.tables), "regions": [p.region]}
            if p.table_duration_seconds:
                args["duration_seconds"] = p.table_duration_seconds
            parts.append((DenyAccess.name, args))
        return parts
