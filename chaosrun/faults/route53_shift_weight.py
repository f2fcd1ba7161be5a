"""Shift Route 53 weighted routing: set new weights on weighted record sets.

Parameters name one hosted zone, one record name (and optionally type) and a map of set
identifier -> new weight, e.g. ``{"us-east-1": 0, "us-west-2": 255}`` drains one region.
The state is the whole record set, exactly as Route 53 returns it (TTL, resource records or
alias target, health check id, set identifier, weight ...), because ``UPSERT`` writes it whole;
restore UPSERTs the snapshot back. Record sets cannot be tagged: the local ledger locks them.

Targets are addressed as ``arn:aws:route53:::hostedzone/<zone>/recordset/<name>/<type>/<set id>``
(Route 53 has no ARNs for record sets; this one names it uniquely for the ledger).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chaosrun.errors import NoTargets
from chaosrun.faults.base import Fault, Params, ResourceGone, Target
from chaosrun.plugins import FAULTS

RECORD_KIND = "route53:recordset"


def fqdn(name: str) -> str:
    return name.lower() if name.endswith(".") else name.lower() + "."


class ShiftWeightParams(Params):
    hosted_zone_id: str = Field(description="hosted zone id, e.g. Z0123456789ABC")
    record_name: str = Field(description="DNS name of the weighted records, e.g. api.example.com")
    record_type: str | None = Field(None, description="A, AAAA, CNAME ... (default: any)")
    weights: dict[str, int] = Field(
        min_length=1, description="set identifier -> new weight (0-255)"
    )

    @field_validator("weights")
    @classmethod
    def _range(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: w for k, w in value.items() if not 0 <= w <= 255}
        if bad:
            raise ValueError(f"weights are 0-255, got {bad}")
        return value

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone(cls, value: str) -> str:
        return value.rsplit("/", 1)[-1]  # accept /hostedzone/Z... too


class RecordSet(BaseModel):
    """One resource record set, every field kept as Route 53 returns it."""

    model_config = ConfigDict(extra="allow")

    Name: str
    Type: str
    SetIdentifier: str | None = None
    Weight: int | None = None

    def definition(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def record_target(zone: str, record: dict[str, Any], region: str) -> Target:
    name, rtype, set_id = record["Name"], record["Type"], record["SetIdentifier"]
    return Target(
        arn=f"arn:aws:route53:::hostedzone/{zone}/recordset/{name}/{rtype}/{set_id}",
        name=f"{name} {rtype} {set_id}",
        region=region,
        kind=RECORD_KIND,
    )


def _ref(target: Target) -> tuple[str, str, str, str]:
    """``(zone, name, type, set id)`` of a record-set target."""
    _, zone, _, name, rtype, set_id = target.arn.split("/", 5)
    return zone, name, rtype, set_id


def records_named(client: Any, zone: str, name: str, rtype: str | None) -> list[dict[str, Any]]:
    """Every record set called ``name`` (of ``rtype`` if given)."""
    kwargs: dict[str, Any] = {"HostedZoneId": zone, "StartRecordName": name, "MaxItems": "300"}
    if rtype:
        kwargs["StartRecordType"] = rtype
    found: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    while True:
        resp = client.list_resource_record_sets(**kwargs)
        fresh = 0
        for rr in resp.get("ResourceRecordSets", []):
            key = (rr["Name"], rr["Type"], rr.get("SetIdentifier", ""))
            if key in seen:
                continue
            seen.add(key)
            fresh += 1
            if rr["Name"] == name and (rtype is None or rr["Type"] == rtype):
                found.append(rr)
        if not resp.get("IsTruncated") or not fresh or resp.get("NextRecordName") != name:
            return found
        kwargs["StartRecordType"] = resp["NextRecordType"]
        if resp.get("NextRecordIdentifier"):
            kwargs["StartRecordIdentifier"] = resp["NextRecordIdentifier"]


@FAULTS.register("chaosrun.faults.route53.shift_weight")
class ShiftWeight(Fault[ShiftWeightParams, RecordSet]):
    name = "chaosrun.faults.route53.shift_weight"
    summary = "Shift weighted DNS routing (new weights for chosen set identifiers)."
    params_model = ShiftWeightParams
    state_model = RecordSet
    resource_kind = RECORD_KIND
    permissions = ("route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets")

    def _client(self) -> Any:
        return self.clients.client("route53")

    def discover(self) -> list[Target]:
        p = self.params
        name = fqdn(p.record_name)
        records = records_named(self._client(), p.hosted_zone_id, name, p.record_type)
        weighted = [r for r in records if "Weight" in r and r.get("SetIdentifier") in p.weights]
        missing = set(p.weights) - {r["SetIdentifier"] for r in weighted}
        if missing:
            have = sorted(r["SetIdentifier"] for r in records if "Weight" in r)
            raise NoTargets(
                f"{self.name}: no weighted record {name} with set identifier(s) "
                f"{sorted(missing)} in zone {p.hosted_zone_id}; weighted set identifiers "
                f"there: {have}. Fix weights (or record_type)."
            )
        region = self.clients.default_region
        return [record_target(p.hosted_zone_id, r, region) for r in weighted]

    def read(self, target: Target) -> RecordSet:
        zone, name, rtype, set_id = _ref(target)
        client = self._client()
        try:
            records = records_named(client, zone, name, rtype)
        except client.exceptions.NoSuchHostedZone as exc:
            raise ResourceGone(str(exc)) from exc
        for rr in records:
            if rr.get("SetIdentifier") == set_id:
                return RecordSet.model_validate(rr)
        raise ResourceGone(f"record set {name} {rtype} {set_id} was deleted")

    def plan(self, target: Target, before: RecordSet) -> RecordSet:
        _, _, _, set_id = _ref(target)
        return before.model_copy(update={"Weight": self.params.weights[set_id]})

    def write(self, target: Target, state: RecordSet, current: RecordSet) -> None:
        zone, _, _, _ = _ref(target)
        self._client().change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={
                "Comment": f"chaosrun {self.name}",
                "Changes": [{"Action": "UPSERT", "ResourceRecordSet": state.definition()}],
            },
        )
