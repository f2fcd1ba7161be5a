"""Helpers for engine tests that need no AWS: experiments whose providers live in this module
(called by module name, like any CTK python provider) and a runner without signal handlers."""

from __future__ import annotations

import itertools
from typing import Any

from chaosrun.aws.clients import AwsClients
from chaosrun.engine import Runner, RunOptions
from chaosrun.experiment.extensions import ChaosrunSettings
from chaosrun.journal.model import Journal
from chaosrun.ledger import Ledger

HERE = __name__
#: answers of ``scripted``, consumed in order (then the last one repeats)
SCRIPT: list[bool] = []
_calls = itertools.count()


# -- providers --------------------------------------------------------------------------------
def echo(value: Any) -> Any:
    return value


def boom(value: str) -> None:
    raise RuntimeError(f"auth failed with token={value}")


def scripted() -> bool:
    n = next(_calls)
    return SCRIPT[min(n, len(SCRIPT) - 1)]


def reset_script(*answers: bool) -> None:
    global _calls
    SCRIPT[:] = answers
    _calls = itertools.count()


# -- experiments ------------------------------------------------------------------------------
def py(func: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "python", "module": HERE, "func": func, "arguments": arguments}


def action(name: str, provider: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "action", "name": name, "provider": provider, **extra}


def probe(name: str, provider: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "probe", "name": name, "provider": provider, **extra}


def experiment(**parts: Any) -> dict[str, Any]:
    return {"title": "t", "description": "d", "method": [], **parts}


def run(
    exp: dict[str, Any], ledger: Ledger, settings: dict[str, Any] | None = None, **options: Any
) -> Journal:
    return Runner(
        exp,
        ChaosrunSettings.model_validate(settings or {}),
        clients=AwsClients(),
        ledger=ledger,
        options=RunOptions(handle_signals=False, **options),
    ).run()
