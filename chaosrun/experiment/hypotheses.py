"""Reusable steady-state hypotheses (``steady-state-hypothesis: {use: NAME, with: {...}}``).

A hypothesis file (``steady_state/NAME.yaml``) declares a ``title``, an optional
``description``, ``parameters`` (name -> ``{description, default, required}``) and ``probes``
written with ``${param}`` placeholders. :func:`expand_hypothesis` replaces the ``use:`` block of
an experiment with a plain Chaos Toolkit hypothesis: parameters are substituted (a value that is
the whole string keeps its type), every other ``${name}`` is left for chaoslib to substitute
from the experiment's configuration and secrets at run time.

Search order for ``NAME``: ``steady_state/`` next to the experiment, ``steady_state/`` at the
root of the repository holding the experiment (nearest parent with ``.git``), each directory in
``CHAOSRUN_STEADY_STATE_PATH`` (``os.pathsep``-separated), then the hypotheses shipped with
chaosrun. ``NAME`` may also be a path (with ``/`` or a file suffix), relative to the experiment.
"""

# Annotations stay eager (no `from __future__ import annotations`): pydantic would compile
# and evaluate every string annotation at import, ~5 ms of each run's start-up.
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, StrictBool, StrictStr, ValidationError

from chaosrun.errors import ValidationIssue
from chaosrun.experiment.model import Strict
from chaosrun.experiment.source import (
    SUFFIXES,
    FieldPath,
    LineMap,
    SourceError,
    format_path,
    parse_document,
)
from chaosrun.experiment.validate import (
    issue,
    issues_from_errors,
    mapping,
    suggest,
    unknown_key_message,
)
from chaosrun.factories import empty_dict

ENV_PATH = "CHAOSRUN_STEADY_STATE_PATH"
HYPOTHESIS_KEY = "steady-state-hypothesis"
USE_KEYS = ("use", "with")
_BUNDLED = Path(__file__).resolve().parents[2] / "steady_state"
_VAR = re.compile(r"\$\{([^}]*)\}")


class Parameter(Strict):
    # built on first use: only experiments with ``steady-state-hypothesis: {use: ...}`` need it
    model_config = ConfigDict(defer_build=True)

    description: StrictStr | None = None
    default: Any = None
    required: StrictBool | None = Field(
        None, description="default: required unless a default is given"
    )


class HypothesisTemplate(Strict):
    model_config = ConfigDict(defer_build=True)

    title: StrictStr = Field(min_length=1)
    description: StrictStr | None = None
    parameters: dict[str, Parameter] = Field(default_factory=empty_dict)
    probes: list[Any] = Field(min_length=1)


@dataclass
class Expanded:
    hypothesis: dict[str, Any] | None
    source: Path | None
    issues: list[ValidationIssue]


def search_path(experiment: Path) -> list[Path]:
    here = experiment.resolve().parent
    dirs = [here / "steady_state"]
    for parent in [here, *here.parents]:
        if (parent / ".git").exists():
            dirs.append(parent / "steady_state")
            break
    dirs += [Path(p) for p in os.environ.get(ENV_PATH, "").split(os.pathsep) if p]
    dirs.append(_BUNDLED)
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def find_hypothesis(name: str, experiment: Path) -> Path | None:
    if "/" in name or name.endswith(SUFFIXES):
        candidate = (experiment.parent / name).resolve()
        return candidate if candidate.is_file() else None
    for directory in search_path(experiment):
        for suffix in SUFFIXES:
            candidate = directory / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def available(experiment: Path) -> list[str]:
    names: set[str] = set()
    for directory in search_path(experiment):
        if directory.is_dir():
            names.update(p.stem for p in directory.iterdir() if p.suffix in SUFFIXES)
    return sorted(names)


