"""Cross-machine fault locks as resource tags.

Before a fault changes a resource it tags it ``chaosrun:lock = <run_id>@<host>``. Another run,
on this machine or any other, that finds the tag refuses to fault the resource a second time.
The tag is removed once the change is restored, or at once if the run ends up not changing the
resource (its snapshot failed, a cancel came first), and only while its value still names this
run: a tag removed by hand and since taken by another run stays that run's. A tag that cannot be
removed is reported with :class:`LockNotReleased`, as it blocks the resource for every later run.

Cost matters with large fan-outs (every call is an AWS round trip): for resource types the
Resource Groups Tagging API covers, the lock holders of a whole region are read with one
tag-filtered ``GetResources`` and locks are set/removed 20 ARNs per call. Other types (IAM roles)
use small per-service adapters; a type with neither is locked through the local ledger only.
"""

from __future__ import annotations

import logging
import socket
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from chaosrun.aws.clients import AwsClients, aws_errors
from chaosrun.errors import ChaosrunError
from chaosrun.targets import Target

LOCK_TAG = "chaosrun:lock"

log = logging.getLogger(__name__)

#: a target and why its lock tag could not be read or removed
Failure = tuple[Target, BaseException]


class LockNotReleased(ChaosrunError):
    """Lock tags that could not be removed: other runs refuse these resources until they are."""

    def __init__(self, failed: list[Failure]) -> None:
        self.targets = [t for t, _ in failed]
        causes = "; ".join(f"{t} [{t.arn}]: {type(e).__name__}: {e}" for t, e in failed)
        super().__init__(
            f"could not remove the {LOCK_TAG} tag from {causes}. Until it is gone, every run "
            "refuses to fault these resources: fix the cause, then remove the tag by hand (e.g. "
            f"`aws resourcegroupstaggingapi untag-resources --tag-keys {LOCK_TAG} "
            "--resource-arn-list ARN`, or the service's own untag call for IAM roles)."
        )


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
        tagging_api: bool = False,
    ) -> None:
        self.get, self.put, self.delete, self.service = get, put, delete, service
        #: use the Resource Groups Tagging API for batch reads and writes. Only where every
        #: backend we run against answers it faithfully: moto (so the sandbox) silently returns
        #: nothing for some types AWS supports (EventBridge rules, DynamoDB tables), and a lock
        #: read that misses a holder is worse than a slower one.
        self.tagging_api = tagging_api


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
        tagging_api=True,
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


BATCH = 20  # TagResources / UntagResources accept at most 20 ARNs per call


