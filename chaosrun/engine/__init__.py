"""The engine: run semantics chaosrun owns (phases, monitoring, timeouts, signals, restore).

Public interface: :class:`Runner`, :class:`RunOptions`, :func:`run_experiment`.
"""

# first: chaoslib's HTTP provider (requests) is imported only when a run uses it
from chaosrun.engine import lazy_http  # noqa: F401
from chaosrun.engine.options import RunOptions
from chaosrun.engine.runner import Runner, run_experiment, settings_from

__all__ = ["RunOptions", "Runner", "run_experiment", "settings_from"]
