"""DynamoDB global tables that replicate.

moto ignores replicas. This component makes them real:

- ``UpdateTable`` with ``ReplicaUpdates`` (``Create``/``Delete`` ``{RegionName}``, version
  2019.11.21) creates (deletes) the replica table in that region's moto backend, with the same
  key schema, attributes, indexes and billing mode and a copy of the items; ``CreateGlobalTable``
  (version 2017.11.29) joins existing same-named tables. ``DescribeTable`` of a member lists the
  other regions under ``Replicas`` (``ReplicaStatus: ACTIVE``) with ``GlobalTableVersion``.
- every successful write (``PutItem``, ``UpdateItem``, ``DeleteItem``, ``BatchWriteItem``,
  ``TransactWriteItems``) to a member is replicated to the other members after
  :attr:`GlobalTables.lag_seconds` (default 1 s, env ``CHAOSRUN_SANDBOX_REPLICATION_LAG_SECONDS``)
  times ``ctx.time_scale``. The item is read back right after the write, so the replica receives the
  item as it was then. Conflicts: last writer wins by write timestamp.
- **replication pause**, exactly as the fault writes it: while the destination's (or the
  source's) table resource policy has a ``Deny`` statement whose ``Sid`` starts with
  ``ChaosrunPauseReplication``, or a ``Deny`` of write actions for the replication service role
  ``arn:aws:iam::<acct>:role/aws-service-role/replication.dynamodb.amazonaws.com/
  AWSServiceRoleForDynamoDBReplication``, and its ``DateLessThan aws:CurrentTime`` is still in the
  future (no such condition: until removed), writes into that table queue up. They flow, in
  order, once the policy is removed or expires.

What a probe can read through AWS APIs, as AWS publishes it (CloudWatch, the source region):

- ``AWS/DynamoDB ReplicationLatency`` (Milliseconds, dimensions ``TableName``,
  ``ReceivingRegion``) for every replicated write;
- ``AWS/DynamoDB PendingReplicationCount`` (Count, same dimensions) whenever the number of
  queued writes for a destination changes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Response

from chaosrun.sandbox.base import AwsRequest, Component, SandboxContext
from chaosrun.sandbox.route53_health import aws_error, aws_response, put_metric

log = logging.getLogger(__name__)

PAUSE_SID_PREFIX = "ChaosrunPauseReplication"
REPLICATION_ROLE = (
    "role/aws-service-role/replication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBReplication"
)
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
_WRITE_ACTIONS = {f"dynamodb:{op}" for op in WRITE_OPERATIONS} | {"dynamodb:*", "*"}
TICK_SECONDS = 0.01


@dataclass
class PendingWrite:
    table: str
    source: str
    dest: str
    key: dict[str, Any]  # DynamoDB JSON of the key attributes
    item: dict[str, Any] | None  # the item after the write; None = deleted
    written: float  # epoch seconds of the write (last writer wins)
    due: float  # monotonic time it may be applied


def ddb_backend(ctx: SandboxContext, region: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[ctx.account_id][region]


def _key_of(table: Any, attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: attrs[k] for k in (table.hash_key_attr, table.range_key_attr) if k and k in attrs}


def _table_name(name: str) -> str:
    return name.split("/")[-1] if name.startswith("arn:") else name


def pause_until(policy_doc: str | None, account_id: str, now: datetime) -> datetime | None:
    """When a replication pause in this resource policy ends (``datetime.max``: no end)."""
    if not policy_doc:
        return None
    try:
        statements = json.loads(policy_doc).get("Statement", [])
    except (ValueError, AttributeError):
        return None
    if isinstance(statements, dict):
        statements = [statements]
    role_arn = f"arn:aws:iam::{account_id}:{REPLICATION_ROLE}"
    latest: datetime | None = None
    for st in statements:
        if st.get("Effect") != "Deny":
            continue
        by_sid = str(st.get("Sid", "")).startswith(PAUSE_SID_PREFIX)
        principal = st.get("Principal", {})
        aws = principal.get("AWS", []) if isinstance(principal, dict) else principal
        principals = [aws] if isinstance(aws, str) else list(aws or [])
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else list(actions)
        by_role = role_arn in principals and any(a in _WRITE_ACTIONS for a in actions)
        if not (by_sid or by_role):
            continue
        until = datetime.max.replace(tzinfo=UTC)
        for op, cond in (st.get("Condition") or {}).items():
            if op.startswith("DateLessThan") and "aws:CurrentTime" in cond:
                value = cond["aws:CurrentTime"]
                value = value[0] if isinstance(value, list) else value
                until = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
                if until.tzinfo is None:
                    until = until.replace(tzinfo=UTC)
        if until > now and (latest is None or until > latest):
            latest = until
    return latest


class GlobalTables(Component):
    """Replicates writes between global-table replicas. See the module docstring."""

    name = "global_tables"
    order = 45

    def __init__(self) -> None:
        self.ctx: SandboxContext | None = None
        env = os.environ.get("CHAOSRUN_SANDBOX_REPLICATION_LAG_SECONDS")
        #: unscaled replication lag; the applied lag is ``lag_seconds * ctx.time_scale``
        self.lag_seconds = float(env) if env else 1.0
        self._groups: dict[str, set[str]] = {}
        self._pending: list[PendingWrite] = []
        self._last_write: dict[tuple[str, str, str], float] = {}
        self._reported: dict[tuple[str, str, str], int] = {}
        self._lock = threading.RLock()
        self._applied = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ddb-replication", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- public ---------------------------------------------------------------------------
    def replicas(self, table: str) -> list[str]:
        """Regions holding a replica of ``table`` (empty: not a global table)."""
        with self._lock:
            return sorted(self._groups.get(table, ()))

    def pending(self, table: str | None = None, dest: str | None = None) -> int:
        """Writes waiting to be replicated (into ``dest``)."""
        with self._lock:
            return sum(
                1
                for p in self._pending
                if (table is None or p.table == table) and (dest is None or p.dest == dest)
            )

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing is pending (False on timeout or while paused)."""
        deadline = time.monotonic() + timeout
        with self._applied:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._applied.wait(remaining)
            return True

    def add_replica(self, table: str, source_region: str, region: str) -> None:
        """Create the replica of ``table`` in ``region`` (as ``ReplicaUpdates: Create``)."""
        ctx = self._ctx
        src = ddb_backend(ctx, source_region).get_table(table)
        dst_backend = ddb_backend(ctx, region)
        if table not in dst_backend.tables:
            dst_backend.create_table(
                table,
                schema=src.schema,
                throughput=src.throughput,
                attr=src.attr,
                global_indexes=[
                    {k: g.describe()[k] for k in ("IndexName", "KeySchema", "Projection")}
                    for g in src.global_indexes
                ],
                indexes=[i.describe() for i in src.indexes],
                streams=None,
                billing_mode=src.billing_mode,
                sse_specification=None,
                tags=list(src.tags),
                deletion_protection_enabled=None,
                warm_throughput=None,
            )
            replica = dst_backend.get_table(table)
            for item in src.all_items():
                replica.put_item(item.to_json()["Attributes"])
        with self._lock:
            group = self._groups.setdefault(table, {source_region})
            group.add(region)

    def remove_replica(self, table: str, region: str) -> None:
        with self._lock:
            group = self._groups.get(table, set())
            group.discard(region)
            if len(group) <= 1:
                self._groups.pop(table, None)
            self._pending = [
                p for p in self._pending if not (p.table == table and region in (p.dest, p.source))
            ]
        ddb_backend(self._ctx, region).tables.pop(table, None)

    @property
    def _ctx(self) -> SandboxContext:
        if self.ctx is None:
            raise RuntimeError("the global_tables component has not been started")
        return self.ctx

    # -- AWS API --------------------------------------------------------------------------
    def intercept(self, request: AwsRequest) -> Response | None:
        if request.service != "dynamodb":
            return None
        if request.operation == "DescribeTable":
            return self._describe_table(request)
        if request.operation == "CreateGlobalTable":
            return self._create_global_table(request)
        if request.operation == "DescribeGlobalTable":
            body = request.json()
            name = body.get("GlobalTableName", "")
            if name not in self._groups:
                return aws_error(
                    "dynamodb", "GlobalTableNotFoundException", f"Global table not found: {name}"
                )
            return aws_response(
                "dynamodb", "DescribeGlobalTable", {"GlobalTableDescription": self._gt(name)}
            )
        return None

    def _describe_table(self, request: AwsRequest) -> Response | None:
        name = _table_name(str(request.json().get("TableName", "")))
        with self._lock:
            group = set(self._groups.get(name, ()))
        if request.region not in group:
            return None
        described = ddb_backend(self._ctx, request.region).describe_table(name)
        described["Table"]["GlobalTableVersion"] = "2019.11.21"
        described["Table"]["Replicas"] = [
            {"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in sorted(group - {request.region})
        ]
        return aws_response("dynamodb", "DescribeTable", described)

    def _gt(self, name: str) -> dict[str, Any]:
        return {
            "ReplicationGroup": [{"RegionName": r} for r in self.replicas(name)],
            "GlobalTableArn": f"arn:aws:dynamodb::{self._ctx.account_id}:global-table/{name}",
            "CreationDateTime": datetime.now(UTC),
            "GlobalTableStatus": "ACTIVE",
            "GlobalTableName": name,
        }

    def _create_global_table(self, request: AwsRequest) -> Response:
        body = request.json()
        name = body.get("GlobalTableName", "")
        regions = [g["RegionName"] for g in body.get("ReplicationGroup", [])]
        for region in regions:
            if name not in ddb_backend(self._ctx, region).tables:
                return aws_error(
                    "dynamodb", "TableNotFoundException", f"Table {name} not found in {region}"
                )
        with self._lock:
            self._groups[name] = set(regions)
        return aws_response(
            "dynamodb", "CreateGlobalTable", {"GlobalTableDescription": self._gt(name)}
        )

    def observe(self, request: AwsRequest, status: int) -> None:
        if request.service != "dynamodb" or status != 200 or self.ctx is None:
            return
        op = request.operation
        if op == "UpdateTable":
            body = request.json()
            name = _table_name(str(body.get("TableName", "")))
            for update in body.get("ReplicaUpdates") or []:
                if "Create" in update:
                    self.add_replica(name, request.region, update["Create"]["RegionName"])
                elif "Delete" in update:
                    self.remove_replica(name, update["Delete"]["RegionName"])
        elif op == "DeleteTable":
            name = _table_name(str(request.json().get("TableName", "")))
            with self._lock:
                if name in self._groups:
                    self._groups[name].discard(request.region)
        elif op in WRITE_OPERATIONS:
            self._record_writes(request)

    def _written_keys(self, request: AwsRequest) -> list[tuple[str, dict[str, Any]]]:
        body = request.json()
        op = request.operation
        out: list[tuple[str, dict[str, Any]]] = []
        if op == "PutItem":
            out.append((body["TableName"], body.get("Item", {})))
        elif op in ("UpdateItem", "DeleteItem"):
            out.append((body["TableName"], body.get("Key", {})))
        elif op == "BatchWriteItem":
            for table, requests in (body.get("RequestItems") or {}).items():
                for r in requests:
                    if "PutRequest" in r:
                        out.append((table, r["PutRequest"].get("Item", {})))
                    elif "DeleteRequest" in r:
                        out.append((table, r["DeleteRequest"].get("Key", {})))
        elif op == "TransactWriteItems":
            for t in body.get("TransactItems") or []:
                for kind, field in (("Put", "Item"), ("Update", "Key"), ("Delete", "Key")):
                    if kind in t:
                        out.append((t[kind]["TableName"], t[kind].get(field, {})))
        return out

    def _record_writes(self, request: AwsRequest) -> None:
        ctx = self._ctx
        now = time.time()
        due = time.monotonic() + ctx.scaled(self.lag_seconds)
        backend = ddb_backend(ctx, request.region)
        for raw_table, attrs in self._written_keys(request):
            table_name = _table_name(raw_table)
            with self._lock:
                group = set(self._groups.get(table_name, ()))
            if request.region not in group:
                continue
            table = backend.get_table(table_name)
            key = _key_of(table, attrs)
            current = backend.get_item(table_name, key)
            item = current.to_json()["Attributes"] if current is not None else None
            key_id = json.dumps(key, sort_keys=True)
            with self._lock:
                self._last_write[(table_name, request.region, key_id)] = now
                for dest in sorted(group - {request.region}):
                    self._pending.append(
                        PendingWrite(table_name, request.region, dest, key, item, now, due)
                    )

    # -- replication ----------------------------------------------------------------------
    def _run(self) -> None:
        ctx = self._ctx
        while not self._stop.is_set() and not ctx.stop.is_set():
            try:
                self._tick(ctx)
            except Exception:
                log.exception("replication tick failed")
            self._stop.wait(TICK_SECONDS)

    def _paused(self, ctx: SandboxContext, table: str, region: str, now: datetime) -> bool:
        backend = ddb_backend(ctx, region)
        t = backend.tables.get(table)
        if t is None:
            return False
        policy = backend.resource_policies.get(t.table_arn)
        return pause_until(policy.policy_doc if policy else None, ctx.account_id, now) is not None

    def _tick(self, ctx: SandboxContext) -> None:
        now_mono = time.monotonic()
        now = datetime.now(UTC)
        paused: dict[tuple[str, str], bool] = {}

        def is_paused(table: str, region: str) -> bool:
            if (table, region) not in paused:
                paused[(table, region)] = self._paused(ctx, table, region, now)
            return paused[(table, region)]

        with self._lock:
            pending = list(self._pending)
        done: list[PendingWrite] = []
        blocked: set[tuple[str, str]] = set()
        for p in pending:
            lane = (p.table, p.dest)
            if p.due > now_mono or lane in blocked:
                continue
            if is_paused(p.table, p.dest) or is_paused(p.table, p.source):
                blocked.add(lane)  # keep order: later writes wait behind this one
                continue
            self._apply(ctx, p)
            done.append(p)
        with self._applied:
            if done:
                ids = {id(p) for p in done}
                self._pending = [p for p in self._pending if id(p) not in ids]
                self._applied.notify_all()
            counts: dict[tuple[str, str, str], int] = {}
            for p in self._pending:
                k = (p.table, p.source, p.dest)
                counts[k] = counts.get(k, 0) + 1
            changed = {
                k: counts.get(k, 0)
                for k in set(counts) | set(self._reported)
                if counts.get(k, 0) != self._reported.get(k)
            }
            for k, v in changed.items():
                if v:
                    self._reported[k] = v
                else:
                    self._reported.pop(k, None)
        for (table, source, dest), count in changed.items():
            dims = {"TableName": table, "ReceivingRegion": dest}
            put_metric(ctx, source, "AWS/DynamoDB", "PendingReplicationCount", count, dims, "Count")

    def _apply(self, ctx: SandboxContext, p: PendingWrite) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        backend = ddb_backend(ctx, p.dest)
        table = backend.tables.get(p.table)
        if table is None:
            return
        key_id = json.dumps(p.key, sort_keys=True)
        with self._lock:
            last = self._last_write.get((p.table, p.dest, key_id), 0.0)
            if p.written < last:
                return  # a later write already landed here: last writer wins
            self._last_write[(p.table, p.dest, key_id)] = p.written
        if p.item is not None:
            table.put_item(p.item)
        else:
            hash_key = DynamoType(p.key[table.hash_key_attr])
            range_key = DynamoType(p.key[table.range_key_attr]) if table.range_key_attr else None
            table.delete_item(hash_key, range_key)
        latency_ms = max(0.0, (time.time() - p.written) * 1000.0)
        dims = {"TableName": p.table, "ReceivingRegion": p.dest}
        put_metric(
            ctx, p.source, "AWS/DynamoDB", "ReplicationLatency", latency_ms, dims, "Milliseconds"
        )