class TagLocks:
    def __init__(self, clients: AwsClients, run_id: str, concurrency: int = 8) -> None:
        self.clients = clients
        self.run_id = run_id
        self.concurrency = concurrency

    def _split(
        self, targets: Iterable[Target]
    ) -> tuple[dict[tuple[str, str], list[Target]], list[Target]]:
        """Targets the tagging API covers, grouped by (kind, region); and the others."""
        batched: dict[tuple[str, str], list[Target]] = defaultdict(list)
        single: list[Target] = []
        for t in targets:
            adapter = ADAPTERS.get(t.kind)
            if adapter is None:
                continue
            if adapter.tagging_api:
                batched[(t.kind, t.region)].append(t)
            else:
                single.append(t)
        return batched, single

    def _locked_in(self, kind: str, region: str) -> dict[str, str]:
        """Every resource of ``kind`` in ``region`` carrying a lock tag: one paginated call."""
        client = self.clients.client("resourcegroupstaggingapi", region)
        found: dict[str, str] = {}
        for page in client.get_paginator("get_resources").paginate(
            ResourceTypeFilters=[kind], TagFilters=[{"Key": LOCK_TAG}]
        ):
            for item in page.get("ResourceTagMappingList", []):
                for tag in item.get("Tags", []):
                    if tag["Key"] == LOCK_TAG:
                        found[item["ResourceARN"]] = tag["Value"]
        return found

    def values(self, targets: Iterable[Target]) -> dict[str, str]:
        """Current lock tag values of ``targets`` (ARN -> value), whoever holds them."""
        values, failed = self._read(targets)
        if failed:
            raise failed[0][1]
        return values

    def _read(
        self, targets: Iterable[Target], confirm_absent: bool = False
    ) -> tuple[dict[str, str], list[Failure]]:
        """Lock tag values of ``targets`` (ARN -> value), and the targets whose tags could not
        be read, with the cause. One ``GetResources`` per kind and region where it applies.

        ``confirm_absent``: a target the tagging API does not list as locked is read again from
        the resource itself. The API answers from its own index, which may not show a tag set
        moments ago yet; a release must not take that for "no lock"."""
        batched, single = self._split(targets)
        values: dict[str, str] = {}
        for (kind, region), group in batched.items():
            try:
                locked = self._locked_in(kind, region)
            except aws_errors() as exc:  # the tagging API does not cover it here: ask each resource
                log.info(
                    "tagging API unavailable for %s in %s (%s); per-resource", kind, region, exc
                )
                single.extend(group)
                continue
            values.update({t.arn: locked[t.arn] for t in group if t.arn in locked})
            if confirm_absent:
                single.extend(t for t in group if t.arn not in locked)
        failed: list[Failure] = []
        for t in single:
            adapter = ADAPTERS[t.kind]
            try:
                value = adapter.get(self.clients.client(adapter.service, t.region), t).get(LOCK_TAG)
            except Exception as exc:
                failed.append((t, exc))
                continue
            if value:
                values[t.arn] = value
        return values, failed

    def holders(
        self, targets: Iterable[Target], known_tags: dict[str, dict[str, str]] | None = None
    ) -> dict[str, str]:
        """Targets locked by *another* run: ARN -> lock value.

        ``known_tags`` (from discovery) answers for the targets it covers without a call.
        """
        known_tags = known_tags or {}
        targets = list(targets)
        values = {t.arn: known_tags[t.arn].get(LOCK_TAG) for t in targets if t.arn in known_tags}
        values.update(self.values(t for t in targets if t.arn not in known_tags))
        return {a: v for a, v in values.items() if v and lock_run_id(v) != self.run_id}

    def acquire(self, targets: Iterable[Target]) -> None:
        self._write(list(targets), remove=False)

    def release(self, targets: Iterable[Target]) -> None:
        """Remove this run's lock from ``targets``, where the tag still names this run.

        A tag removed by hand may since have been taken by another run (from any host): that
        lock is left alone, as is a target with no tag, both logged. The values are read first,
        as :meth:`holders` reads them (one ``GetResources`` per kind and region where the tagging
        API applies). Every target is tried; :class:`LockNotReleased` names those whose tag stayed
        because reading or removing it failed.
        """
        targets = [t for t in targets if t.kind in ADAPTERS]  # others are locked in the ledger
        if not targets:
            return
        try:
            values, failed = self._read(targets, confirm_absent=True)
        except Exception as exc:  # before any answer (e.g. no client for a region): none read
            values, failed = {}, [(t, exc) for t in targets]
        unread = {t.arn for t, _ in failed}
        ours = [t for t in targets if t.arn not in unread and self._ours(t, values.get(t.arn))]
        try:
            failed += self._write(ours, remove=True)
        except Exception as exc:  # before any call (e.g. no client for a region): none removed
            failed += [(t, exc) for t in ours]
        if failed:
            raise LockNotReleased(failed)

    def _ours(self, target: Target, value: str | None) -> bool:
        """Whether ``value`` (the target's lock tag) is this run's; logs why not otherwise."""
        if value is None:
            log.info("%s [%s]: no %s tag left to remove", target, target.arn, LOCK_TAG)
            return False
        if lock_run_id(value) != self.run_id:
            log.info(
                "%s [%s]: %s is now %s, another run's lock; left in place",
                target,
                target.arn,
                LOCK_TAG,
                value,
            )
            return False
        return True

    def _write(self, targets: list[Target], *, remove: bool) -> list[Failure]:
        """Set or remove the tag on ``targets``. Setting stops at the first error (raised);
        removing tries them all and returns the targets it failed on, with the cause."""
        batched, single = self._split(targets)
        value = lock_value(self.run_id)
        jobs: list[tuple[list[Target], Callable[[], Any]]] = []
        for (_, region), group in batched.items():
            client = self.clients.client("resourcegroupstaggingapi", region)
            for i in range(0, len(group), BATCH):
                part = group[i : i + BATCH]
                jobs.append((part, partial(self._batch, client, part, value, remove)))
        for t in single:
            adapter = ADAPTERS[t.kind]
            client = self.clients.client(adapter.service, t.region)
            if remove:
                jobs.append(([t], partial(adapter.delete, client, t, LOCK_TAG)))
            else:
                jobs.append(([t], partial(adapter.put, client, t, LOCK_TAG, value)))
        failed: list[Failure] = []
        if not jobs:
            return failed
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(jobs))) as pool:
            futures = [(part, pool.submit(job)) for part, job in jobs]
            for part, future in futures:
                exc = future.exception()
                if exc is None:
                    continue
                if not remove:
                    raise exc
                failed.extend((t, exc) for t in part)
        return failed

    def _batch(self, client: Any, targets: list[Target], value: str, remove: bool) -> None:
        """Up to 20 targets in one tagging-API call; the service's own tag calls for any target
        the tagging API refuses (not every service or emulator supports it)."""
        arns = [t.arn for t in targets]
        try:
            if remove:
                resp = client.untag_resources(ResourceARNList=arns, TagKeys=[LOCK_TAG])
            else:
                resp = client.tag_resources(ResourceARNList=arns, Tags={LOCK_TAG: value})
            failed = set(resp.get("FailedResourcesMap") or {})
        except aws_errors() as exc:
            log.info("tagging API refused %d lock tags (%s); per-resource", len(arns), exc)
            failed = set(arns)
        for t in targets:
            if t.arn in failed:
                adapter = ADAPTERS[t.kind]
                c = self.clients.client(adapter.service, t.region)
                if remove:
                    adapter.delete(c, t, LOCK_TAG)
                else:
                    adapter.put(c, t, LOCK_TAG, value)
