"""Applying and restoring faults: the part of the engine that touches the ledger.

``apply_fault`` validates parameters, resolves and selects targets, refuses targets outside
``safety.allowed_regions`` or held by an unfinished run, then for every target (in parallel,
bounded): lock tag -> snapshot -> ledger intent (fsynced) -> change -> ledger applied. A target
left without an intent (a cancel, a failed snapshot) is unlocked at once, as no restore will.
``restore_run`` walks a run's unsettled ledger entries in reverse order and restores each,
reporting drift rather than clobbering.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from chaosrun.aws.clients import AwsClients, AwsSettings
from chaosrun.aws.locks import LockNotReleased, TagLocks, lock_run_id
from chaosrun.errors import FaultConflict, NoTargets, SafetyViolation
from chaosrun.faults.base import (
    Params,
    RestoreResult,
    RestoreStatus,
    parse_params,
    select_targets,
)
from chaosrun.journal.model import FaultRecord, TargetRecord
from chaosrun.ledger import Ledger, LedgerEntry, now
from chaosrun.plugins import FAULTS

log = logging.getLogger(__name__)

#: seconds a stopping run waits for fault calls in flight before restoring (the engine's
#: ``RunOptions.fault_grace`` default, and the exit-time restore under plain ``chaos run``)
FAULT_GRACE_S = 60.0


def new_run_id() -> str:
    return now().strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


@dataclass
class FaultContext:
    """Everything a fault needs from the run: injected clients, the ledger, safety settings."""

    run_id: str
    clients: AwsClients
    ledger: Ledger
    dry_run: bool = False
    max_targets: int | None = None
    #: ``safety.allowed_regions``: every selected target must be in one (None: no limit)
    allowed_regions: list[str] | None = None
    concurrency: int = 16
    cancel: threading.Event = field(default_factory=threading.Event)
    records: list[FaultRecord] = field(default_factory=list)
    on_change: Callable[[FaultRecord], None] | None = None
    #: created on first use under plain ``chaos run``: no engine restores its faults
    standalone: bool = False
    _begun: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, experiment: str = "") -> None:
        with self._lock:
            if not self._begun and not self.dry_run:
                self.ledger.begin(self.run_id, experiment, self.clients.settings.to_record())
                self._begun = True


def apply_fault(
    ctx: FaultContext,
    fault_name: str,
    arguments: dict[str, Any],
    activity: str = "",
    group: str | None = None,
) -> FaultRecord:
    """Inject ``fault_name`` with ``arguments``; every change is in the ledger before it is made."""
    fault_cls = FAULTS.get(fault_name)
    params = parse_params(fault_cls.params_model, fault_cls.name, arguments)
    if getattr(fault_cls, "composite", False):
        return _apply_composite(ctx, fault_cls, params, activity or fault_name)
    fault = fault_cls(params, ctx.clients)
    candidates = fault.discover()
    targets, seed = select_targets(
        candidates,
        getattr(params, "count", None),
        getattr(params, "percent", None),
        getattr(params, "seed", None),
    )
    if not targets:
        raise NoTargets(f"{fault_name}: no target matched {params.model_dump(exclude_none=True)}")
    _refuse_outside_regions(ctx, fault_name, targets)
    if ctx.max_targets is not None and len(targets) > ctx.max_targets:
        raise SafetyViolation(
            f"{fault_name} selected {len(targets)} targets, more than max_targets="
            f"{ctx.max_targets}. Narrow the selection (count/percent/tags) or raise the limit."
        )
    record = FaultRecord(
        activity=activity or fault_name,
        fault=fault_name,
        params=params.model_dump(mode="json", exclude_none=True),
        permissions=list(fault_cls.permissions),
        seed=seed,
        dry_run=ctx.dry_run,
        started=now(),
    )
    with ctx._lock:
        ctx.records.append(record)

    if ctx.dry_run:
        for target in targets:
            before = fault.snapshot(target)
            after = fault.plan(target, before)
            record.targets.append(
                TargetRecord(
                    entry_id="dry-run",
                    target=target,
                    before=before.model_dump(mode="json"),
                    after=after.model_dump(mode="json"),
                )
            )
        record.ended = now()
        return record

    _refuse_conflicts(ctx, targets)
    locks = TagLocks(ctx.clients, ctx.run_id, ctx.concurrency)
    held = locks.holders(targets, fault.known_tags)
    if held:
        arn, value = next(iter(held.items()))
        target = next(t for t in targets if t.arn == arn)
        raise FaultConflict(_conflict_message(target, lock_run_id(value), value))
    ctx.begin()
    try:
        locks.acquire(targets)
    except BaseException:
        _unlock(ctx, locks, targets, changed=set())  # some tags may have been set already
        raise
    group = group or f"{activity or fault_name}#{uuid.uuid4().hex[:6]}"

    def one(target: Any) -> TargetRecord | None:
        if ctx.cancel.is_set():
            return None
        before = fault.snapshot(target)
        after = fault.plan(target, before)
        entry_id = uuid.uuid4().hex[:12]
        tr = TargetRecord(
            entry_id=entry_id,
            target=target,
            before=before.model_dump(mode="json"),
            after=after.model_dump(mode="json"),
        )
        ctx.ledger.intent(
            ctx.run_id,
            entry_id=entry_id,
            group=group,
            fault=fault_name,
            params=record.params,
            target=target,
            before=tr.before,
            after=tr.after,
        )
        with ctx._lock:
            record.targets.append(tr)
        if ctx.cancel.is_set():
            return tr
        fault.inject(target, before)
        ctx.ledger.applied(ctx.run_id, entry_id)
        tr.injected_at = now()
        return tr

    errors: list[BaseException] = []
    with ThreadPoolExecutor(max_workers=min(ctx.concurrency, len(targets))) as pool:
        for future in [pool.submit(one, t) for t in targets]:
            exc = future.exception()
            if exc is not None:
                errors.append(exc)
    unlock_error = _unlock(ctx, locks, targets, {tr.target.arn for tr in record.targets})
    if unlock_error is not None:
        errors.append(unlock_error)
    record.ended = now()
    if ctx.on_change:
        ctx.on_change(record)
    if errors:
        for other in errors[1:]:  # only the first is raised; the others must not vanish
            log.error(
                "%s: another target failed too: %s: %s", fault_name, type(other).__name__, other
            )
        raise errors[0]
    return record


def _apply_composite(
    ctx: FaultContext, fault_cls: Any, params: Params, activity: str
) -> FaultRecord:
    composite = fault_cls(params, ctx.clients)
    group = f"{activity}#{uuid.uuid4().hex[:6]}"
    summary = FaultRecord(
        activity=activity,
        fault=fault_cls.name,
        params=params.model_dump(mode="json", exclude_none=True),
        permissions=list(fault_cls.permissions),
        dry_run=ctx.dry_run,
        started=now(),
    )
    for part_name, part_args in composite.expand():
        part = apply_fault(ctx, part_name, part_args, f"{activity} / {part_name}", group)
        summary.targets.extend(part.targets)
    summary.ended = now()
    return summary


def _unlock(
    ctx: FaultContext, locks: TagLocks, targets: list[Any], changed: set[str]
) -> LockNotReleased | None:
    """Release the lock of every target this run has no ledger entry for (skipped by a cancel,
    or its snapshot failed): nothing will restore it, so nothing else would remove the tag.

    A target an earlier activity of this run changed keeps its lock until that is restored.
    A failure is returned (and logged), for the caller to raise with its other errors.
    """
    idle = [t for t in targets if t.arn not in changed]
    if not idle:
        return None
    if ctx.ledger.path(ctx.run_id).exists():
        pending = {e.intent.target.arn for e in ctx.ledger.load(ctx.run_id).pending}
        idle = [t for t in idle if t.arn not in pending]
    try:
        locks.release(idle)
    except LockNotReleased as exc:
        log.error("%s", exc)
        return exc
    return None


def _refuse_outside_regions(ctx: FaultContext, fault_name: str, targets: list[Any]) -> None:
    """Check the selected targets themselves: an ARN (or a tag search) can name a region the
    parameters' ``regions`` never mention."""
    allowed = ctx.allowed_regions
    outside = [t for t in targets if allowed is not None and t.region not in allowed]
    if outside:
        named = ", ".join(f"{t.arn} (region {t.region})" for t in outside)
        raise SafetyViolation(
            f"{fault_name}: {named} outside safety.allowed_regions {allowed}; nothing was "
            "changed. Select targets in an allowed region or extend the allow list."
        )


