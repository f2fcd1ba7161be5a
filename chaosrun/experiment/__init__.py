"""Loading and validating experiment files (Chaos Toolkit format plus our ``chaosrun`` block)."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaosrun.experiment.loader import (
        LoadedExperiment,
        load_experiment,
        parse_variables,
        validate_file,
        validate_files,
    )

__all__ = [
    "LoadedExperiment",
    "load_experiment",
    "parse_variables",
    "validate_file",
    "validate_files",
]


def __getattr__(name: str) -> Any:
    # lazy, so importing chaosrun.experiment.extensions stays light and cycle-free
    if name in __all__:
        from chaosrun.experiment import loader

        return getattr(loader, name)
    raise AttributeError(name)
