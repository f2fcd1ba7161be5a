"""Force Route 53 DNS failover away from a region by failing its health checks.

Select the primary region's health checks by ``ids`` or ``tags``; ``how`` says how they fail:

- ``unreachable`` (default): the check is pointed at something its endpoint cannot serve, on the
  same host: HTTP/HTTPS checks get ``ResourcePath`` :data:`FORCED_PATH` (STR_MATCH checks also
  ``SearchString`` :data:`FORCED_SEARCH_STRING`), TCP checks ``Port`` :data:`CLOSED_PORT`;
  ``Inverted`` is set to false. The check then fails *whatever the endpoint does*: it stays
  failed when the region really breaks too (``chaosrun.faults.region.impair``). Route 53 needs
  ``FailureThreshold`` failed probes (``RequestInterval`` apart) to call it unhealthy, so DNS
  fails over after its detection time, as in a real outage. The IP address and domain name are
  never changed: health checkers must not be sent to hosts that are not the check's own.
- ``invert``: ``Inverted`` is set to true. DNS fails over at once, but an inverted check is
  healthy while its endpoint *fails*: once the region really breaks, ``FailureThreshold`` failed
  probes later the check turns healthy again and traffic goes back to the broken region. Use it
  only to evacuate a region that keeps working (a planned failover).

``CALCULATED``, ``CLOUDWATCH_METRIC`` and ``RECOVERY_CONTROL`` checks have no endpoint:
``unreachable`` refuses them before changing anything (select their child checks, or the
region's endpoint checks, or say ``how: invert`` knowingly).

The state is ``Inverted`` plus, for ``unreachable``, the exact prior values of the fields it
changes (an absent ``ResourcePath`` stays absent: restore clears it with ``ResetElements``).
``Disabled`` is not touched: a disabled check is healthy whatever this fault does.

Health checks are global; their targets carry the configured region only for the client.
They are locked with the ``chaosrun:lock`` tag (``ChangeTagsForResource``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from chaosrun.aws.locks import TagAdapter, register_adapter
from chaosrun.errors import InvalidParameters, NoTargets
from chaosrun.faults.base import (
    COUNT_OR_PERCENT,
    Fault,
    Params,
    ResourceGone,
    RestoreResult,
    Target,
)
from chaosrun.plugins import FAULTS

HEALTH_CHECK_KIND = "route53:healthcheck"
#: ``how: unreachable``: a path no endpoint serves (constant, so a check left failed is
#: recognisable and every run plans the same state)
FORCED_PATH = "/chaosrun-forced-failover-4f7d1c2a"
#: ``how: unreachable`` on STR_MATCH checks: never in a body (not even one echoing the path)
FORCED_SEARCH_STRING = "chaosrun forced failover: this string is never served (4f7d1c2a)"
#: ``how: unreachable`` on TCP checks: tcpmux, closed on any real endpoint
CLOSED_PORT = 1
HTTP_TYPES = frozenset({"HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH"})
ENDPOINT_TYPES = HTTP_TYPES | {"TCP"}
How = Literal["unreachable", "invert"]


_ONE_SELECTOR = "give exactly one of ids or tags to select health checks"


class HealthCheckParams(Params):
    """Health checks by ``ids`` or ``tags`` (exactly one), then optional count/percent."""

    rules: ClassVar[tuple[str, ...]] = (_ONE_SELECTOR, COUNT_OR_PERCENT)

    ids: list[str] | None = Field(None, description="health check ids")
    tags: dict[str, str] | None = Field(None, description="select health checks with all tags")
    count: int | None = Field(None, ge=1, description="pick this many at random")
    percent: float | None = Field(None, gt=0, le=100, description="pick this share at random")
    seed: int | None = Field(None, description="random seed for count/percent (recorded)")

    @model_validator(mode="after")
    def _one_selector(self) -> HealthCheckParams:
        if bool(self.ids) == bool(self.tags):
            raise ValueError(_ONE_SELECTOR)
        if self.count is not None and self.percent is not None:
            raise ValueError(COUNT_OR_PERCENT)
        return self


class ForceFailoverParams(HealthCheckParams):
    how: How = Field(
        "unreachable",
        description=(
            "unreachable: point the check at a path/port its endpoint cannot serve (stays failed "
            "when the region really breaks; DNS moves after FailureThreshold x RequestInterval); "
            "invert: Inverted=true (moves at once, but turns healthy again once the endpoint "
            "really fails)"
        ),
    )


class Endpoint(BaseModel):
    """What ``how: unreachable`` changes, for the check's ``type``; ``None``: absent (or not a
    field of that type)."""

    type: str
    resource_path: str | None = None
    search_string: str | None = None
    port: int | None = None


class CheckFailure(BaseModel):
    inverted: bool
    #: ``how: unreachable`` only; ``None`` for ``how: invert``, which touches nothing else
    endpoint: Endpoint | None = None


def health_check_target(check_id: str, region: str) -> Target:
    return Target(
        arn=f"arn:aws:route53:::healthcheck/{check_id}",
        name=check_id,
        region=region,
        kind=HEALTH_CHECK_KIND,
    )


def _check_id(target: Target) -> str:
    return target.arn.rsplit("/", 1)[1]


def _listed(client: Any) -> dict[str, str]:
    """Every health check: id -> Type."""
    types: dict[str, str] = {}
    for page in client.get_paginator("list_health_checks").paginate():
        for check in page.get("HealthChecks", []):
            types[check["Id"]] = str(check["HealthCheckConfig"]["Type"])
    return types


def _tagged(client: Any, ids: list[str], wanted: dict[str, str]) -> list[str]:
    matched: list[str] = []
    for i in range(0, len(ids), 10):  # ListTagsForResources takes 10 ids per call
        resp = client.list_tags_for_resources(
            ResourceType="healthcheck", ResourceIds=ids[i : i + 10]
        )
        for tag_set in resp.get("ResourceTagSets", []):
            have = {t["Key"]: t["Value"] for t in tag_set.get("Tags", [])}
            if all(have.get(k) == v for k, v in wanted.items()):
                matched.append(tag_set["ResourceId"])
    return matched


@FAULTS.register("chaosrun.faults.route53.force_failover")
class ForceFailover(Fault[ForceFailoverParams, CheckFailure]):
    name = "chaosrun.faults.route53.force_failover"
    summary = (
        "Force DNS failover away from a region by failing its Route 53 health checks "
        "(unreachable path/port, or inverted)."
    )
    params_model = ForceFailoverParams
    state_model = CheckFailure
    resource_kind = HEALTH_CHECK_KIND
    permissions = (
        "route53:GetHealthCheck",
        "route53:ListHealthChecks",
        "route53:UpdateHealthCheck",
        "route53:ListTagsForResource",
        "route53:ListTagsForResources",
        "route53:ChangeTagsForResource",
    )

    def _client(self) -> Any:
        return self.clients.client("route53")

    def discover(self) -> list[Target]:
        client = self._client()
        region = self.clients.default_region
        types: dict[str, str] = {}
        if self.params.tags:
            listed = _listed(client)
            ids = _tagged(client, list(listed), self.params.tags)
            types = {i: listed[i] for i in ids}
        else:
            ids = list(self.params.ids or [])
            for check_id in ids:
                try:
                    check = client.get_health_check(HealthCheckId=check_id)["HealthCheck"]
                except client.exceptions.NoSuchHealthCheck:
                    raise NoTargets(
                        f"{self.name}: health check {check_id!r} does not exist. "
                        "List them with `aws route53 list-health-checks`."
                    ) from None
                types[check_id] = str(check["HealthCheckConfig"]["Type"])
        if self.params.how == "unreachable":
            for check_id, kind in types.items():
                _refuse_without_endpoint(self.name, check_id, kind)
        return [health_check_target(i, region) for i in ids]

    def read(self, target: Target) -> CheckFailure:
        client = self._client()
        try:
            check = client.get_health_check(HealthCheckId=_check_id(target))["HealthCheck"]
        except client.exceptions.NoSuchHealthCheck as exc:
            raise ResourceGone(str(exc)) from exc
        config = check["HealthCheckConfig"]
        inverted = bool(config.get("Inverted", False))
        if self.params.how == "invert":
            return CheckFailure(inverted=inverted)
        kind = str(config["Type"])
        _refuse_without_endpoint(self.name, _check_id(target), kind)
        if kind == "TCP":
            endpoint = Endpoint(type=kind, port=config.get("Port"))
        else:
            endpoint = Endpoint(
                type=kind,
                resource_path=config.get("ResourcePath"),
                search_string=config.get("SearchString") if kind.endswith("STR_MATCH") else None,
            )
        return CheckFailure(inverted=inverted, endpoint=endpoint)

    def plan(self, target: Target, before: CheckFailure) -> CheckFailure:
        if self.params.how == "invert":
            return CheckFailure(inverted=True)
        endpoint = before.endpoint
        if endpoint is None:  # read() always gives one for ``unreachable``
            raise InvalidParameters(f"{self.name}: {target}: no endpoint fields were read")
        if endpoint.type == "TCP":
            failed = endpoint.model_copy(update={"port": CLOSED_PORT})
        else:
            failed = endpoint.model_copy(update={"resource_path": FORCED_PATH})
            if endpoint.type.endswith("STR_MATCH"):
                failed = failed.model_copy(update={"search_string": FORCED_SEARCH_STRING})
        return CheckFailure(inverted=False, endpoint=failed)

    def write(self, target: Target, state: CheckFailure, current: CheckFailure) -> None:
        """One ``UpdateHealthCheck`` with only the fields that differ."""
        args: dict[str, Any] = {}
        if state.inverted != current.inverted:
            args["Inverted"] = state.inverted
        want, have = state.endpoint, current.endpoint
        if want is not None and have is not None:
            if want.resource_path != have.resource_path:
                if want.resource_path is None:  # absent before: clear it, not "/"
                    args["ResetElements"] = ["ResourcePath"]
                else:
                    args["ResourcePath"] = want.resource_path
            if want.search_string != have.search_string and want.search_string is not None:
                args["SearchString"] = want.search_string  # required by STR_MATCH: never absent
            if want.port != have.port and want.port is not None:
                args["Port"] = want.port  # Route 53 always has one for endpoint checks
        if args:
            self._client().update_health_check(HealthCheckId=_check_id(target), **args)

    def restore(
        self,
        target: Target,
        snapshot: CheckFailure,
        applied: CheckFailure,
        *,
        unfinished: bool = False,
    ) -> RestoreResult:
        if snapshot.endpoint is None and self.params.how != "invert":
            # ``Inverted`` only: recorded by a chaosrun that had no ``how`` (it always inverted)
            params = self.params.model_copy(update={"how": "invert"})
            fault = ForceFailover(params, self.clients)
            return fault.restore(target, snapshot, applied, unfinished=unfinished)
        return super().restore(target, snapshot, applied, unfinished=unfinished)


def _refuse_without_endpoint(fault: str, check_id: str, kind: str) -> None:
    if kind in ENDPOINT_TYPES:
        return
    raise InvalidParameters(
        f"{fault}: health check {check_id} is {kind}: it probes no endpoint, so "
        "`how: unreachable` cannot fail it. Select the endpoint health checks it depends on "
        "(a CALCULATED check fails when fewer than HealthThreshold children are healthy), or "
        "use `how: invert` knowingly: an inverted check turns healthy again once what it "
        "watches really fails."
    )


def _tags(c: Any, t: Target) -> dict[str, str]:
    resp = c.list_tags_for_resource(ResourceType="healthcheck", ResourceId=_check_id(t))
    return {x["Key"]: x["Value"] for x in resp["ResourceTagSet"].get("Tags", [])}


register_adapter(
    HEALTH_CHECK_KIND,
    TagAdapter(
        _tags,
        lambda c, t, k, v: c.change_tags_for_resource(
            ResourceType="healthcheck", ResourceId=_check_id(t), AddTags=[{"Key": k, "Value": v}]
        ),
        lambda c, t, k: c.change_tags_for_resource(
            ResourceType="healthcheck", ResourceId=_check_id(t), RemoveTagKeys=[k]
        ),
        "route53",
    ),
)
