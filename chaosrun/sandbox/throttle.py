"""API Gateway's throttle, shared by stage/method settings and usage plans (and the benchmarks'
Lambda quota proxy)."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable


class TokenBucket:
    """API Gateway's throttle: ``burst`` tokens, refilled at ``rate`` per second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class TokenBuckets:
    """Token buckets by key, created full on first use and kept across requests. Put the rate
    and burst in the key: a changed limit then starts a fresh bucket, as a redeployed setting
    does."""

    def __init__(self) -> None:
        self._buckets: dict[Hashable, TokenBucket] = {}
        self._lock = threading.Lock()

    def take(self, key: Hashable, rate: float, burst: int) -> bool:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(rate, burst)
        return bucket.take()
