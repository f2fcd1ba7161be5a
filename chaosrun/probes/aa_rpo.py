"""Recovery point objective: acknowledged writes of a traffic session that are gone.

Every write the system acknowledged (2xx) during the session is read back by id, through HTTP
GET templates (``https://api.example.com/orders/{id}``, one per global/regional endpoint) or
DynamoDB ``GetItem`` in every listed region. A write is *lost* when it is missing from any
target (``mode: all``, the default: every region must have it) or from all of them
(``mode: any``). Targets that fail to answer (5xx, timeouts) are retried, and writes still not
verified are counted as *unverified*, never as lost.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from chaosrun.aws.clients import aws_errors
from chaosrun.faults.base import Params
from chaosrun.journal.model import Measurement
from chaosrun.plugins import PROBES
from chaosrun.probes.aa_common import SessionWindow
from chaosrun.probes.base import Probe, ProbeOutput
from chaosrun.probes.httpclient import HttpPool

FOUND, MISSING, UNKNOWN = "found", "missing", "unknown"

log = logging.getLogger(__name__)


class DynamoReadBack(Params):
    table: str
    regions: list[str] = Field(min_length=1)
    key_attribute: str = Field("id", description="partition key holding the write id (string)")
    consistent_read: bool = True


_A_TARGET = "give read_urls (GET templates with {id}), dynamodb or both to read back"


class RpoParams(SessionWindow):
    rules: ClassVar[tuple[str, ...]] = (*SessionWindow.rules, _A_TARGET)

    read_urls: list[str] | None = Field(
        None, description="GET templates containing {id}, e.g. https://eu.api/orders/{id}"
    )
    dynamodb: DynamoReadBack | None = None
    mode: Literal["all", "any"] = Field("all", description="lost if missing from all/any target")
    settle_s: float = Field(0.0, ge=0, le=600, description="wait before reading back")
    retries: int = Field(2, ge=0, le=20, description="re-reads of missing/unknown ids")
    retry_delay_s: float = Field(1.0, ge=0, le=60)
    concurrency: int = Field(16, ge=1, le=256)
    timeout: float = Field(5.0, gt=0, le=60)
    max_lost_writes: int | None = Field(None, ge=0, description="bound for the measurement")
    max_listed: int = Field(100, ge=0, description="lost ids listed in the output")

    @model_validator(mode="after")
    def _a_target(self) -> RpoParams:
        if not self.read_urls and self.dynamodb is None:
            raise ValueError(_A_TARGET)
        for url in self.read_urls or []:
            if "{id}" not in url:
                raise ValueError(f"read URL {url!r} must contain {{id}}")
        return self


class LostWrite(Params):
    id: str
    acked_at: datetime
    region: str | None = None
    missing_from: list[str]


class RpoOutput(ProbeOutput):
    session: str
    checked: int
    lost_writes: int
    unverified: int
    lost: list[LostWrite]
    missing_by_target: dict[str, int]
    loss_window_s: float | None = Field(
        None, description="first to last lost acknowledged write (time span of lost data)"
    )
    max_lost_writes: int | None = None
    ok: bool | None

    def measurements(self) -> list[Measurement]:
        return [
            Measurement(
                name=f"RPO lost writes ({self.session})",
                value=self.lost_writes,
                unit="writes",
                bound=self.max_lost_writes,
                ok=self.ok,
                detail=(
                    f"{self.lost_writes} of {self.checked} acknowledged writes missing"
                    + (f", {self.unverified} unverified" if self.unverified else "")
                    + (f", over {self.loss_window_s} s" if self.loss_window_s else "")
                ),
            )
        ]


@PROBES.register("chaosrun.probes.activeactive.rpo")
class Rpo(Probe[RpoParams, RpoOutput]):
    name = "chaosrun.probes.activeactive.rpo"
    summary = "Acknowledged writes of a traffic session missing after recovery (read back by id)."
    params_model = RpoParams
    output_model = RpoOutput
    permissions = ("dynamodb:GetItem",)  # only with dynamodb read-back

    def _targets(self) -> list[str]:
        p: RpoParams = self.params
        names = list(p.read_urls or [])
        if p.dynamodb is not None:
            names += [f"dynamodb:{p.dynamodb.table}@{r}" for r in p.dynamodb.regions]
        return names

    def _check(
        self, target: str, write_id: str, pools: threading.local, errors: dict[str, str]
    ) -> str:
        p: RpoParams = self.params
        if target.startswith("dynamodb:") and p.dynamodb is not None:
            region = target.rsplit("@", 1)[1]
            client = self.clients.client("dynamodb", region)
            try:
                resp = client.get_item(
                    TableName=p.dynamodb.table,
                    Key={p.dynamodb.key_attribute: {"S": write_id}},
                    ConsistentRead=p.dynamodb.consistent_read,
                )
            except aws_errors() as exc:  # unverified; the first error per target is reported
                errors.setdefault(target, f"{type(exc).__name__}: {exc}")
                return UNKNOWN
            return FOUND if resp.get("Item") else MISSING
        pool = getattr(pools, "pool", None)
        if pool is None:
            pool = pools.pool = HttpPool(timeout=p.timeout)
        result = pool.request("GET", target.replace("{id}", write_id), read_limit=1024)
        if 200 <= result.status < 300:
            return FOUND
        if result.status in (404, 410):
            return MISSING
        return UNKNOWN

    def run(self) -> RpoOutput:
        p: RpoParams = self.params
        out = p.load()
        start, end = p.bounds(out)
        writes = [
            w
            for w in out.acknowledged_writes
            if (start is None or w.acked_at >= start) and (end is None or w.acked_at < end)
        ]
        targets = self._targets()
        if p.settle_s:
            self.stop.wait(p.settle_s)
        # state[(write id, target)] = found/missing/unknown; re-check all but found
        state: dict[tuple[str, str], str] = {}
        pending = [(w.id, t) for w in writes for t in targets]
        pools = threading.local()
        errors: dict[str, str] = {}
        with ThreadPoolExecutor(max_workers=p.concurrency, thread_name_prefix="rpo") as pool:
            for attempt in range(p.retries + 1):
                if attempt and (not pending or self.stop.wait(p.retry_delay_s)):
                    break
                results = pool.map(lambda k: (k, self._check(k[1], k[0], pools, errors)), pending)
                for key, verdict in results:
                    state[key] = verdict
                pending = [k for k, v in state.items() if v != FOUND]
        for target, error in errors.items():
            log.warning(
                "RPO: reads back from %s failed (first: %s); retried, still failing ones are "
                "counted as unverified. Check the table name, regions and dynamodb:GetItem.",
                target,
                error,
            )
        lost: list[LostWrite] = []
        unverified = 0
        missing_by_target = dict.fromkeys(targets, 0)
        for w in writes:
            verdicts = {t: state[(w.id, t)] for t in targets}
            missing = [t for t, v in verdicts.items() if v == MISSING]
            for t in missing:
                missing_by_target[t] += 1
            found = [t for t, v in verdicts.items() if v == FOUND]
            unknown = [t for t, v in verdicts.items() if v == UNKNOWN]
            is_lost = bool(missing) if p.mode == "all" else not found and not unknown
            if is_lost:
                lost.append(
                    LostWrite(id=w.id, acked_at=w.acked_at, region=w.region, missing_from=missing)
                )
            elif unknown and (p.mode == "all" or not found):
                unverified += 1
        window = None
        if lost:
            window = round((lost[-1].acked_at - lost[0].acked_at).total_seconds(), 3)
        ok = None if p.max_lost_writes is None else len(lost) <= p.max_lost_writes
        return RpoOutput(
            session=p.session,
            checked=len(writes),
            lost_writes=len(lost),
            unverified=unverified,
            lost=lost[: p.max_listed],
            missing_by_target=missing_by_target,
            loss_window_s=window,
            max_lost_writes=p.max_lost_writes,
            ok=ok,
        )
