"""Server-side chart geometry for the reports (rendered as inline SVG by the templates).

Series are down-sampled by min/max bucketing: each of at most ``max_points / 2`` time buckets
keeps its lowest and highest sample in time order, so spikes and dips survive while a 10 Hz,
one-hour series becomes ~1,000 points. ``None`` samples break the line (a gap).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

from chaosrun.journal.model import Journal, Series
from chaosrun.report.common import (
    activity_name,
    numeric,
    tolerance_of,
    tolerance_range,
)

MAX_POINTS = 1000
WIDTH = 960
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 12, 34

#: (colour, dash pattern): lines differ by dash as well as colour
STYLES = [
    ("#1f5fbf", ""),
    ("#b3261e", "7 4"),
    ("#6b4fbb", "2 3"),
    ("#1b7a3a", "10 3 2 3"),
    ("#a15c00", "4 2"),
    ("#00718f", "1 2"),
]

Point = tuple[float, float | None]


def downsample(points: Sequence[Point], max_points: int = MAX_POINTS) -> list[list[Point]]:
    """Split into gap-free segments and min/max-bucket them to about ``max_points`` in total."""
    return downsample_xy([p[0] for p in points], [p[1] for p in points], max_points)


def downsample_xy(
    xs: Sequence[float], ys: Sequence[float | None], max_points: int = MAX_POINTS
) -> list[list[Point]]:
    """:func:`downsample` of a series given by column: sample ``i`` is ``(xs[i], ys[i])``.

    Each time bucket is one slice of the (time-ordered) columns, found by bisection; its lowest
    and highest value come from the C-level ``sum``/``min``/``max`` of the slice, so a
    36,000-sample series costs about 3 ms. Only a bucket holding ``None`` (or NaN) samples takes
    the slow path; one holding nothing else breaks the line (a gap wider than a bucket).
    """
    if sorted(xs) != list(xs):  # timsort checks an ordered list in one C-level pass
        order = sorted(range(len(xs)), key=xs.__getitem__)
        xs, ys = [xs[i] for i in order], [ys[i] for i in order]
    n = len(xs)
    if n <= max_points:
        return _segments(list(zip(xs, ys, strict=True)))
    t0, t1 = xs[0], xs[-1]
    span = (t1 - t0) or 1.0
    buckets = max(1, max_points // 2)
    edges = [bisect_left(xs, t0 + span * i / buckets) for i in range(buckets)] + [n]
    out: list[Point] = []
    isnan = math.isnan
    for a, b in pairwise(edges):
        if a >= b:
            continue
        part = ys[a:b]
        try:
            clean = not isnan(sum(part))  # type: ignore[arg-type]
        except TypeError:  # a None in the bucket
            clean = False
        if not clean:
            numbered = [(v, k) for k, v in enumerate(part, a) if v is not None and v == v]
            if not numbered:
                out.append((xs[a], None))
                continue
            lo_k, hi_k = min(numbered)[1], max(numbered)[1]
        else:
            lo_k = a + part.index(min(part))  # type: ignore[type-var]
            hi_k = a + part.index(max(part))  # type: ignore[type-var]
        if lo_k > hi_k:
            lo_k, hi_k = hi_k, lo_k
        out.append((xs[lo_k], ys[lo_k]))
        if hi_k != lo_k:
            out.append((xs[hi_k], ys[hi_k]))
    return _segments(out)


def _segments(points: Sequence[Point]) -> list[list[Point]]:
    segments: list[list[Point]] = [[]]
    for p in points:
        if p[1] is None or (isinstance(p[1], float) and math.isnan(p[1])):
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(p)
    return [s for s in segments if s]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 0.5:
        ticks.append(round(v, 10))
        v += step
    return ticks


def fmt_number(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v / 1000:.3g}k"
    return f"{v:.3g}"


def fmt_elapsed(seconds: float) -> str:
    seconds = round(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"+{h}:{m:02d}:{s:02d}" if h else f"+{m}:{s:02d}"


@dataclass
class Line:
    name: str
    colour: str
    dash: str
    paths: list[str]
    samples: int
    shown: int
    last: float | None


@dataclass
class Band:
    x: float
    width: float
    label: str


@dataclass
class Tick:
    pos: float
    label: str


@dataclass
class Chart:
    """Everything a template needs to draw one chart; coordinates are in the viewBox."""

    id: str
    title: str
    description: str
    unit: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    lines: list[Line] = field(default_factory=list)
    faults: list[Band] = field(default_factory=list)
    tolerance: Band | None = None  # vertical band: x = y-top, width = height
    deviation_x: float | None = None
    failures: list[float] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)


class _Frame:
    def __init__(self, start: datetime, end: datetime) -> None:
        self.start = start
        self.span = max((end - start).total_seconds(), 1e-3)

    def secs(self, at: datetime) -> float:
        return (at - self.start).total_seconds()

    def x(self, seconds: float) -> float:
        frac = min(1.0, max(0.0, seconds / self.span))
        return LEFT + frac * (WIDTH - RIGHT - LEFT)


def _fault_windows(journal: Journal, frame: _Frame) -> list[Band]:
    bands = []
    for fault in journal.chaosrun.faults:
        injected = [t.injected_at for t in fault.targets if t.injected_at]
        if not injected:
            continue
        restored = [t.restored_at for t in fault.targets if t.restored_at]
        x0 = frame.x(frame.secs(min(injected)))
        end = max(restored) if restored else (fault.ended or journal.end)
        x1 = frame.x(frame.secs(end))
        bands.append(Band(x0, max(1.5, x1 - x0), f"{fault.activity}: inject \u2192 restore"))
    return bands


def _build(
    chart_id: str,
    title: str,
    unit: str,
    named: list[tuple[str, Sequence[float], Sequence[float | None], float]],
    journal: Journal,
    frame: _Frame,
    tolerance: tuple[float, float] | None = None,
    failures: list[float] | None = None,
) -> Chart | None:
    lines_data = []
    lo, hi = math.inf, -math.inf
    for name, xs, ys, shift in named:
        segments = downsample_xy(xs, ys)
        values = [v for seg in segments for _, v in seg if v is not None]
        if not values:
            continue
        lo, hi = min(lo, *values), max(hi, *values)
        last = next((v for v in reversed(ys) if v is not None), None)
        lines_data.append((name, segments, shift, len(xs), sum(len(s) for s in segments), last))
    if not lines_data:
        return None
    if tolerance:
        lo, hi = min(lo, tolerance[0]), max(hi, tolerance[1])
    if unit == "ratio":
        lo, hi = min(lo, 0.0), max(hi, 1.0)
    if lo > 0 and lo < (hi - lo):
        lo = 0.0
    ticks = nice_ticks(lo, hi)
    y_lo, y_hi = ticks[0], ticks[-1]
    plot_h = (HEIGHT - BOTTOM) - TOP

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - y_lo) / ((y_hi - y_lo) or 1.0))

    chart = Chart(id=chart_id, title=title, unit=unit, description="")
    for i, (name, segments, shift, n, shown, last) in enumerate(lines_data):
        colour, dash = STYLES[i % len(STYLES)]
        paths = [_path(seg, shift, frame, y_lo, y_hi) for seg in segments]
        chart.lines.append(Line(name, colour, dash, paths, n, shown, last))
    chart.y_ticks = [Tick(y(v), fmt_number(v)) for v in ticks]
    step = nice_ticks(0, frame.span, 6)
    chart.x_ticks = [Tick(frame.x(s), fmt_elapsed(s)) for s in step if s <= frame.span + 1e-6]
    chart.faults = _fault_windows(journal, frame)
    if journal.chaosrun.deviated_at:
        chart.deviation_x = frame.x(frame.secs(journal.chaosrun.deviated_at))
    if tolerance:
        top, bottom = y(tolerance[1]), y(tolerance[0])
        chart.tolerance = Band(top, bottom - top, f"tolerance {tolerance[0]:g} to {tolerance[1]:g}")
    chart.failures = failures or []
    names = ", ".join(f"{ln.name} (last {fmt_number(ln.last or 0)} {unit})" for ln in chart.lines)
    chart.description = (
        f"{title}: {names}. Time axis from the run start ({frame.span:.0f} s). "
        f"{len(chart.faults)} fault window(s) shaded"
        + (", deviation marked with a vertical line." if chart.deviation_x is not None else ".")
    )
    return chart


def _path(seg: list[Point], shift: float, frame: _Frame, y_lo: float, y_hi: float) -> str:
    """An SVG path through ``seg`` (``(seconds - shift, value)`` points, in time order).

    :meth:`_Frame.x` and ``_build``'s ``y`` inline, term for term (the same floating-point
    results): a one-hour run draws ~10,000 points, and two calls per point were a fifth of the
    render."""
    plot_w, plot_h = WIDTH - RIGHT - LEFT, (HEIGHT - BOTTOM) - TOP
    span = frame.span
    d = (y_hi - y_lo) or 1.0
    if seg[0][0] + shift >= 0.0 and seg[-1][0] + shift <= span:  # inside the frame: no clamp
        pts = [
            f"{LEFT + (t + shift) / span * plot_w:.1f},{TOP + plot_h * (1 - (v - y_lo) / d):.1f}"  # type: ignore[operator]
            for t, v in seg
        ]
    else:
        pts = [
            f"{frame.x(t + shift):.1f},{TOP + plot_h * (1 - (v - y_lo) / d):.1f}"  # type: ignore[operator]
            for t, v in seg
        ]
    return "M" + " L".join(pts)


def _series_columns(
    series: Series, frame: _Frame
) -> tuple[str, Sequence[float], Sequence[float | None], float]:
    """``(name, offsets, values, shift)`` of a series: sample ``i`` is ``offsets[i] + shift``
    seconds after the run start (the shift is added to the points drawn, not to every offset)."""
    if series.start is None:
        return series.name, [], [], 0.0
    return series.name, series.offsets, series.values, frame.secs(series.start)


def timeline_charts(journal: Journal) -> list[Chart]:
    """Traffic series grouped by unit, then one chart per probe with numeric outputs."""
    frame = _Frame(journal.start, journal.end)
    charts: list[Chart] = []
    by_unit: dict[str, list[Series]] = {}
    for s in journal.chaosrun.series:
        by_unit.setdefault(s.unit, []).append(s)
    for n, (unit, group) in enumerate(by_unit.items()):
        title = {
            "ratio": "Success ratio",
            "ms": "Latency (ms)",
        }.get(unit, f"Series ({unit})" if unit else "Series")
        chart = _build(
            f"series-{n}",
            title,
            unit,
            [_series_columns(s, frame) for s in group],
            journal,
            frame,
        )
        if chart:
            charts.append(chart)

    # per probe: the check times and numeric outputs (non-numeric ones are not plotted)
    probes: dict[str, tuple[list[float], list[float | None]]] = {}
    fails: dict[str, list[float]] = {}
    tolerances: dict[str, object] = {}
    checks = [journal.steady_states.before, *journal.steady_states.during]
    checks.append(journal.steady_states.after)
    for chk in checks:
        if chk is None:
            continue
        at = frame.secs(chk.at)
        for run in chk.probes:
            name = run.activity.get("name")
            if type(name) is not str or not name:  # activity_name's common case, inline
                name = activity_name(run)
            if name not in probes:
                probes[name] = ([], [])
                tolerances[name] = tolerance_of(run)
            out = run.output
            value = out if type(out) is float else numeric(out)  # the common case, inline
            if value is not None:
                xs, ys = probes[name]
                xs.append(at)
                ys.append(value)
            if run.tolerance_met is False or run.status != "succeeded":
                fails.setdefault(name, []).append(frame.x(at))
    for n, (name, (xs, ys)) in enumerate(probes.items()):
        if not ys:
            continue
        chart = _build(
            f"probe-{n}",
            f"Probe {name}",
            "",
            [(name, xs, ys, 0.0)],
            journal,
            frame,
            tolerance=tolerance_range(tolerances.get(name)),
            failures=_thin(fails.get(name, [])),
        )
        if chart:
            charts.append(chart)
    return charts


def _thin(xs: list[float]) -> list[float]:
    """At most one failure marker per horizontal pixel."""
    return sorted({round(x) for x in xs})


@dataclass
class Spark:
    """A sparkline of runs: bar height = duration, bar style = verdict."""

    width: int
    height: int
    bars: list[tuple[float, float, float, str, str]]  # x, y, h, css class, title


def sparkline(runs: list[tuple[str, float, str]], width: int = 160, height: int = 28) -> Spark:
    """``runs`` = (verdict css class, duration, title) in time order (last 40 kept)."""
    runs = runs[-40:]
    longest = max((d for _, d, _ in runs), default=1.0) or 1.0
    bw = width / max(len(runs), 1)
    bars = []
    for i, (css, dur, title) in enumerate(runs):
        h = max(3.0, (height - 2) * dur / longest)
        bars.append((i * bw + 0.5, height - h, h, css, title))
    return Spark(width, height, bars)
