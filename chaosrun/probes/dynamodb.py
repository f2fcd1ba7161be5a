"""Chaos Toolkit provider namespace for DynamoDB probes (``module: chaosrun.probes.dynamodb``)."""

from chaosrun.probes.base import probe_provider
from chaosrun.probes.dynamodb_replication_lag import DynamoReplicationLag
from chaosrun.probes.dynamodb_table_state import TableState

table_state = probe_provider(TableState)
replication_lag = probe_provider(DynamoReplicationLag)

__all__ = ["replication_lag", "table_state"]
