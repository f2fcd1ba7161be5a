"""The log-linear histogram: percentiles within the stated relative error of raw samples."""

from __future__ import annotations

import math
import random

from chaosrun.probes.histogram import RELATIVE_ERROR, Histogram, bucket_bounds, bucket_index


def nearest_rank(values: list[int], p: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def test_bucket_layout_is_contiguous_and_narrow() -> None:
    previous_high = -1
    for index in range(0, 4000):
        low, high = bucket_bounds(index)
        assert low == previous_high + 1  # no gaps, no overlaps
        assert bucket_index(low) == index and bucket_index(high) == index
        width = high - low + 1
        assert width == 1 if index < 256 else width / low <= 1 / 128
        previous_high = high


def test_percentiles_match_raw_samples_within_bound() -> None:
    rnd = random.Random(7)
    values = [int(rnd.lognormvariate(9, 1.2)) for _ in range(50_000)]  # ~8 ms median, in us
    values += [5, 3_000_000]  # tiny and huge outliers
    h = Histogram()
    for v in values:
        h.record(v)
    for p in (1, 50, 90, 95, 99, 99.9, 100):
        exact = nearest_rank(values, p)
        got = h.percentile(p)
        assert got is not None
        assert abs(got - exact) <= exact * RELATIVE_ERROR + 0.5, (p, got, exact)
    assert RELATIVE_ERROR <= 0.01
    assert h.max == 3_000_000 and h.min == 5 and h.total == len(values)


def test_merge_and_round_trip_equal_one_histogram() -> None:
    rnd = random.Random(3)
    a, b, both = Histogram(), Histogram(), Histogram()
    for i in range(5000):
        v = rnd.randrange(1, 10**6)
        (a if i % 2 else b).record(v)
        both.record(v)
    merged = Histogram.from_dict(a.to_dict()).merge(Histogram.from_dict(b.to_dict()))
    assert merged.counts == both.counts
    assert merged.total == both.total and merged.sum == both.sum
    assert merged.percentile(99) == both.percentile(99)
    assert Histogram().percentile(50) is None
