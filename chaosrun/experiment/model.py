"""Typed models of the Chaos Toolkit experiment format (plus our ``chaosrun:`` block).

Every model forbids unknown keys (``extensions`` entries excepted: they are free-form by
definition) and uses strict types, so ``timeout: "5"`` is an error as it is for Chaos Toolkit.
Polymorphic fields (activities, providers, tolerances, configuration and secret values) are
discriminated unions whose tags start with ``~``; :mod:`chaosrun.experiment.validate` drops those
tags from error locations so paths read like the file (``method[2].provider.func``).

Semantics follow chaostoolkit-lib's validators (``chaoslib.experiment.ensure_experiment_is_valid``,
``chaoslib.activity.ensure_activity_is_valid``, ``chaoslib.hypothesis``) where they are checkable
without importing modules or looking up executables.
"""

# Annotations stay eager (no `from __future__ import annotations`): pydantic would compile
# and evaluate every string annotation at import, ~5 ms of each run's start-up.
import re
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    field_validator,
    model_validator,
)

from chaosrun.experiment.extensions import ChaosrunSettings
from chaosrun.factories import empty_dict, empty_list

#: a ``${name}`` pattern; chaoslib substitutes configuration and secret values at run time
PLACEHOLDER = re.compile(r"\$\{[^}]*\}")

Number = StrictInt | StrictFloat


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


def _tag(value: Any, key: str = "type") -> str | None:
    if isinstance(value, dict):
        v = value.get(key)
        return v if isinstance(v, str) else None
    return None


def _pick(options: dict[str, str], value: Any, key: str = "type") -> str | None:
    """The ``~tag`` for ``value[key]``; for a misspelled value (``acton``) the tag of the closest
    option, so that member reports the misspelling (with a suggestion, see
    :mod:`chaosrun.experiment.validate`) *and* every other error of the mapping."""
    t = _tag(value, key)
    if t is None:
        return None
    if t in options:
        return options[t]
    import difflib  # only for invalid documents

    close = difflib.get_close_matches(t, list(options), n=1, cutoff=0.6)
    return options[close[0]] if close else None


def _disc(options: dict[str, str], what: str, key: str = "type") -> Discriminator:
    """A discriminator on ``value[key]`` mapping its value to a ``~tag``."""

    def pick(value: Any) -> str | None:
        return _pick(options, value, key)

    allowed = ", ".join(repr(k) for k in options)
    return Discriminator(
        pick,
        custom_error_type="invalid_union_member",
        custom_error_message=f"{what} must be a mapping whose {key!r} is one of {allowed}",
    )


# -- providers --------------------------------------------------------------------------------


class PythonProvider(Strict):
    type: Literal["python"]
    module: StrictStr = Field(min_length=1)
    func: StrictStr = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=empty_dict)
    secrets: list[StrictStr] | None = None


class ProcessProvider(Strict):
    type: Literal["process"]
    path: StrictStr = Field(min_length=1)
    arguments: StrictStr | list[Any] | dict[str, Any] | None = None
    timeout: Number | None = Field(default=None, gt=0)
    secrets: list[StrictStr] | None = None


class HttpProvider(Strict):
    type: Literal["http"]
    url: StrictStr = Field(min_length=1)
    method: StrictStr = "GET"
    headers: dict[str, StrictStr] | None = None
    arguments: dict[str, Any] | list[Any] | StrictStr | None = None
    timeout: Number | tuple[Number, Number] | None = None
    expected_status: StrictInt | list[StrictInt] | None = None
    verify_tls: StrictBool = True
    max_retries: StrictInt = Field(default=0, ge=0)
    secrets: list[StrictStr] | None = None

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout_pair(cls, v: Any) -> Any:
        if isinstance(v, list):
            if len(v) != 2:
                raise ValueError("timeout must be seconds or a [connect, read] pair")
            return tuple(v)
        return v


Provider = Annotated[
    Annotated[PythonProvider, Tag("~python")]
    | Annotated[ProcessProvider, Tag("~process")]
    | Annotated[HttpProvider, Tag("~http")],
    _disc({"python": "~python", "process": "~process", "http": "~http"}, "a provider"),
]


# -- controls ---------------------------------------------------------------------------------


