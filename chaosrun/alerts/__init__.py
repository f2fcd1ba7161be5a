"""Incident alerts for chaos runs: Opsgenie, Jira Service Management Ops, PagerDuty Events v2,
Slack incoming webhooks, Amazon EventBridge and signed generic webhooks.

- :mod:`chaosrun.alerts.config` -- sink configuration models and settings-file loading;
- :mod:`chaosrun.alerts.events` -- which alert events a journal implies, and their content;
- :mod:`chaosrun.alerts.sinks` -- one sender per service, with retries;
- :mod:`chaosrun.alerts.dispatch` -- :class:`AlertDispatcher`, a non-blocking background sender.
"""
