"""Non-blocking alert delivery.

:class:`AlertDispatcher` puts every notification on a queue served by one background thread, so
the engine (and in particular restore) never waits for a slow or failing alert service. Each
delivery -- delivered, failed or skipped -- is recorded as an
:class:`~chaosrun.journal.model.AlertDelivery` for the journal.

.. code-block:: python

    dispatcher = AlertDispatcher(settings.sinks + experiment_sinks, clients,
                                 report_base_url=settings.report_base_url)
    live = AlertContext(run_id=run_id, title=title)     # or the journal so far
    dispatcher.notify(AlertEvent(condition=Condition.DEVIATION), live)
    ...
    dispatcher.notify_journal(journal)        # the events the finished run implies
    journal.chaosrun.alerts.extend(dispatcher.close(timeout=30))
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chaosrun.alerts.config import AlertSettings, Condition, SinkConfig, parse_sinks
from chaosrun.alerts.events import AlertContext, AlertEvent, events_for_journal, triggered_in
from chaosrun.alerts.sinks import Sender, Sleep
from chaosrun.aws.clients import AwsClients
from chaosrun.errors import InvalidInput
from chaosrun.journal.model import AlertDelivery, Journal

log = logging.getLogger(__name__)

_STOP = object()


class AlertDispatcher:
    """Deliver alert events to the configured sinks from a background thread."""

    def __init__(
        self,
        configs: Sequence[SinkConfig | dict[str, Any]] | AlertSettings,
        clients: AwsClients | None = None,
        *,
        report_base_url: str | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        if isinstance(configs, AlertSettings):
            report_base_url = report_base_url or configs.report_base_url
            configs = configs.sinks
        self.sinks: list[SinkConfig] = [
            parse_sinks([c])[0] if isinstance(c, dict) else c for c in configs
        ]
        self.report_base_url = report_base_url
        self._sender = Sender(clients, sleep)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._deliveries: list[AlertDelivery] = []
        self._triggered: set[Condition] = set()
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- caller side: cheap, never raises, never blocks -------------------------------------------
    @property
    def triggered(self) -> set[Condition]:
        with self._lock:
            return set(self._triggered)

    @property
    def deliveries(self) -> list[AlertDelivery]:
        with self._lock:
            return list(self._deliveries)

    def notify(self, event: AlertEvent, journal_or_partial: Journal | AlertContext) -> None:
        """Queue ``event`` for every sink that wants its condition. Returns immediately.

        A second trigger of an already-triggered condition is ignored (one alert per run and
        condition); a resolve is only sent for a triggered condition.
        """
        try:
            ctx = (
                AlertContext.from_journal(journal_or_partial, self.report_base_url)
                if isinstance(journal_or_partial, Journal)
                else journal_or_partial
            )
            if ctx.report_url is None and self.report_base_url:
                from chaosrun.report.common import report_filename

                base = self.report_base_url.rstrip("/")
                ctx = ctx.model_copy(update={"report_url": f"{base}/{report_filename(ctx.run_id)}"})
            with self._lock:
                if self._closed:
                    self._record_skip(event, "dispatcher already closed")
                    return
                if event.action == "trigger":
                    if event.condition in self._triggered:
                        return
                    self._triggered.add(event.condition)
                else:
                    if event.condition not in self._triggered:
                        return
                    self._triggered.discard(event.condition)
            if not self.sinks:
                return
            self._ensure_thread()
            self._queue.put((event, ctx))
        except Exception:  # never into the caller
            log.warning("could not queue alert %s", getattr(event, "name", event), exc_info=True)

    def notify_journal(self, journal: Journal) -> list[AlertEvent]:
        """Queue the events a finished journal implies (see ``events_for_journal``)."""
        try:
            with self._lock:
                known = self._triggered | triggered_in(journal)
                self._triggered |= known
            events = events_for_journal(journal, known)
        except Exception:
            log.warning("could not work out alert events", exc_info=True)
            return []
        for event in events:
            self.notify(event, journal)
        return events

    def close(self, timeout: float = 30.0) -> list[AlertDelivery]:
        """Wait up to ``timeout`` seconds for queued deliveries; return every delivery record.

        Deliveries still queued after the timeout are recorded as ``skipped``.
        """
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                with self._lock:
                    self._record_skip(item[0], f"not sent: close() timed out after {timeout} s")
        return self.deliveries

    # -- worker side ------------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="chaosrun-alerts", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            event, ctx = item
            for sink in self.sinks:
                if not sink.wants(event.condition):
                    continue
                delivery = self._sender.deliver(sink, event, ctx)
                if delivery.status == "failed":
                    log.warning(
                        "alert %s to %s failed: %s", event.name, sink.label, delivery.detail
                    )
                with self._lock:
                    self._deliveries.append(delivery)

    def _record_skip(self, event: AlertEvent, why: str) -> None:
        now = datetime.now(UTC)
        for sink in self.sinks:
            if sink.wants(event.condition):
                self._deliveries.append(
                    AlertDelivery(
                        sink=sink.label, event=event.name, status="skipped", at=now, detail=why
                    )
                )


def load_dispatcher(
    settings: AlertSettings,
    experiment_alerts: Sequence[SinkConfig | dict[str, Any]] = (),
    clients: AwsClients | None = None,
) -> AlertDispatcher:
    """A dispatcher for the settings file's sinks plus an experiment's ``chaosrun.alerts``."""
    try:
        extra = [parse_sinks([a])[0] if isinstance(a, dict) else a for a in experiment_alerts]
    except (ValidationError, InvalidInput) as exc:
        raise InvalidInput(f"experiment chaosrun.alerts: {exc}") from None
    return AlertDispatcher(
        [*settings.sinks, *extra], clients, report_base_url=settings.report_base_url
    )
