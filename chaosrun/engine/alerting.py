"""The run's incident alerts: the engine tells on-call as things happen, never waiting on them.

Live: a deviation during the method (P3 / warning) as soon as it is seen, and a failed or
drifted restore (P1 / critical) right after the restore phase, before rollbacks. At the end,
the finished journal decides the rest (aborted, resolve/close of what recovered), and the
deliveries are recorded in the journal. Delivery runs on the dispatcher's own thread, so a slow
or failing alert service never delays restore.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chaosrun.journal.model import Journal

if TYPE_CHECKING:
    from chaosrun.alerts.config import AlertSettings, SinkConfig
    from chaosrun.alerts.dispatch import AlertDispatcher
    from chaosrun.aws.clients import AwsClients

log = logging.getLogger(__name__)

#: seconds the end of a run waits for queued deliveries before writing the journal
CLOSE_TIMEOUT = 30.0


class RunAlerts:
    """A no-op unless sinks are configured (then the alerts package is imported at all)."""

    def __init__(
        self,
        settings: AlertSettings | None,
        experiment_sinks: Sequence[SinkConfig | dict[str, Any]],
        clients: AwsClients,
        run_id: str,
        title: str,
    ) -> None:
        self.run_id = run_id
        self.title = title
        self.dispatcher: AlertDispatcher | None = None
        if (settings is not None and settings.sinks) or experiment_sinks:
            from chaosrun.alerts.config import AlertSettings
            from chaosrun.alerts.dispatch import load_dispatcher

            self.dispatcher = load_dispatcher(
                settings or AlertSettings(), list(experiment_sinks), clients
            )

    def _notify(self, condition_name: str, message: str, **context: Any) -> None:
        if self.dispatcher is None:
            return
        from chaosrun.alerts.config import Condition
        from chaosrun.alerts.events import AlertContext, AlertEvent

        ctx = AlertContext(run_id=self.run_id, title=self.title, reason=message, **context)
        self.dispatcher.notify(
            AlertEvent(condition=Condition(condition_name), message=message), ctx
        )

    def deviation(self, message: str) -> None:
        self._notify("deviation", message)

    def restore_failed(self, problems: list[str]) -> None:
        self._notify(
            "restore_failed",
            "restore incomplete: something may still be impaired",
            restore_problems=problems,
        )

    def finish(self, journal: Journal) -> None:
        if self.dispatcher is None:
            return
        try:
            self.dispatcher.notify_journal(journal)
        finally:
            journal.chaosrun.alerts.extend(self.dispatcher.close(CLOSE_TIMEOUT))
