"""Shared pieces of the Lambda faults: function discovery and update waits."""

from __future__ import annotations

from typing import Any

from chaosrun.aws.clients import AwsClients
from chaosrun.aws.discovery import targets_from
from chaosrun.faults.base import ResourceGone, Target, TargetedParams

FUNCTION_KIND = "lambda:function"

#: permissions every fault acting on Lambda functions needs to find and lock them
LAMBDA_LOCK_PERMISSIONS = (
    "lambda:GetFunction",
    "lambda:ListTags",
    "lambda:TagResource",
    "lambda:UntagResource",
    "tag:GetResources",
)


def discover_functions(
    clients: AwsClients,
    params: TargetedParams,
    regions: list[str],
    known_tags: dict[str, dict[str, str]] | None = None,
) -> list[Target]:
    """Lambda functions named by ``names``, ``arns`` or ``tags`` in ``regions``.

    Each target's tags seen on the way (``GetFunction``, tag search) are recorded in
    ``known_tags`` (pass the fault's), so lock checks need no call for them.
    """

    def arn_for_name(name: str, region: str) -> str:
        if name.startswith("arn:"):
            return name
        fn = clients.client("lambda", region).get_function(FunctionName=name)
        arn = str(fn["Configuration"]["FunctionArn"])
        if known_tags is not None:
            known_tags[arn] = dict(fn.get("Tags") or {})
        return arn

    return targets_from(
        clients,
        kind=FUNCTION_KIND,
        regions=regions,
        names=params.names,
        arns=params.arns,
        tags=params.tags,
        arn_for_name=arn_for_name,
        known_tags=known_tags,
    )


def get_function(client: Any, target: Target) -> dict[str, Any]:
    """``GetFunction`` of ``target``: every Lambda fault reads through it, for its rate quota of
    its own (see :func:`reserved_concurrency`); :class:`ResourceGone` if it was deleted."""
    try:
        return dict(client.get_function(FunctionName=target.arn))
    except client.exceptions.ResourceNotFoundException as exc:
        raise ResourceGone(str(exc)) from exc


def function_configuration(client: Any, target: Target) -> dict[str, Any]:
    """The configuration of ``target`` (``GetFunction``'s ``Configuration``, which is
    ``GetFunctionConfiguration``'s answer)."""
    return dict(get_function(client, target)["Configuration"])


def update_configuration(client: Any, target: Target, **changes: Any) -> None:
    """``UpdateFunctionConfiguration``, then wait until Lambda has applied it.

    Lambda refuses a second update while one is in progress, so every fault that changes the
    configuration waits for ``LastUpdateStatus`` to leave ``InProgress`` before returning.
    """
    client.update_function_configuration(FunctionName=target.arn, **changes)
    wait_updated(client, target)


def wait_updated(client: Any, target: Target) -> None:
    client.get_waiter("function_updated_v2").wait(
        FunctionName=target.arn, WaiterConfig={"Delay": 2, "MaxAttempts": 150}
    )


def reserved_concurrency(function: dict[str, Any]) -> int | None:
    """Reserved concurrency from a ``GetFunction`` response; None when the function has none.

    Read through ``GetFunction`` rather than ``GetFunctionConcurrency``: Lambda gives
    ``GetFunction`` a quota of its own (100 requests/s per account and region), while
    ``GetFunctionConcurrency`` shares the 15 requests/s of every other control-plane call with
    the writes that throttle and restore. On a 200-function fan-out that halves the run time, and
    ``lambda:GetFunction`` is already needed to find and lock functions.
    """
    value = (function.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
    return None if value is None else int(value)
