"""Probes used by the game-day tests' experiments (importable as ``gameday_support``)."""

from __future__ import annotations

import boto3

from chaosrun.gameday.notes import add_note


def concurrency_is(function: str, expected: int | None) -> bool:
    lam = boto3.client("lambda", region_name="us-east-1")
    got = lam.get_function_concurrency(FunctionName=function).get("ReservedConcurrentExecutions")
    return got == expected


def noting(text: str) -> bool:
    add_note(text, author="observer")
    return True


def fails() -> bool:
    return False
