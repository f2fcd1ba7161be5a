"""The fault contract.

A fault is a class with a pydantic parameter model, declared IAM permissions and a small
state model describing *only the part of a resource it touches*. It implements four methods:

- ``discover()``: the candidate targets named by the parameters (names, ARNs or tags, regions);
- ``read(target)``: the current state of the touched part;
- ``plan(target, before)``: the impaired state to set (pure, no AWS calls: dry-run uses it);
- ``write(target, state, current)``: make the resource match ``state``.

From these the base class derives the contract the engine uses: ``snapshot()``, ``inject()``
and ``restore(snapshot)``. Restore compares the current state with what was applied: if it still
matches, the snapshot is written back; if it already equals the snapshot, nothing is done; if it
is anything else somebody changed it meanwhile, and restore reports drift instead of clobbering.
One exception, for faults that write in several calls (``partial_writes``): when the injection
never finished (a call failed, or the process was killed in the middle) or an earlier restore
failed, a state made only of snapshot and applied parts is the run's own half-made change, and
the snapshot is written back.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import InvalidParameters
from chaosrun.targets import RestoreResult, RestoreStatus, Target

__all__ = [
    "COUNT_OR_PERCENT",
    "CompositeFault",
    "Fault",
    "Params",
    "ResourceGone",
    "RestoreResult",
    "RestoreStatus",
    "Target",
    "TargetedParams",
    "is_mix",
    "parse_params",
    "select_targets",
]


class Params(BaseModel):
    """Base of every fault and probe parameter model: misspelled keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: cross-field rules, one sentence each, shown by ``chaosrun list``; a validator enforcing a
    #: rule raises with the same sentence, so the listing and the error agree
    rules: ClassVar[tuple[str, ...]] = ()


def parse_params(model: type[Params], owner: str, arguments: dict[str, Any]) -> Params:
    """Validate a fault's or probe's ``arguments``; all problems in one ``InvalidParameters``."""
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(arguments)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidParameters(f"{owner}: {problems}", list(exc.errors())) from None


ONE_TARGET_SELECTOR = "give exactly one of names, arns or tags to select targets"
COUNT_OR_PERCENT = "give count or percent, not both"