def expand_hypothesis(raw: dict[str, Any], experiment: Path, lines: LineMap) -> Expanded:
    """Expand ``raw``'s ``use:`` hypothesis; ``lines`` is updated to point into the file used."""
    block = raw.get(HYPOTHESIS_KEY)
    here: FieldPath = (HYPOTHESIS_KEY,)
    if not isinstance(block, dict) or "use" not in block:
        return Expanded(block, None, [])
    issues: list[ValidationIssue] = []
    for key in block:
        if key not in USE_KEYS:
            msg = unknown_key_message(str(key), USE_KEYS)
            issues.append(
                issue(lines, (*here, key), f"{msg} (a `use:` hypothesis takes use, with)")
            )
    name = block.get("use")
    args = block.get("with", {})
    if args is None:
        args = {}
    if not isinstance(name, str) or not name:
        issues.append(issue(lines, (*here, "use"), "use must name a hypothesis file"))
        return Expanded(None, None, issues)
    if not isinstance(args, dict):
        issues.append(issue(lines, (*here, "with"), "with must be a mapping of parameters"))
        return Expanded(None, None, issues)
    path = find_hypothesis(name, experiment)
    if path is None:
        known = available(experiment)
        hint = suggest(name, known)
        where = ", ".join(str(d) for d in search_path(experiment))
        msg = f"no steady-state hypothesis {name!r} found" + (
            f"; did you mean {hint!r}?" if hint else f" (searched {where})"
        )
        issues.append(issue(lines, (*here, "use"), msg))
        return Expanded(None, None, issues)
    try:
        doc = parse_document(path)
    except SourceError as exc:
        issues.append(ValidationIssue(str(path), exc.line, "", exc.message))
        return Expanded(None, path, issues)
    try:
        template = HypothesisTemplate.model_validate(doc.data)
    except ValidationError as exc:
        issues += issues_from_errors(exc.errors(), doc.data, doc.lines, HypothesisTemplate)
        return Expanded(None, path, issues)
    for dup, line in doc.duplicates:
        issues.append(ValidationIssue(str(path), line, format_path(dup), "duplicate key"))

    values: dict[str, Any] = {}
    for key, value in args.items():
        if key not in template.parameters:
            msg = unknown_key_message(str(key), list(template.parameters), "parameter")
            issues.append(issue(lines, (*here, "with", key), f"{msg} (hypothesis {name!r})"))
        else:
            values[key] = value
    for pname, param in template.parameters.items():
        if pname in values:
            continue
        required = (
            param.required
            if param.required is not None
            else ("default" not in param.model_fields_set)
        )
        if required:
            issues.append(
                issue(
                    lines,
                    (*here, "with") if "with" in block else (*here, "use"),
                    f"missing required parameter {pname!r} of hypothesis {name!r}"
                    + (f": {param.description}" if param.description else ""),
                )
            )
        else:
            values[pname] = param.default

    known_names = set(template.parameters)
    secrets = mapping(raw.get("secrets"))
    outside = set(mapping(raw.get("configuration"))) | {
        k for scope in secrets.values() for k in mapping(scope)
    }
    for at, var in _placeholders(doc.data.get("probes"), ("probes",)):
        if var not in known_names and var not in outside:
            hint = suggest(var, [*known_names, *outside])
            loc = doc.lines.locate(at)
            issues.append(
                ValidationIssue(
                    loc.file,
                    loc.line,
                    format_path(at),
                    f"${{{var}}} is neither a parameter of this hypothesis nor a configuration "
                    f"key or secret of the experiment"
                    + (f"; did you mean {hint!r}?" if hint else ""),
                )
            )

    whole: list[tuple[FieldPath, str]] = []
    probes = _substitute(template.probes, values, ("probes",), whole)
    # a value that is entirely one parameter is located at its `with:` entry in the experiment
    given = {name: lines.locate((*here, "with", name)) for name in args}
    lines.drop(here)
    lines.graft((*here, "title"), doc.lines, ("title",))
    lines.graft((*here, "probes"), doc.lines, ("probes",))
    for at, pname in whole:
        if pname in given:
            lines.lines[(*here, *at)] = given[pname]
    return Expanded({"title": template.title, "probes": probes}, path, issues)


def _placeholders(value: Any, path: FieldPath) -> list[tuple[FieldPath, str]]:
    if isinstance(value, str):
        return [(path, m.group(1)) for m in _VAR.finditer(value)]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _placeholders(v, (*path, k))]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _placeholders(v, (*path, i))]
    return []


def _substitute(
    value: Any, params: dict[str, Any], path: FieldPath, whole: list[tuple[FieldPath, str]]
) -> Any:
    """Replace ``${param}``; ``whole`` collects the paths whose value is one parameter."""
    if isinstance(value, str):
        full = _VAR.fullmatch(value)
        if full and full.group(1) in params:
            whole.append((path, full.group(1)))
            return params[full.group(1)]
        return _VAR.sub(
            lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), value
        )
    if isinstance(value, dict):
        return {k: _substitute(v, params, (*path, k), whole) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, params, (*path, i), whole) for i, v in enumerate(value)]
    return value
