"""A log-linear latency histogram (HDR style) with a bounded relative error.

Values are integers (the traffic generator records microseconds). Values below 256 have a bucket
each; above, every power of two ``[2^k, 2^(k+1))`` is split into 128 equal sub-buckets, so a
bucket's width is at most 1/128 of its lower bound. A percentile is reported as the middle of the
bucket holding the nearest-rank sample, hence

    |reported - true| <= true / 256    (0.4 %, inside the 1 % bound we promise)

Memory is sparse (a dict of non-empty buckets), histograms merge by adding counts, and the
compact ``to_dict`` form is what generator workers (threads, Lambda fan-out) ship back.

Standard library only: this module is also shipped inside the Lambda traffic worker package.
"""

from __future__ import annotations

import math
from typing import Any

SUB_BITS = 7  # 128 sub-buckets per power of two
_LINEAR_LIMIT = 1 << (SUB_BITS + 1)  # 256: below this every value has its own bucket
#: bound on |reported - true| / true for any percentile
RELATIVE_ERROR = 1 / (1 << (SUB_BITS + 1))


def bucket_index(value: int) -> int:
    if value < _LINEAR_LIMIT:
        return max(value, 0)
    shift = value.bit_length() - (SUB_BITS + 1)
    return (shift << SUB_BITS) + (value >> shift)


def bucket_bounds(index: int) -> tuple[int, int]:
    """``(lowest, highest)`` integer value falling into bucket ``index``."""
    if index < _LINEAR_LIMIT:
        return index, index
    shift = (index >> SUB_BITS) - 1
    mantissa = index - (shift << SUB_BITS)
    low = mantissa << shift
    return low, low + (1 << shift) - 1


def bucket_value(index: int) -> float:
    low, high = bucket_bounds(index)
    return (low + high) / 2


class Histogram:
    """Counts of integer values in log-linear buckets. Not thread-safe: one per writer."""

    __slots__ = ("counts", "max", "min", "sum", "total")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0
        self.sum = 0
        self.min: int | None = None
        self.max: int | None = None

    def record(self, value: int, count: int = 1) -> None:
        value = max(int(value), 0)
        index = value if value < _LINEAR_LIMIT else bucket_index(value)
        counts = self.counts
        counts[index] = counts.get(index, 0) + count
        self.total += count
        self.sum += value * count
        if self.min is None or value < self.min:
            self.min = value
        if self.max is None or value > self.max:
            self.max = value

    def merge(self, other: Histogram) -> Histogram:
        counts = self.counts
        for index, n in other.counts.items():
            counts[index] = counts.get(index, 0) + n
        self.total += other.total
        self.sum += other.sum
        if other.min is not None and (self.min is None or other.min < self.min):
            self.min = other.min
        if other.max is not None and (self.max is None or other.max > self.max):
            self.max = other.max
        return self

    def percentile(self, p: float) -> float | None:
        """Nearest-rank percentile (``p`` in 0..100); None when empty."""
        if self.total == 0:
            return None
        rank = max(1, math.ceil(p / 100 * self.total))
        seen = 0
        for index in sorted(self.counts):
            seen += self.counts[index]
            if seen >= rank:
                value = bucket_value(index)
                # never report beyond what was actually seen
                if self.max is not None and value > self.max:
                    value = float(self.max)
                if self.min is not None and value < self.min:
                    value = float(self.min)
                return value
        return float(self.max) if self.max is not None else None

    def mean(self) -> float | None:
        return self.sum / self.total if self.total else None

    def to_dict(self) -> dict[str, Any]:
        flat: list[int] = []
        for index in sorted(self.counts):
            flat += (index, self.counts[index])
        return {"c": flat, "n": self.total, "s": self.sum, "lo": self.min, "hi": self.max}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Histogram:
        h = cls()
        flat = data.get("c", [])
        h.counts = {int(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}
        h.total = int(data.get("n", sum(h.counts.values())))
        h.sum = int(data.get("s", 0))
        h.min = data.get("lo")
        h.max = data.get("hi")
        return h
