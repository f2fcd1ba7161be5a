"""The engine: run semantics chaosrun owns (phases, monitoring, timeouts, signals, restore).

Public interface: :class:`Runner`, :class:`RunOptions`, :func:`run_experiment`.
"""

from chaosrun.engine.options import RunOptions
from chaosrun.engine.runner import Runner, run_experiment, settings_from

__all__ = ["RunOptions", "Runner", "run_experiment", "settings_from"]
