"""A DynamoDB table's status and its global-table replicas."""

from __future__ import annotations

from pydantic import Field

from chaosrun.faults.base import Params
from chaosrun.plugins import PROBES
from chaosrun.probes.base import Probe, ProbeOutput


class TableStateParams(Params):
    table: str = Field(description="table name or ARN")
    region: str | None = None


class Replica(Params):
    region: str
    status: str | None = None


class TableStateOutput(ProbeOutput):
    table: str
    status: str = Field(description="ACTIVE, UPDATING ...")
    active: bool
    item_count: int | None = None
    billing_mode: str | None = None
    global_table_version: str | None = None
    replicas: list[Replica] = Field(default_factory=list)
    replicas_active: bool = Field(description="every replica ACTIVE (True without replicas)")
    deletion_protection: bool | None = None
    stream_enabled: bool | None = None


@PROBES.register("chaosrun.probes.dynamodb.table_state")
class TableState(Probe[TableStateParams, TableStateOutput]):
    name = "chaosrun.probes.dynamodb.table_state"
    summary = "Status, replicas and settings of a DynamoDB table."
    params_model = TableStateParams
    output_model = TableStateOutput
    permissions = ("dynamodb:DescribeTable",)

    def run(self) -> TableStateOutput:
        p: TableStateParams = self.params
        t = self.clients.client("dynamodb", p.region).describe_table(TableName=p.table)["Table"]
        replicas = [
            Replica(region=r["RegionName"], status=r.get("ReplicaStatus"))
            for r in t.get("Replicas", [])
        ]
        status = t.get("TableStatus", "")
        return TableStateOutput(
            table=t["TableName"],
            status=status,
            active=status == "ACTIVE",
            item_count=t.get("ItemCount"),
            billing_mode=t.get("BillingModeSummary", {}).get("BillingMode"),
            global_table_version=t.get("GlobalTableVersion"),
            replicas=replicas,
            replicas_active=all(r.status in (None, "ACTIVE") for r in replicas),
            deletion_protection=t.get("DeletionProtectionEnabled"),
            stream_enabled=t.get("StreamSpecification", {}).get("StreamEnabled"),
        )