def _refuse_conflicts(ctx: FaultContext, targets: list[Any]) -> None:
    held = ctx.ledger.held_targets(exclude_run=ctx.run_id)
    for target in targets:
        if target.arn in held:
            raise FaultConflict(_conflict_message(target, held[target.arn][0], None))


def _conflict_message(target: Any, run_id: str, tag: str | None) -> str:
    where = f" (lock tag {tag})" if tag else " (local ledger)"
    return (
        f"{target} is already impaired by unfinished run {run_id}{where}. Refusing to fault it "
        "twice. Wait for that run to finish, or restore it with "
        f"`chaosrun rollback --run {run_id}`."
    )


def restore_entry(clients: AwsClients, entry: LedgerEntry) -> RestoreResult:
    intent = entry.intent
    try:
        fault_cls = FAULTS.get(intent.fault)
        params = fault_cls.params_model.model_validate(intent.params)
        fault = fault_cls(params, clients)
        return fault.restore(
            intent.target,
            fault.load_state(intent.before),
            fault.load_state(intent.after),
            unfinished=not entry.applied or _restore_failed(entry),
        )
    except Exception as exc:  # restore must report, never raise: other entries still need it
        log.error("restore of %s failed: %s", intent.target, exc)
        return RestoreResult(status=RestoreStatus.FAILED, detail=f"{type(exc).__name__}: {exc}")


