"""The failure-lambda configuration (the JSON kept in the SSM parameter), both formats.

failure-lambda (github.com/gunnargrosch/failure-lambda) wraps a Lambda handler and reads its
configuration from the SSM parameter named by the function's ``FAILURE_INJECTION_PARAM``
environment variable (:data:`PARAM_ENV`). Two formats exist:

- **0.x**, one mode at a time::

      {"isEnabled": true, "failureMode": "latency", "rate": 0.5,
       "minLatency": 100, "maxLatency": 400, "exceptionMsg": "...", "statusCode": 404,
       "diskSpace": 100, "denylist": ["s3.*.amazonaws.com"]}

  ``rate`` is a probability in [0, 1]; the 0.x library compares ``Math.random() < rate``, so a
  missing rate never fires (kept here as rate 0).

- **1.x**, one feature flag per mode, several may be active::

      {"latency": {"enabled": true, "percentage": 50, "min_latency": 100, "max_latency": 400},
       "exception": {"enabled": false, "exception_msg": "..."},
       "statuscode": {"enabled": false, "status_code": 404},
       "diskspace": {"enabled": false, "disk_space": 100},
       "denylist": {"enabled": false, "deny_list": ["s3.*.amazonaws.com"]},
       "timeout": {"enabled": false, "timeout_buffer_ms": 500},
       "corruption": {"enabled": false, "body": "..."}}

  ``percentage`` is an integer 0-100, default 100. Each flag may carry ``match`` conditions.

:meth:`FailureConfig.parse` normalises both to one model: ``enabled`` is the master switch and
each *present* section is a mode that fires (with its own ``rate`` in [0, 1]) while ``enabled``
is true. Flags a 1.x document lists as disabled are dropped: they have no effect. Which modes
fire is :meth:`FailureConfig.active_modes`. :meth:`FailureConfig.to_json` writes either format.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: the function environment variable naming the SSM parameter (failure-lambda's convention)
PARAM_ENV = "FAILURE_INJECTION_PARAM"
#: the environment variable that makes the failure-lambda layer wrap the runtime
EXEC_WRAPPER_ENV = "AWS_LAMBDA_EXEC_WRAPPER"
#: the wrapper script the failure-lambda layer installs
LAYER_WRAPPER = "/opt/failure-lambda-wrapper"

Mode = Literal[
    "latency", "exception", "statuscode", "denylist", "diskspace", "timeout", "corruption"
]
#: the modes, in failure-lambda 1.x injection order (pre-handler first, corruption last)
MODES: tuple[Mode, ...] = (
    "latency",
    "timeout",
    "diskspace",
    "denylist",
    "statuscode",
    "exception",
    "corruption",
)
#: the modes the 0.x format knows
MODES_0X: tuple[Mode, ...] = ("latency", "exception", "statuscode", "diskspace", "denylist")

Number = int | float


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MatchCondition(_Model):
    """1.x event-based targeting: ``path`` into the event, ``operator`` (default eq)."""

    path: str
    operator: Literal["eq", "exists", "startsWith", "regex"] | None = None
    value: str | None = None


class _Failure(_Model):
    rate: float = Field(default=1.0, ge=0, le=1, description="probability per invocation, 0..1")
    match: list[MatchCondition] | None = Field(default=None, description="1.x match conditions")


class LatencyFailure(_Failure):
    min_ms: Number | None = Field(default=None, ge=0)
    max_ms: Number | None = Field(default=None, ge=0)


class ExceptionFailure(_Failure):
    message: str | None = None


class StatusCodeFailure(_Failure):
    status_code: int | None = Field(default=None, ge=100, le=599)


class DenylistFailure(_Failure):
    patterns: list[str] = Field(default_factory=list, description="host regular expressions")


class DiskspaceFailure(_Failure):
    megabytes: Number | None = Field(default=None, gt=0, le=10240)


class TimeoutFailure(_Failure):
    buffer_ms: Number | None = Field(default=None, ge=0)


class CorruptionFailure(_Failure):
    body: str | None = None


# (section attribute, 1.x key, 0.x key) per mode
_ATTRS: dict[str, list[tuple[str, str, str | None]]] = {
    "latency": [("min_ms", "min_latency", "minLatency"), ("max_ms", "max_latency", "maxLatency")],
    "exception": [("message", "exception_msg", "exceptionMsg")],
    "statuscode": [("status_code", "status_code", "statusCode")],
    "denylist": [("patterns", "deny_list", "denylist")],
    "diskspace": [("megabytes", "disk_space", "diskSpace")],
    "timeout": [("buffer_ms", "timeout_buffer_ms", None)],
    "corruption": [("body", "body", None)],
}
_SECTIONS: dict[str, type[_Failure]] = {
    "latency": LatencyFailure,
    "exception": ExceptionFailure,
    "statuscode": StatusCodeFailure,
    "denylist": DenylistFailure,
    "diskspace": DiskspaceFailure,
    "timeout": TimeoutFailure,
    "corruption": CorruptionFailure,
}


class FailureConfig(_Model):
    """A failure-lambda configuration, normalised. Present sections fire while ``enabled``."""

    enabled: bool = False
    latency: LatencyFailure | None = None
    exception: ExceptionFailure | None = None
    statuscode: StatusCodeFailure | None = None
    denylist: DenylistFailure | None = None
    diskspace: DiskspaceFailure | None = None
    timeout: TimeoutFailure | None = None
    corruption: CorruptionFailure | None = None
    source_format: Literal["0.x", "1.x"] = Field(
        default="1.x", description="the format parse() read; to_json() defaults to 1.x regardless"
    )

    # -- reading -----------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> FailureConfig:
        """Parse the parameter value (either format). Raises ``ValueError`` naming the problem."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"failure-lambda configuration is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise ValueError("failure-lambda configuration must be a JSON object")
        try:
            if "isEnabled" in raw or "failureMode" in raw:
                return cls._parse_0x(raw)
            return cls._parse_1x(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ValueError(f"invalid failure-lambda configuration: {problems}") from None

    @classmethod
    def _parse_0x(cls, raw: dict[str, Any]) -> FailureConfig:
        mode = raw.get("failureMode", "latency")
        if mode not in MODES_0X:
            raise ValueError(
                f"failureMode {mode!r} is not a failure-lambda 0.x mode; use one of "
                + ", ".join(MODES_0X)
            )
        enabled = raw.get("isEnabled")
        if not isinstance(enabled, bool) and enabled is not None:
            raise ValueError("isEnabled must be true or false")
        section: dict[str, Any] = {"rate": raw.get("rate", 0)}
        for attr, _, key0 in _ATTRS[mode]:
            if key0 is not None and key0 in raw:
                section[attr] = raw[key0]
        return cls.model_validate({"enabled": bool(enabled), mode: section, "source_format": "0.x"})

    @classmethod
    def _parse_1x(cls, raw: dict[str, Any]) -> FailureConfig:
        data: dict[str, Any] = {"source_format": "1.x"}
        for mode in MODES:
            flag = raw.get(mode)
            if flag is None:
                continue
            if not isinstance(flag, dict):
                raise ValueError(f"{mode} must be an object like {{'enabled': true, ...}}")
            if not isinstance(flag.get("enabled"), bool):
                raise ValueError(f"{mode}.enabled must be true or false")
            if not flag["enabled"]:
                continue
            pct = flag.get("percentage", 100)
            if not isinstance(pct, int) or isinstance(pct, bool) or not 0 <= pct <= 100:
                raise ValueError(f"{mode}.percentage must be an integer between 0 and 100")
            section: dict[str, Any] = {"rate": pct / 100}
            if "match" in flag:
                section["match"] = flag["match"]
            for attr, key1, _ in _ATTRS[mode]:
                if key1 in flag:
                    section[attr] = flag[key1]
            data[mode] = section
        data["enabled"] = any(m in data for m in MODES)
        return cls.model_validate(data)

    # -- queries -----------------------------------------------------------------------------
    def sections(self) -> dict[Mode, _Failure]:
        """Present sections, in injection order."""
        return {m: s for m in MODES if (s := getattr(self, m)) is not None}

    def active_modes(self) -> list[Mode]:
        """Modes that fire (each with its own rate), in failure-lambda's injection order."""
        return list(self.sections()) if self.enabled else []

    # -- writing -----------------------------------------------------------------------------
    def to_dict(self, format: Literal["0.x", "1.x"] = "1.x") -> dict[str, Any]:
        if format == "0.x":
            return self._to_0x()
        out: dict[str, Any] = {}
        for mode, section in self.sections().items():
            flag: dict[str, Any] = {
                "enabled": self.enabled,
                "percentage": round(section.rate * 100),
            }
            for attr, key1, _ in _ATTRS[mode]:
                value = getattr(section, attr)
                if value is not None:
                    flag[key1] = list(value) if isinstance(value, list) else value
            if section.match is not None:
                flag["match"] = [c.model_dump(exclude_none=True) for c in section.match]
            out[mode] = flag
        return out

    def _to_0x(self) -> dict[str, Any]:
        sections = self.sections()
        unsupported = [m for m in sections if m not in MODES_0X]
        if unsupported:
            raise ValueError(
                f"failure-lambda 0.x has no {', '.join(unsupported)} mode; write format 1.x"
            )
        if len(sections) > 1:
            raise ValueError(
                "failure-lambda 0.x runs one failure mode at a time but this configuration has "
                f"{', '.join(sections)}; write format 1.x"
            )
        if any(s.match for s in sections.values()):
            raise ValueError("failure-lambda 0.x has no match conditions; write format 1.x")
        if not sections:
            return {"isEnabled": False}
        [(mode, section)] = sections.items()
        out: dict[str, Any] = {"isEnabled": self.enabled, "failureMode": mode, "rate": section.rate}
        for attr, _, key0 in _ATTRS[mode]:
            value = getattr(section, attr)
            if value is not None and key0 is not None:
                out[key0] = list(value) if isinstance(value, list) else value
        return out

    def to_json(self, format: Literal["0.x", "1.x"] = "1.x") -> str:
        """The parameter value in ``format``; 0.x refuses what it cannot express."""
        return json.dumps(self.to_dict(format), separators=(",", ":"))


def disabled() -> FailureConfig:
    """A configuration that injects nothing."""
    return FailureConfig(enabled=False)
