"""Problems the run finds in the experiment before anything changes, worded as ``chaosrun
validate`` words them (``file:line: field: message``) when the caller knows where each field is
in the file (:attr:`RunOptions.locate`, the CLI passes the loader's). Without it, as the Python
API has always said them: ``method[0] (name): message``.

Some problems only show at run time: ``${...}`` values are substituted then, and chaoslib's
activity checks run then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

from chaosrun.errors import InvalidParameters, ValidationIssue
from chaosrun.experiment.source import FieldPath, LineMap, Location, format_path
from chaosrun.experiment.validate import issues_from_errors

#: ``(file, line)`` of a field path such as ``("method", 0, "provider", "arguments", "x")``
Locate = Callable[[tuple[str | int, ...]], tuple[str, int | None]]


class ArgumentsInvalid(InvalidParameters):
    """A plugin's arguments, as substituted, fail its parameter model."""

    def __init__(
        self,
        cause: InvalidParameters,
        owner: str,
        model: type[BaseModel],
        arguments: dict[str, Any],
    ) -> None:
        super().__init__(str(cause), cause.errors)
        self.owner = owner
        self.model = model
        self.arguments = arguments


class _Lines(LineMap):
    """The loader's :class:`LineMap` interface over a ``locate`` callable."""

    def __init__(self, locate: Locate) -> None:
        super().__init__(file="")
        self._locate = locate

    def locate(self, path: Iterable[str | int]) -> Location:
        return Location(*self._locate(tuple(path)))


class Problems:
    """Every problem found, in order, each once (an activity and a ``ref`` to it fail alike)."""

    def __init__(self, locate: Locate | None) -> None:
        self._locate = locate
        self.found: list[str] = []

    def add(self, path: FieldPath, name: str | None, message: str) -> None:
        """A problem of the activity (or field) at ``path``, located at its line."""
        field = f"{format_path(path)} ({name})" if name else format_path(path)
        if self._locate is None:
            self._append(f"{field}: {message}")
        else:
            self._append(str(ValidationIssue(*self._locate(path), field, message)))

    def arguments(self, path: FieldPath, name: str | None, exc: ArgumentsInvalid) -> None:
        """Invalid plugin arguments of the activity at ``path``: one problem per argument, at
        the argument's line, when the lines are known."""
        errors = exc.errors if self._locate is not None else []
        if self._locate is None or not errors:
            self.add(path, name, str(exc))
            return
        prefix = (*path, "provider", "arguments")
        lines = _Lines(self._locate)
        for issue in issues_from_errors(
            errors, exc.arguments, lines, exc.model, prefix, what="argument"
        ):
            issue.message = f"{issue.message} ({exc.owner})"
            self._append(str(issue))

    def _append(self, text: str) -> None:
        if text not in self.found:
            self.found.append(text)