def _restore_failed(entry: LedgerEntry) -> bool:
    """Whether a restore of ``entry`` failed: it may have stopped between two of its calls, and
    the mix it left stays ours even after a later attempt reported drift over it."""
    return any(r.result.status is RestoreStatus.FAILED for r in entry.results)


def restore_run(
    ledger: Ledger,
    clients: AwsClients,
    run_id: str,
    *,
    concurrency: int = 16,
    on_result: Callable[[LedgerEntry, RestoreResult], None] | None = None,
    skip_unfinished: bool = False,
) -> list[tuple[LedgerEntry, RestoreResult]]:
    """Restore every unsettled entry of ``run_id``, last change first.

    Groups (one per fault activity) are restored in reverse order, one after the other, so a
    resource changed by two activities gets its states back in the right order; the targets of one
    group are restored in parallel.

    ``skip_unfinished``: leave pending every target with an entry whose write may still be in
    flight (no ``applied`` record) -- all of that target's entries, so their order holds. The
    engine asks for this when a fault call outlived its grace period: a restore now could be
    overwritten by that write landing later; ``chaosrun rollback`` restores them afterwards.
    """
    run = ledger.load(run_id)
    pending = sorted(run.pending, key=lambda e: e.intent.seq, reverse=True)
    if skip_unfinished:
        busy = {e.intent.target.arn for e in pending if not e.applied}
        pending = [e for e in pending if e.intent.target.arn not in busy]
    results: list[tuple[LedgerEntry, RestoreResult]] = []
    locks = TagLocks(clients, run_id, concurrency)
    left = Counter(e.intent.target.arn for e in pending)
    for _, group in groupby(pending, key=lambda e: e.intent.group):
        entries = list(group)

        def one(entry: LedgerEntry) -> tuple[LedgerEntry, RestoreResult]:
            result = restore_entry(clients, entry)
            ledger.restored(run_id, entry.intent.entry_id, result)
            if on_result:
                on_result(entry, result)
            return entry, result

        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(entries)))) as pool:
            done = list(pool.map(one, entries))
        results.extend(done)
        for entry, _ in done:
            left[entry.intent.target.arn] -= 1
        # a target also changed by an earlier group of this run keeps its lock until that is undone
        settled = [e.intent.target for e, r in done if r.ok and not left[e.intent.target.arn]]
        try:
            locks.release(settled)
        except LockNotReleased as exc:  # the restores stand; the tag needs a hand
            log.error("%s", exc)
    if not ledger.load(run_id).pending:
        ledger.end(run_id)
    return results


def clients_for_run(ledger: Ledger, run_id: str) -> AwsClients:
    """Clients reaching the same account/region as the recorded run (endpoint from env wins)."""
    aws = ledger.load(run_id).run.aws
    return AwsClients(
        AwsSettings(profile=aws.profile, region=aws.region, endpoint_url=aws.endpoint_url)
    )


# -- the active context, for providers called outside our engine (plain `chaos run`) ------------
_active: FaultContext | None = None
_active_lock = threading.Lock()


def set_active_context(ctx: FaultContext | None) -> None:
    global _active
    with _active_lock:
        _active = ctx


def current_context() -> FaultContext | None:
    """The active context, without creating one."""
    with _active_lock:
        return _active


def active_context(configuration: dict[str, Any] | None = None) -> FaultContext:
    """The engine's context, or a standalone one created on first use under ``chaos run``."""
    global _active
    with _active_lock:
        if _active is None:
            region = (configuration or {}).get("aws_region")
            profile = (configuration or {}).get("aws_profile_name")
            _active = FaultContext(
                run_id=new_run_id(),
                clients=AwsClients(AwsSettings(region=region, profile=profile)),
                ledger=Ledger(),
                standalone=True,
            )
        return _active
