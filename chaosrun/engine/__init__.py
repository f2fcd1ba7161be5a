"""The engine: run semantics chaosrun owns (phases, monitoring, timeouts, signals, restore).

Public interface: :class:`Runner`, :class:`RunOptions`, :func:`run_experiment`.
"""

# Import the fault runtime before the journal model: importing chaosrun.journal.model first runs
# into the faults -> runtime -> journal.model import cycle.
import chaosrun.faults.runtime  # noqa: F401  isort: skip
from chaosrun.engine.options import RunOptions
from chaosrun.engine.runner import Runner, run_experiment, settings_from

__all__ = ["RunOptions", "Runner", "run_experiment", "settings_from"]