class ControlProvider(Strict):
    type: Literal["python"]
    module: StrictStr = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=empty_dict)
    secrets: list[StrictStr] | None = None


class Control(Strict):
    name: StrictStr = Field(min_length=1)
    provider: ControlProvider | None = None
    ref: StrictStr | None = None
    scope: Literal["before", "after"] | None = None
    automatic: StrictBool = True

    @model_validator(mode="after")
    def _provider_or_ref(self) -> Self:
        if self.provider is None and self.ref is None:
            raise ValueError("a control needs a provider (or a ref to another control)")
        return self


# -- activities -------------------------------------------------------------------------------


class Pauses(Strict):
    before: Number | StrictStr | None = None
    after: Number | StrictStr | None = None

    @field_validator("before", "after", mode="after")
    @classmethod
    def _seconds_or_variable(cls, v: Any) -> Any:
        if isinstance(v, str) and not (v.startswith("${") and v.endswith("}")):
            raise ValueError(
                "a pause is seconds or a ${variable} from the configuration or secrets"
            )
        if isinstance(v, int | float) and v < 0:
            raise ValueError("a pause cannot be negative")
        return v


class ActivityBase(Strict):
    name: StrictStr = Field(min_length=1)
    provider: Provider
    background: StrictBool = False
    pauses: Pauses | None = None
    controls: list[Control] | None = None
    timeout: Number | None = Field(
        default=None, gt=0, description="seconds; chaosrun stops the activity when it runs longer"
    )
    #: names of configuration keys / secret scopes the activity relies on
    configuration: list[StrictStr] | None = None
    secrets: list[StrictStr] | None = None


class Action(ActivityBase):
    type: Literal["action"]


class RangeTolerance(Strict):
    type: Literal["range"]
    range: tuple[Number, Number]
    target: StrictStr | None = None

    @field_validator("range", mode="before")
    @classmethod
    def _pair(cls, v: Any) -> Any:
        if not isinstance(v, list) or len(v) != 2:
            raise ValueError("range must be a [lower, upper] pair of numbers")
        return tuple(v)


class RegexTolerance(Strict):
    type: Literal["regex"]
    pattern: StrictStr
    target: StrictStr | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        if PLACEHOLDER.search(v):
            return v  # substituted at run time
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"pattern does not compile: {exc}") from None
        return v


class JsonPathTolerance(Strict):
    type: Literal["jsonpath"]
    path: StrictStr = Field(min_length=1)
    expect: Any = None
    target: StrictStr | None = None
    count: StrictInt | None = Field(default=None, ge=0)


class ProbeTolerance(ActivityBase):
    """A probe called with the value to check (chaoslib passes it as the ``value`` argument)."""

    type: Literal["probe"]


_TOLERANCE_TAGS = {"range": "~range", "regex": "~regex", "jsonpath": "~jsonpath", "probe": "~probe"}


def _tolerance_tag(v: Any) -> str | None:
    if isinstance(v, bool):
        return "~bool"
    if isinstance(v, int):
        return "~int"
    if isinstance(v, str):
        return "~str"
    if isinstance(v, list):
        return "~list"
    return _pick(_TOLERANCE_TAGS, v)


Tolerance = Annotated[
    Annotated[StrictBool, Tag("~bool")]
    | Annotated[StrictInt, Tag("~int")]
    | Annotated[StrictStr, Tag("~str")]
    | Annotated[list[Any], Tag("~list")]
    | Annotated[RangeTolerance, Tag("~range")]
    | Annotated[RegexTolerance, Tag("~regex")]
    | Annotated[JsonPathTolerance, Tag("~jsonpath")]
    | Annotated[ProbeTolerance, Tag("~probe")],
    Discriminator(
        _tolerance_tag,
        custom_error_type="invalid_tolerance",
        custom_error_message=(
            "a tolerance is a bool, an integer, a string, a list ([low, high] or accepted "
            "values) or a mapping whose 'type' is 'range', 'regex', 'jsonpath' or 'probe'"
        ),
    ),
]


class Probe(ActivityBase):
    type: Literal["probe"]
    tolerance: Tolerance | None = None


class HypothesisProbe(Probe):
    tolerance: Tolerance  # required in a steady-state hypothesis


class Ref(Strict):
    ref: StrictStr = Field(min_length=1, description="name of an activity defined earlier")