class TargetedParams(Params):
    """Target selection shared by every fault that acts on tagged, named resources.

    Exactly one of ``names``, ``arns`` or ``tags`` selects the candidates; ``count`` or
    ``percent`` then picks a random subset whose ``seed`` is recorded in the journal so a run can
    be repeated on the same targets.
    """

    names: list[str] | None = Field(None, description="resource names")
    arns: list[str] | None = Field(None, description="resource ARNs")
    tags: dict[str, str] | None = Field(None, description="select resources carrying all tags")
    regions: list[str] | None = Field(
        None, description="regions to search (default: the configured region)"
    )
    count: int | None = Field(None, ge=1, description="pick this many targets at random")
    percent: float | None = Field(
        None, gt=0, le=100, description="pick this share of targets at random"
    )
    seed: int | None = Field(None, description="random seed for count/percent (recorded)")

    rules: ClassVar[tuple[str, ...]] = (ONE_TARGET_SELECTOR, COUNT_OR_PERCENT)

    @model_validator(mode="after")
    def _one_selector(self) -> TargetedParams:
        given = [k for k in ("names", "arns", "tags") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(ONE_TARGET_SELECTOR)
        if self.count is not None and self.percent is not None:
            raise ValueError(COUNT_OR_PERCENT)
        return self


def select_targets(
    candidates: list[Target], count: int | None, percent: float | None, seed: int | None
) -> tuple[list[Target], int | None]:
    """Apply count/percent selection; returns the chosen targets and the seed actually used."""
    ordered = sorted(set(candidates), key=lambda t: (t.region, t.arn))
    if count is None and percent is None:
        return ordered, seed
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    k = count if count is not None else max(1, round(len(ordered) * (percent or 0) / 100))
    k = min(k, len(ordered))
    return sorted(random.Random(seed).sample(ordered, k), key=lambda t: t.arn), seed


_ABSENT = object()


def is_mix(now: Any, before: Any, after: Any) -> bool:
    """Whether the JSON value ``now`` is made only of parts of ``before`` and ``after``.

    A fault's write changes a resource part by part (one policy, one target, one field per
    call), so a write that stopped half-way leaves such a mix. Mappings are compared key by key
    (a missing key is a value of its own), lists item by item (every item must come from one of
    the two, and an item both share must still be there), anything else whole.
    """
    if now in (before, after):
        return True
    if isinstance(now, dict) and isinstance(before, dict) and isinstance(after, dict):
        return all(
            is_mix(now.get(k, _ABSENT), before.get(k, _ABSENT), after.get(k, _ABSENT))
            for k in now.keys() | before.keys() | after.keys()
        )
    if isinstance(now, list) and isinstance(before, list) and isinstance(after, list):
        return all(x in before or x in after for x in now) and all(
            x in now for x in before if x in after
        )
    return False


class ResourceGone(Exception):
    """Raised by ``read`` when the target no longer exists."""


P = TypeVar("P", bound=Params)
S = TypeVar("S", bound=BaseModel)


class Fault(ABC, Generic[P, S]):
    """Base class of every fault. Subclasses set the class variables and the four methods."""

    #: registry name == Chaos Toolkit python provider ``module.func``
    name: ClassVar[str]
    summary: ClassVar[str]
    params_model: ClassVar[type[Params]]
    state_model: ClassVar[type[BaseModel]]
    #: IAM actions the runner's identity needs to inject, restore and lock
    permissions: ClassVar[tuple[str, ...]]
    #: e.g. "lambda:function"
    resource_kind: ClassVar[str]
    #: set True only when inject/restore write the state in several API calls, so a crash or
    #: failure can leave a mix of before and after; a one-call write leaves one or the other,
    #: so for it a mix is somebody else's change (drift)
    partial_writes: ClassVar[bool] = False

    def __init__(self, params: P, clients: AwsClients) -> None:
        self.params = params
        self.clients = clients
        #: tags seen during discovery (ARN -> tags); lets lock checks skip a call per target
        self.known_tags: dict[str, dict[str, str]] = {}

    # -- what a fault implements -------------------------------------------------------------
    @abstractmethod
    def discover(self) -> list[Target]:
        """Candidate targets named by the parameters (before count/percent selection)."""

    @abstractmethod
    def read(self, target: Target) -> S:
        """Current state of the part of ``target`` this fault touches."""

    @abstractmethod
    def plan(self, target: Target, before: S) -> S:
        """The impaired state to apply, computed without AWS calls."""

    @abstractmethod
    def write(self, target: Target, state: S, current: S) -> None:
        """Make the touched part of ``target`` equal ``state`` (``current`` is its state now)."""

    # -- the contract, derived ---------------------------------------------------------------
    def regions(self) -> list[str]:
        regions = getattr(self.params, "regions", None)
        return list(regions) if regions else [self.clients.default_region]

    def snapshot(self, target: Target) -> S:
        return self.read(target)

    def inject(self, target: Target, snapshot: S) -> S:
        applied = self.plan(target, snapshot)
        if applied != snapshot:
            self.write(target, applied, snapshot)
        return applied

    def restore(
        self, target: Target, snapshot: S, applied: S, *, unfinished: bool = False
    ) -> RestoreResult:
        """Write ``snapshot`` back unless someone else changed the target since.

        ``unfinished``: our own write may have stopped part-way (the injection never reached
        ``applied``, or an earlier restore failed), so for a ``partial_writes`` fault a mix of
        snapshot and applied parts is ours too, not drift.
        """
        try:
            now = self.read(target)
        except ResourceGone as gone:
            return RestoreResult(status=RestoreStatus.GONE, detail=str(gone) or "deleted")
        if self.same(now, snapshot):
            return RestoreResult(status=RestoreStatus.ALREADY)
        half_made = unfinished and self.partial_writes and self.partly(now, snapshot, applied)
        ours = self.same(now, applied) or half_made
        if not ours:
            return RestoreResult(
                status=RestoreStatus.DRIFT,
                detail=(
                    "changed by someone else since injection; left as is. Compare the snapshot "
                    "with the current value and restore by hand if needed."
                ),
                current=now.model_dump(mode="json"),
            )
        # No read-back: the write either succeeded or raised, and a later rollback re-checks.
        self.write(target, snapshot, now)
        return RestoreResult(status=RestoreStatus.RESTORED)

    def same(self, a: S, b: S) -> bool:
        """State equality used for drift detection; override for order-insensitive fields."""
        return a.model_dump(mode="json") == b.model_dump(mode="json")

    def partly(self, now: S, snapshot: S, applied: S) -> bool:
        """Whether ``now`` is a half-made change from ``snapshot`` to ``applied``; override
        where a field's parts cannot be told apart in its JSON form."""
        return is_mix(
            now.model_dump(mode="json"),
            snapshot.model_dump(mode="json"),
            applied.model_dump(mode="json"),
        )

    def load_state(self, data: dict[str, Any]) -> S:
        return self.state_model.model_validate(data)  # type: ignore[return-value]

    def describe_change(self, target: Target, before: S, after: S) -> str:
        """One line for dry-run output and the report."""
        return f"{target}: {before.model_dump(mode='json')} -> {after.model_dump(mode='json')}"


class CompositeFault(ABC):
    """A fault made of other faults (e.g. a regional impairment).

    ``expand()`` returns ``(fault_name, arguments)`` parts. The runtime applies them in order
    under one ledger group, so they are restored together, last part first.
    """

    composite: ClassVar[bool] = True
    name: ClassVar[str]
    summary: ClassVar[str]
    params_model: ClassVar[type[Params]]
    permissions: ClassVar[tuple[str, ...]]
    resource_kind: ClassVar[str] = "composite"

    def __init__(self, params: Any, clients: AwsClients) -> None:
        self.params = params
        self.clients = clients

    @abstractmethod
    def expand(self) -> list[tuple[str, dict[str, Any]]]:
        """The parts, in the order they are injected."""
