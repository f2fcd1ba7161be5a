"""Options of one run (everything that is not in the experiment file)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chaosrun.faults.runtime import FAULT_GRACE_S

if TYPE_CHECKING:
    from chaosrun.alerts.config import AlertSettings


@dataclass
class RunOptions:
    #: resolve targets and plan changes; change nothing, run no probes or custom actions
    dry_run: bool = False
    #: configuration overrides (``--var k=v``, ``configuration:`` of ``--var-file``)
    variables: dict[str, Any] = field(default_factory=dict)
    #: secret overrides (``secrets:`` of ``--var-file``), scrubbed from the journal like secrets
    secret_variables: dict[str, Any] = field(default_factory=dict)
    #: configuration keys the experiment file declares ``secret: true``
    #: (:attr:`LoadedExperiment.secret_config_keys`): masked also when a variable replaced them
    secret_config_keys: tuple[str, ...] = ()
    #: ``(file, line)`` of a field path of the experiment (:meth:`LoadedExperiment.locate`):
    #: problems found when the run starts (after ``${...}`` substitution) then name their line
    locate: Callable[[tuple[str | int, ...]], tuple[str, int | None]] | None = None
    #: path of the experiment, recorded in the journal and the ledger
    experiment_file: str | None = None
    #: use this run id instead of a fresh one
    run_id: str | None = None
    #: the run targets the local sandbox (recorded in the journal's environment)
    sandbox: bool = False
    #: install SIGINT/SIGTERM handlers (only effective in the main thread)
    handle_signals: bool = True
    #: seconds to wait for in-flight fault calls to return before restoring after an abort
    fault_grace: float = FAULT_GRACE_S
    #: alert sinks from a settings file (``--alerts``), added to the experiment's own
    alert_settings: AlertSettings | None = None
