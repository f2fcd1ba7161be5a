"""Turn names, ARNs or tags into :class:`Target` lists.

Tag selection uses the Resource Groups Tagging API (one paginated call per region), which works
for every service that supports it; services it does not cover (IAM) have their own finders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chaosrun.aws.clients import AwsClients
from chaosrun.targets import Target


def arn_region(arn: str) -> str:
    return arn.split(":")[3]


def arn_name(arn: str) -> str:
    """Resource name from an ARN (``function:NAME``, ``role/NAME``, ``table/NAME`` ...)."""
    tail = arn.split(":", 5)[5] if arn.count(":") >= 5 else arn
    for sep in (":", "/"):
        if sep in tail:
            tail = tail.split(sep, 1)[1] if sep == ":" else tail.rsplit(sep, 1)[1]
            break
    return tail.split(":")[0]


def by_tags(
    clients: AwsClients,
    regions: Iterable[str],
    resource_type: str,
    tags: dict[str, str],
    known_tags: dict[str, dict[str, str]] | None = None,
) -> list[str]:
    """ARNs of resources of ``resource_type`` (e.g. ``lambda:function``) carrying every tag.

    The tags of each match are stored in ``known_tags`` so lock checks need no extra call.
    """
    arns: list[str] = []
    for region in regions:
        paginator = clients.client("resourcegroupstaggingapi", region).get_paginator(
            "get_resources"
        )
        pages = paginator.paginate(
            ResourceTypeFilters=[resource_type],
            TagFilters=[{"Key": k, "Values": [v]} for k, v in tags.items()],
            ResourcesPerPage=100,  # the API's maximum: pages are sequential round trips
        )
        for page in pages:
            for m in page.get("ResourceTagMappingList", []):
                arns.append(m["ResourceARN"])
                if known_tags is not None:
                    known_tags[m["ResourceARN"]] = {t["Key"]: t["Value"] for t in m["Tags"]}
    return arns


def targets_from(
    clients: AwsClients,
    *,
    kind: str,
    regions: list[str],
    names: list[str] | None,
    arns: list[str] | None,
    tags: dict[str, str] | None,
    arn_for_name: Callable[[str, str], str],
    tag_resource_type: str | None = None,
    known_tags: dict[str, dict[str, str]] | None = None,
) -> list[Target]:
    """Common discovery: names are looked up in every region, ARNs carry their own region."""
    found: list[Target] = []
    if names:
        for region in regions:
            found.extend(
                Target(arn=arn_for_name(n, region), name=n, region=region, kind=kind) for n in names
            )
    if arns:
        found.extend(
            Target(arn=a, name=arn_name(a), region=arn_region(a) or regions[0], kind=kind)
            for a in arns
        )
    if tags:
        for arn in by_tags(clients, regions, tag_resource_type or kind, tags, known_tags):
            found.append(Target(arn=arn, name=arn_name(arn), region=arn_region(arn), kind=kind))
    return found
