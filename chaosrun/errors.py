"""Exception tree.

Every error chaosrun raises on purpose derives from :class:`ChaosrunError`; the CLI maps the
branches to exit codes. Messages say what went wrong *and* what to do next.
"""

from __future__ import annotations

from typing import Any


class ChaosrunError(Exception):
    """Base of every error chaosrun raises deliberately."""


class InvalidInput(ChaosrunError):
    """The experiment, plan or parameters are invalid. Nothing was changed in AWS (exit 2)."""


class ValidationIssue:
    """One problem in an input file, located by file, line and field path."""

    __slots__ = ("field", "file", "line", "message")

    def __init__(self, file: str, line: int | None, field: str, message: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ExperimentInvalid(InvalidInput):
    """An input file failed validation; carries every issue found, not only the first."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class UnknownPlugin(InvalidInput):
    """A fault or probe name that is not registered."""


class InvalidParameters(InvalidInput):
    """A fault's or probe's arguments do not match its parameter model.

    ``errors``: pydantic's errors, one per field, when the model raised them (to locate each)."""

    def __init__(self, message: str, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class SafetyViolation(ChaosrunError):
    """A safety setting (allowed accounts, max targets, regions) forbids the run."""


class FaultConflict(ChaosrunError):
    """A target is already impaired by another unfinished run; refusing to fault it twice."""


class NoTargets(ChaosrunError):
    """Target selection matched nothing."""


class RestoreIncomplete(ChaosrunError):
    """Some changes could not be restored, or drifted; something may still be impaired (exit 4)."""


class LedgerError(ChaosrunError):
    """The on-disk ledger could not be read or written."""


class ProbeFailed(ChaosrunError):
    """A probe could not observe what it was asked to wait for (its activity fails)."""


class ActivityTimeout(ChaosrunError):
    """An activity exceeded its ``timeout``."""


class RunAborted(ChaosrunError):
    """The run was interrupted (signal, stop condition or caller) and restored."""


class SandboxError(ChaosrunError):
    """The local sandbox could not start or deploy its application."""
