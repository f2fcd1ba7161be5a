"""The resilience score.

Inspired by Gremlin's reliability score and LitmusChaos's resilience score, with two of their
flaws fixed:

- it can never exceed 100: every run scores in [0, 100] and the average's denominator is never
  smaller than the sum of the weights;
- stale results decay: a run's weight halves every ``half_life_days`` (default 30), and the
  denominator is at least 1, so when the only evidence is old the score sinks toward 0 instead
  of claiming a resilience nobody has checked lately.

Run score: held = 100; deviated = the share of steady-state checks that held during and after
the method, times 50 (a deviation is a finding, never a pass); restore incomplete = 0 (something
was left impaired); aborted runs prove nothing and are not counted. An experiment's score is the
decayed weighted mean of its runs; a service's is the mean of its experiments' scores (a service
is named by an experiment tag ``service:<name>``, else the experiment title).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel

from chaosrun.journal.model import Journal, Verdict

HALF_LIFE_DAYS = 30.0


class ExperimentScore(BaseModel):
    experiment: str
    score: float
    runs: int
    last_run: datetime
    last_verdict: Verdict
    evidence: float  # sum of decayed weights; below ~0.5 the score is mostly decay
    stale: bool


class ServiceScore(BaseModel):
    service: str
    score: float
    experiments: list[ExperimentScore]


def run_score(journal: Journal) -> float | None:
    verdict = journal.chaosrun.verdict
    if verdict is Verdict.HELD:
        return 100.0
    if verdict is Verdict.RESTORE_INCOMPLETE:
        return 0.0
    if verdict is Verdict.ABORTED:
        return None
    checks = list(journal.steady_states.during)
    if journal.steady_states.after is not None:
        checks.append(journal.steady_states.after)
    if not checks:
        return 0.0
    held = sum(1 for c in checks if c.steady_state_met)
    return 50.0 * held / len(checks)


def _weight(run_end: datetime, now: datetime, half_life_days: float) -> float:
    age_days = max(0.0, (now - run_end).total_seconds() / 86400)
    return float(0.5 ** (age_days / half_life_days))


def experiment_scores(
    journals: Iterable[Journal], now: datetime, half_life_days: float = HALF_LIFE_DAYS
) -> list[ExperimentScore]:
    by_title: dict[str, list[Journal]] = defaultdict(list)
    for j in journals:
        by_title[j.title].append(j)
    scores = []
    for title, runs in sorted(by_title.items()):
        runs.sort(key=lambda j: j.end)
        weighted = total = 0.0
        for j in runs:
            s = run_score(j)
            if s is None:
                continue
            w = _weight(j.end, now, half_life_days)
            weighted += w * s
            total += w
        last = runs[-1]
        scores.append(
            ExperimentScore(
                experiment=title,
                score=round(weighted / max(total, 1.0), 1),
                runs=len(runs),
                last_run=last.end,
                last_verdict=last.chaosrun.verdict,
                evidence=round(total, 3),
                stale=total < 0.5,
            )
        )
    return scores


def service_of(journal: Journal) -> str:
    for tag in journal.experiment.get("tags") or []:
        if isinstance(tag, str) and tag.startswith("service:"):
            return tag.split(":", 1)[1]
    return journal.title


def service_scores(
    journals: Iterable[Journal], now: datetime, half_life_days: float = HALF_LIFE_DAYS
) -> list[ServiceScore]:
    journals = list(journals)
    per_service: dict[str, list[Journal]] = defaultdict(list)
    for j in journals:
        per_service[service_of(j)].append(j)
    out = []
    for service, js in sorted(per_service.items()):
        exps = experiment_scores(js, now, half_life_days)
        mean = sum(e.score for e in exps) / len(exps) if exps else 0.0
        out.append(ServiceScore(service=service, score=round(mean, 1), experiments=exps))
    return out
