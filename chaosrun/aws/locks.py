"""Cross-machine fault locks as resource tags.

Before a fault changes a resource it tags it ``chaosrun:lock = <run_id>@<host>``. Another run,
on this machine or any other, that finds the tag refuses to fault the resource a second time.
The tag is removed once the change is restored. Services are reached through small adapters
keyed by the ARN's service; a resource type without an adapter is locked through the local ledger
only (the journal says so).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from chaosrun.aws.clients import AwsClients
from chaosrun.faults.base import Target

LOCK_TAG = "chaosrun:lock"


def lock_value(run_id: str) -> str:
    return f"{run_id}@{socket.gethostname()}"


def lock_run_id(value: str) -> str:
    return value.split("@", 1)[0]


class TagAdapter:
    """Read, set and remove one tag on one kind of resource."""

    def __init__(
        self,
        get: Callable[[Any, Target], dict[str, str]],
        put: Callable[[Any, Target, str, str], None],
        delete: Callable[[Any, Target, str], None],
        service: str,
    ) -> None:
        self.get, self.put, self.delete, self.service = get, put, delete, service


def _lambda_get(c: Any, t: Target) -> dict[str, str]:
    return dict(c.list_tags(Resource=t.arn).get("Tags", {}))


def _iam_role_get(c: Any, t: Target) -> dict[str, str]:
    return {x["Key"]: x["Value"] for x in c.list_role_tags(RoleName=t.name).get("Tags", [])}


def _kv_list_get(key: str = "Tags") -> Callable[[Any, Target], dict[str, str]]:
    def get(c: Any, t: Target) -> dict[str, str]:
        resp = c.list_tags_for_resource(ResourceARN=t.arn)
        return {x["Key"]: x["Value"] for x in resp.get(key, [])}

    return get


ADAPTERS: dict[str, TagAdapter] = {
    "lambda:function": TagAdapter(
        _lambda_get,
        lambda c, t, k, v: c.tag_resource(Resource=t.arn, Tags={k: v}),
        lambda c, t, k: c.untag_resource(Resource=t.arn, TagKeys=[k]),
        "lambda",
    ),
    "iam:role": TagAdapter(
        _iam_role_get,
        lambda c, t, k, v: c.tag_role(RoleName=t.name, Tags=[{"Key": k, "Value": v}]),
        lambda c, t, k: c.untag_role(RoleName=t.name, TagKeys=[k]),
        "iam",
    ),
    "dynamodb:table": TagAdapter(
        lambda c, t: {
            x["Key"]: x["Value"] for x in c.list_tags_of_resource(ResourceArn=t.arn).get("Tags", [])
        },
        lambda c, t, k, v: c.tag_resource(ResourceArn=t.arn, Tags=[{"Key": k, "Value": v}]),
        lambda c, t, k: c.untag_resource(ResourceArn=t.arn, TagKeys=[k]),
        "dynamodb",
    ),
    "events:rule": TagAdapter(
        _kv_list_get(),
        lambda c, t, k, v: c.tag_resource(ResourceARN=t.arn, Tags=[{"Key": k, "Value": v}]),
        lambda c, t, k: c.untag_resource(ResourceARN=t.arn, TagKeys=[k]),
        "events",
    ),
}


def register_adapter(kind: str, adapter: TagAdapter) -> None:
    ADAPTERS[kind] = adapter


class TagLocks:
    def __init__(self, clients: AwsClients, run_id: str) -> None:
        self.clients = clients
        self.run_id = run_id

    def supported(self, target: Target) -> bool:
        return target.kind in ADAPTERS

    def holder(self, target: Target) -> str | None:
        """The lock value on ``target`` if another run holds it."""
        adapter = ADAPTERS.get(target.kind)
        if adapter is None:
            return None
        client = self.clients.client(adapter.service, target.region)
        value = adapter.get(client, target).get(LOCK_TAG)
        if value and lock_run_id(value) != self.run_id:
            return value
        return None

    def acquire(self, target: Target) -> None:
        adapter = ADAPTERS.get(target.kind)
        if adapter is not None:
            client = self.clients.client(adapter.service, target.region)
            adapter.put(client, target, LOCK_TAG, lock_value(self.run_id))

    def release(self, target: Target) -> None:
        adapter = ADAPTERS.get(target.kind)
        if adapter is None:
            return
        client = self.clients.client(adapter.service, target.region)
        value = adapter.get(client, target).get(LOCK_TAG)
        if value and lock_run_id(value) == self.run_id:
            adapter.delete(client, target, LOCK_TAG)
