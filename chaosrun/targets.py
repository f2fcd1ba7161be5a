"""Value types shared by faults, the ledger and the journal.

A leaf module (it imports nothing from chaosrun) so the journal model can use them without
importing the fault plugins.
"""

# Annotations stay eager (no `from __future__ import annotations`): pydantic would compile
# and evaluate every string annotation at import, ~5 ms of each run's start-up.
import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Target(BaseModel):
    """One AWS resource a fault acts on."""

    model_config = ConfigDict(frozen=True)

    arn: str
    name: str
    region: str
    kind: str = Field(description="resource type, e.g. lambda:function or iam:role")

    def __str__(self) -> str:
        return f"{self.kind} {self.name} ({self.region})"


class RestoreStatus(enum.StrEnum):
    RESTORED = "restored"  # the snapshot was written back
    ALREADY = "already"  # the resource already matched the snapshot: nothing to do
    DRIFT = "drift"  # changed by someone else since injection: left alone, reported
    FAILED = "failed"  # the restore call failed
    GONE = "gone"  # the resource no longer exists
    ACCEPTED = "accepted"  # drift a person checked and accepted (rollback --accept-drift)


class RestoreResult(BaseModel):
    status: RestoreStatus
    detail: str = ""
    current: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status in (RestoreStatus.RESTORED, RestoreStatus.ALREADY)
