"""Dynamic configuration: ``configuration`` entries ``{type: probe, provider: ...}`` are run once,
after static configuration and secrets are loaded and before the steady state, and their result
replaces them for ``${...}`` substitution.

chaoslib's ``load_dynamic_configuration`` does the work, so values are what ``chaos run`` gets
(python: the return value, process: stdout stripped, http: the body). Like chaoslib, a failed
probe leaves its key unset (``${key}`` then stays as written); unlike chaoslib, which only logs at
debug, the failure is a journal error and a warning. chaoslib writes the run's secrets into the
probe's provider, so it works on a copy and the experiment in the journal keeps what was written.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from chaoslib.configuration import load_dynamic_configuration

from chaosrun.engine.state import RunState

log = logging.getLogger(__name__)


def dynamic_keys(configuration: dict[str, Any]) -> list[str]:
    return [
        key
        for key, value in configuration.items()
        if isinstance(value, dict) and value.get("type") == "probe"
    ]


def evaluate_dynamic(
    configuration: dict[str, Any],
    secrets: dict[str, Any],
    state: RunState,
    *,
    dry_run: bool = False,
) -> dict[str, Any]:
    """The configuration with its dynamic entries evaluated; outcomes go to ``state``."""
    keys = dynamic_keys(configuration)
    if not keys:
        return configuration
    if dry_run:
        state.note(f"dry run: dynamic configuration not evaluated ({', '.join(keys)})")
        return configuration
    state.event("phase", "dynamic configuration")
    loaded = load_dynamic_configuration(copy.deepcopy(configuration), copy.deepcopy(secrets))
    for key in keys:
        probe = str(configuration[key].get("name") or key)
        if key in loaded:
            # the key and where it came from, never the value: dynamic values are often tokens,
            # and nothing declares them secret, so the scrubber would not mask them
            provider = (configuration[key].get("provider") or {}).get("type", "?")
            state.note(f"configuration {key!r} set by probe {probe!r} ({provider} provider)")
            continue
        message = (
            f"dynamic configuration {key!r}: probe {probe!r} failed, so ${{{key}}} stays "
            "unresolved; run `chaosrun -vv run ...` for chaoslib's reason, then fix the probe"
        )
        log.warning("%s", message)
        state.error(message)
    return loaded
