"""Chaos Toolkit provider namespace for IAM faults (``module: chaosrun.faults.iam``)."""

from chaosrun.faults.iam_remove_permissions import RemovePermissions
from chaosrun.faults.iam_remove_resource_permission import RemoveResourcePermission
from chaosrun.faults.providers import fault_provider

remove_permissions = fault_provider(RemovePermissions)
remove_resource_permission = fault_provider(RemoveResourcePermission)

__all__ = ["remove_permissions", "remove_resource_permission"]
