"""Ledger record models are complete at import: they are first used from the fault pool's
threads, and pydantic builds a deferred schema without a lock (two threads building at once can
leave a half-built model: a failed intent write, or a record without its entry_id)."""

from __future__ import annotations

from pydantic import BaseModel

from chaosrun import ledger


def test_every_ledger_record_is_built_at_import() -> None:
    records = [
        obj
        for obj in vars(ledger).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == ledger.__name__
    ]
    assert {r.__name__ for r in records} >= {"IntentRecord", "AppliedRecord", "RestoredRecord"}
    for record in records:
        assert not record.model_config.get("defer_build"), record.__name__
        assert record.__pydantic_complete__, record.__name__