def _activity_tag(v: Any) -> str | None:
    if isinstance(v, dict) and "ref" in v:
        return "~ref"
    return _pick({"action": "~action", "probe": "~probe"}, v)


Activity = Annotated[
    Annotated[Action, Tag("~action")]
    | Annotated[Probe, Tag("~probe")]
    | Annotated[Ref, Tag("~ref")],
    Discriminator(
        _activity_tag,
        custom_error_type="invalid_activity",
        custom_error_message=(
            "an activity is a mapping with 'type' 'action' or 'probe', or {ref: <activity name>}"
        ),
    ),
]


class Hypothesis(Strict):
    title: StrictStr = Field(min_length=1)
    probes: list[HypothesisProbe] = Field(default_factory=empty_list)
    controls: list[Control] | None = None


# -- configuration and secrets ----------------------------------------------------------------

EnvVarType = Literal["str", "string", "int", "integer", "float", "number", "bytes", "bool", "json"]


class EnvConfig(Strict):
    type: Literal["env"]
    key: StrictStr = Field(min_length=1, description="environment variable name")
    default: Any = None
    env_var_type: EnvVarType | None = None
    #: mask the loaded value like a secret (the engine's scrubber reads this flag)
    secret: StrictBool = False


def _config_tag(v: Any) -> str:
    t = _tag(v)
    if t == "env":
        return "~env"
    if t == "probe":
        return "~probe"
    return "~value"


ConfigValue = Annotated[
    Annotated[EnvConfig, Tag("~env")]
    | Annotated[Probe, Tag("~probe")]  # dynamic configuration, evaluated before the run
    | Annotated[Any, Tag("~value")],
    Discriminator(_config_tag),
]


class EnvSecret(Strict):
    type: Literal["env"]
    key: StrictStr = Field(min_length=1)


class VaultSecret(Strict):
    type: Literal["vault"]
    path: StrictStr = Field(min_length=1)
    key: StrictStr | None = None
    version: StrictInt | None = None


def _secret_tag(v: Any) -> str:
    return {"env": "~env", "vault": "~vault"}.get(_tag(v) or "", "~value")


SecretValue = Annotated[
    Annotated[EnvSecret, Tag("~env")]
    | Annotated[VaultSecret, Tag("~vault")]
    | Annotated[Any, Tag("~value")],
    Discriminator(_secret_tag),
]


# -- runtime ----------------------------------------------------------------------------------


class RollbacksRuntime(Strict):
    strategy: Literal["default", "always", "never", "deviated"] = "default"


class HypothesisRuntime(Strict):
    strategy: Literal[
        "default",
        "before-method-only",
        "after-method-only",
        "during-method-only",
        "continuously",
        "skip",
    ] = "default"
    frequency: Number | None = Field(default=None, gt=0, description="seconds, for 'continuously'")
    fail_fast: StrictBool = False
    fail_fast_ratio: Number | None = Field(default=None, ge=0, le=1)


class Runtime(Strict):
    rollbacks: RollbacksRuntime | None = None
    hypothesis: HypothesisRuntime | None = None


class Extension(BaseModel):
    """An ``extensions`` entry: a ``name`` plus whatever that extension defines."""

    model_config = ConfigDict(extra="allow", strict=True)

    name: StrictStr = Field(min_length=1)


Contribution = Literal["high", "medium", "low", "none"]


class Experiment(Strict):
    version: StrictStr | None = None
    title: StrictStr = Field(min_length=1)
    description: StrictStr | None = None
    tags: list[Annotated[StrictStr, Field(min_length=1)]] | None = None
    contributions: dict[str, Contribution] | None = None
    configuration: dict[str, ConfigValue] | None = None
    secrets: dict[str, dict[str, SecretValue]] | None = None
    extensions: list[Extension] | None = None
    controls: list[Control] | None = None
    steady_state_hypothesis: Hypothesis | None = Field(
        default=None, alias="steady-state-hypothesis"
    )
    method: list[Activity]
    rollbacks: list[Activity] = Field(default_factory=empty_list)
    runtime: Runtime | None = None
    dry: Literal["probes", "actions", "activities", "pause"] | None = None
    chaosrun: ChaosrunSettings | None = None
