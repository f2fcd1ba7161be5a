"""Default factories for pydantic fields on a run's start-up path.

``Field(default_factory=list)`` makes pydantic read the builtin's signature from its text form
(``inspect.signature``, which compiles tokenize's regexes on first use): ~3 ms of every run for
the ~20 fields of the experiment, journal and ledger models. Python functions are read directly.
"""

from typing import Any


def empty_list() -> list[Any]:
    """A new empty list."""
    return []


def empty_dict() -> dict[str, Any]:
    """A new empty dict."""
    return {}
