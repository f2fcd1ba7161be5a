"""Journal series are stored by column (start, offsets, values); the old list of
``[timestamp, value]`` points still loads, and every producer writes the columns."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from journal_factory import T0, deviated_journal
from pydantic import ValidationError

from chaosrun.engine.state import RunState
from chaosrun.journal.model import Journal, Series
from chaosrun.probes.cloudwatch_metric import Datapoint, MetricStatisticOutput
from chaosrun.probes.traffic_store import TrafficBucket, TrafficOutput
from chaosrun.report.charts import downsample_xy
from chaosrun.report.html import render_html

POINTS = [
    (T0, 1.0),
    (T0 + timedelta(seconds=0.1), None),
    (T0 + timedelta(seconds=2, microseconds=123_457), 3.5),
    (T0 + timedelta(hours=1, microseconds=1), 0.25),
]


def test_from_points_is_columns() -> None:
    s = Series.from_points("p", POINTS, unit="ms")
    assert s.start == T0 and s.unit == "ms"
    assert s.offsets == [0.0, 0.1, 2.123457, 3600.000001]
    assert s.values == [1.0, None, 3.5, 0.25]
    assert s.points == POINTS
    assert Series(name="p", unit="ms", points=POINTS) == s  # the keyword builds the same
    assert Series(name="empty").points == [] and Series(name="e", points=[]).start is None


def test_round_trip_through_a_journal_file(tmp_path: Path) -> None:
    j = deviated_journal()
    j.chaosrun.series.append(Series.from_points("exact", POINTS))
    path = tmp_path / "j.json"
    path.write_text(j.to_json(), encoding="utf-8")
    raw = json.loads(path.read_text(encoding="utf-8"))
    stored = raw["chaosrun"]["series"][-1]
    assert set(stored) == {"name", "unit", "start", "offsets", "values"}
    back = Journal.from_file(str(path))
    assert back == j
    assert back.chaosrun.series[-1].points == POINTS  # to the microsecond, gaps kept


def test_journal_with_old_points_still_loads(tmp_path: Path) -> None:
    j = deviated_journal()
    raw = json.loads(j.to_json())
    for s, model in zip(raw["chaosrun"]["series"], j.chaosrun.series, strict=True):
        for key in ("start", "offsets", "values"):
            del s[key]
        s["points"] = [[at.isoformat().replace("+00:00", "Z"), v] for at, v in model.points]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    old = Journal.from_file(str(path))
    assert old.chaosrun.series == j.chaosrun.series
    assert render_html(old) == render_html(j)


def test_inconsistent_series_are_rejected() -> None:
    with pytest.raises(ValidationError, match="2 offsets but 1 values"):
        Series(name="s", start=T0, offsets=[0.0, 1.0], values=[1.0])
    with pytest.raises(ValidationError, match="need a start"):
        Series(name="s", offsets=[0.0], values=[1.0])
    with pytest.raises(ValidationError, match="not both"):
        Series(name="s", points=POINTS, values=[1.0])
    with pytest.raises(ValidationError, match="valid number"):
        Series(name="s", points=[["2026-11-28T09:00:00Z", "many"]])
    with pytest.raises(ValidationError, match="datetime"):
        Series(name="s", points=[["yesterday", 1.0]])
    mixed = Series(name="s", points=[["2026-11-28T10:00:00+01:00", 1], [T0, "2.5"]])
    assert mixed.offsets == [0.0, 0.0] and mixed.values == [1.0, 2.5]


def test_extend_rebases_onto_the_first_start() -> None:
    a = Series.from_points("s", [(T0 + timedelta(seconds=5), 1.0)])
    a.extend(Series.from_points("s", [(T0 + timedelta(seconds=7.5), 2.0), (T0, 0.5)]))
    assert a.offsets == [0.0, 2.5, -5.0] and a.values == [1.0, 2.0, 0.5]
    assert a.points == [
        (T0 + timedelta(seconds=5), 1.0),
        (T0 + timedelta(seconds=7.5), 2.0),
        (T0, 0.5),
    ]
    empty = Series(name="s")
    empty.extend(a)
    assert empty.points == a.points
    a.extend(Series(name="s"))  # nothing to add
    assert len(a.values) == 3


def test_run_state_merges_repeated_outputs_without_sharing_lists() -> None:
    state = RunState()
    one = Series.from_points("level", [(T0, 1.0)])
    state.add_output([one], [])
    state.add_output([Series.from_points("level", [(T0 + timedelta(seconds=1), 2.0)])], [])
    [merged] = state.series
    assert merged.points == [(T0, 1.0), (T0 + timedelta(seconds=1), 2.0)]
    assert one.values == [1.0]  # the probe's own output is untouched


def _traffic(buckets: list[TrafficBucket]) -> TrafficOutput:
    figures = ("duration_s", "target_rate", "achieved_rate", "success_ratio", "availability_pct")
    latencies = ("p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms")
    return TrafficOutput(
        session="s1",
        started=T0,
        ended=T0 + timedelta(seconds=1),
        **dict.fromkeys(figures + latencies, 1.0),
        **dict.fromkeys(("requests", "successes", "errors"), 1),
        **{key: {} for key in ("by_status", "errors_by_status", "by_region")},
        bucket_ms=100,
        buckets=buckets,
        acknowledged_writes=[],
    )


def test_traffic_series_share_one_time_column() -> None:
    buckets = [
        TrafficBucket(start=T0 + timedelta(milliseconds=100 * i), requests=r, successes=ok)
        for i, (r, ok) in enumerate([(2, 2), (0, 0), (1, 0)])
    ]
    buckets[0].p99_ms = 4.0
    out = {s.name: s for s in _traffic(buckets).series()}
    ratio = out["traffic s1 success ratio"]
    assert ratio.start == T0 and ratio.offsets == [0.0, 0.1, 0.2]
    assert ratio.values == [1.0, None, 0.0]
    assert out["traffic s1 requests"].values == [2.0, 0.0, 1.0]
    assert out["traffic s1 p99"].values == [4.0, None, None]
    assert all(s.offsets is not ratio.offsets for n, s in out.items() if n != ratio.name)
    assert _traffic([]).series()[0].values == []


def test_cloudwatch_series_from_unordered_datapoints() -> None:
    at = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    out = MetricStatisticOutput(
        namespace="AWS/Lambda",
        metric_name="Errors",
        statistic="Sum",
        value=3.0,
        datapoints=[
            Datapoint(timestamp=at + timedelta(minutes=1), value=2.0),
            Datapoint(timestamp=at, value=1.0),
        ],
        window_start=at,
        window_end=at + timedelta(minutes=2),
    )
    [s] = out.series()
    assert s.name == "AWS/Lambda Errors Sum" and s.start == at
    assert s.offsets == [60.0, 0.0] and s.values == [2.0, 1.0]


def test_downsample_columns_sorts_and_keeps_extremes() -> None:
    xs = [float(i) for i in range(5000)]
    ys: list[float | None] = [float(i % 10) for i in range(5000)]
    ys[2500] = -7.0
    ys[100:400] = [None] * 300  # a gap wider than a bucket
    ys[3001] = float("nan")  # a NaN inside a bucket is left out, not a break
    xs.reverse()
    ys.reverse()
    segments = downsample_xy(xs, ys, max_points=200)
    assert len(segments) == 2
    flat = [p for seg in segments for p in seg]
    assert [p[0] for p in flat] == sorted(p[0] for p in flat)
    assert min(v for _, v in flat if v is not None) == -7.0
    assert max(v for _, v in flat if v is not None) == 9.0
    assert len(flat) <= 210
    assert all(v == v for _, v in flat)


def test_old_points_mixing_timezones_are_a_validation_error() -> None:
    """report/index skip unreadable journals on ValueError; a bare TypeError would escape."""
    import pytest
    from pydantic import ValidationError

    from chaosrun.journal.model import Series

    points = [["2026-01-01T00:00:00Z", 1.0], ["2026-01-01T00:00:01", 2.0]]
    with pytest.raises(ValidationError, match="unreadable points"):
        Series.model_validate({"name": "mixed", "points": points})
