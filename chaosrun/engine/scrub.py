"""Keep secrets out of the journal.

Every loaded secret value (experiment ``secrets``, ``--var-file`` secrets, and configuration
entries declared ``{type: env, key: ..., secret: true}``) is replaced by ``***`` wherever it occurs
in the journal: outputs, arguments, exception texts, events, errors and the experiment copy,
and in log records of the engine and of chaoslib while a run is going (CI logs are read by many).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

MASK = "***"
#: shorter values would mask unrelated text everywhere; they are still masked as whole strings
MIN_SUBSTRING = 4


def _leaves(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list | tuple | set):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, str | int | float | bytes):
        text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        if text:
            yield text


class Scrubber:
    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: Any) -> None:
        """Register every scalar inside ``value`` as secret."""
        self._values.update(_leaves(value))

    @property
    def empty(self) -> bool:
        return not self._values

    def text(self, text: str) -> str:
        if not self._values:
            return text
        if text in self._values:
            return MASK
        # longest first, so a secret containing another is masked whole
        for secret in sorted(self._values, key=len, reverse=True):
            if len(secret) >= MIN_SUBSTRING and secret in text:
                text = text.replace(secret, MASK)
        return text

    def __call__(self, data: Any, keep: frozenset[str] = frozenset()) -> Any:
        """A copy of ``data`` (JSON-like) with every secret masked, in keys and values.

        Values under a key in ``keep`` (timestamps) are left as they are.
        """
        if isinstance(data, dict):
            return {
                (self.text(k) if isinstance(k, str) else k): (v if k in keep else self(v, keep))
                for k, v in data.items()
            }
        if isinstance(data, list):
            return [self(v, keep) for v in data]
        if isinstance(data, tuple):
            return tuple(self(v, keep) for v in data)
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, int | float) and not isinstance(data, bool):
            return MASK if str(data) in self._values and len(str(data)) >= MIN_SUBSTRING else data
        return data


#: loggers whose records can carry activity arguments, outputs or error texts while a run goes:
#: chaoslib's (it logs provider arguments and results at debug), the engine's, the faults' runtime
#: and the alert sinks' (they quote run messages)
SCRUBBED_LOGGERS = (
    "chaostoolkit",
    "chaosrun.engine.runner",
    "chaosrun.engine.hypothesis",
    "chaosrun.engine.activities",
    "chaosrun.engine.process_provider",
    "chaosrun.engine.restore",
    "chaosrun.engine.dynamic",
    "chaosrun.engine.alerting",
    "chaosrun.faults.runtime",
    "chaosrun.alerts.dispatch",
    "chaosrun.alerts.sinks",
)


class ScrubFilter(logging.Filter):
    """Masks secrets in a record's message and traceback before any handler formats it."""

    def __init__(self, scrubber: Scrubber) -> None:
        super().__init__()
        self.scrubber = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        if self.scrubber.empty:
            return True
        record.msg = self.scrubber.text(record.getMessage())
        record.args = ()
        if record.exc_info:  # handlers format exc_text when there is no exc_info any more
            record.exc_text = record.exc_text or logging.Formatter().formatException(
                record.exc_info
            )
            record.exc_info = None
        if record.exc_text:  # also when an earlier run's filter formatted it
            record.exc_text = self.scrubber.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrubber.text(record.stack_info)
        return True


@contextmanager
def scrubbed_logs(scrubber: Scrubber, names: Iterable[str] = SCRUBBED_LOGGERS) -> Iterator[None]:
    """Scrub records of the ``names`` loggers (not their children: list each) while inside."""
    loggers = [logging.getLogger(name) for name in names]
    flt = ScrubFilter(scrubber)
    for one in loggers:
        one.addFilter(flt)
    try:
        yield
    finally:
        for one in loggers:
            one.removeFilter(flt)
