"""Chaos Toolkit providers for DynamoDB faults (``module: chaosrun.faults.dynamodb``)."""

from chaosrun.faults.dynamodb_deny_access import DenyAccess
from chaosrun.faults.dynamodb_pause_replication import PauseReplication
from chaosrun.faults.providers import fault_provider

pause_replication = fault_provider(PauseReplication)
deny_access = fault_provider(DenyAccess)

__all__ = ["deny_access", "pause_replication"]
