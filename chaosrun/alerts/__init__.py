"""Incident alerts for chaos runs: Opsgenie, Jira Service Management Ops, PagerDuty Events v2,
Slack incoming webhooks, Amazon EventBridge and signed generic webhooks.

- :mod:`chaosrun.alerts.config` -- sink configuration models and settings-file loading;
- :mod:`chaosrun.alerts.events` -- which alert events a journal implies, and their content;
- :mod:`chaosrun.alerts.sinks` -- one sender per service, with retries;
- :mod:`chaosrun.alerts.dispatch` -- :class:`AlertDispatcher`, a non-blocking background sender.
"""

import os
from pathlib import Path


def default_settings_path() -> Path:
    """``$CHAOSRUN_HOME/alerts.yaml`` (``~/.chaosrun/alerts.yaml``); here, not in
    :mod:`chaosrun.alerts.config`, so a run can look for it without importing the sink models."""
    home = os.environ.get("CHAOSRUN_HOME")
    return (Path(home) if home else Path.home() / ".chaosrun") / "alerts.yaml"
