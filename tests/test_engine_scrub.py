"""Secret scrubbing."""

from __future__ import annotations

from chaosrun.engine.scrub import MASK, Scrubber
from chaosrun.experiment.secret_config import secret_config_keys


def test_scrubs_nested_values_keys_and_substrings() -> None:
    s = Scrubber()
    s.add({"api": {"token": "abcd-1234", "pin": 987654}})
    data = {
        "out": "Bearer abcd-1234 failed",
        "list": ["abcd-1234", 987654, True],
        "abcd-1234": 1,
    }
    assert s(data) == {"out": f"Bearer {MASK} failed", "list": [MASK, MASK, True], MASK: 1}


def test_short_values_only_masked_whole() -> None:
    s = Scrubber()
    s.add("ab")
    assert s({"a": "ab", "b": "about"}) == {"a": MASK, "b": "about"}


def test_keep_keys_untouched() -> None:
    s = Scrubber()
    s.add("2024")
    assert s({"at": "2024-01-01", "x": "2024-01-01"}, keep=frozenset({"at"})) == {
        "at": "2024-01-01",
        "x": f"{MASK}-01-01",
    }


def test_secret_config_keys() -> None:
    info = {"a": {"type": "env", "key": "A", "secret": True}, "b": {"type": "env", "key": "B"}}
    assert secret_config_keys(info) == ["a"]


def test_series_numbers_are_never_masked() -> None:
    """A secret that reads like a number ("12.5") must not turn series values into "***" (the
    journal would no longer validate)."""
    from datetime import UTC, datetime

    from chaosrun.engine.build import TIMESTAMP_KEYS
    from chaosrun.journal.model import Series

    s = Scrubber()
    s.add("12.5")
    series = Series.from_points(
        "p99",
        [
            (datetime(2026, 1, 1, tzinfo=UTC), 12.5),
            (datetime(2026, 1, 1, 0, 0, 12, 500000, tzinfo=UTC), 1.0),
        ],
    )
    scrubbed = s(series.model_dump(mode="json"), keep=TIMESTAMP_KEYS)
    assert Series.model_validate(scrubbed) == series
