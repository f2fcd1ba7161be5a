"""Loading an experiment file: parse, expand reusable hypotheses, apply variables, validate.

.. code-block:: python

    loaded = load_experiment("experiments/throttle.yaml", variables={"api_url": "http://..."})
    loaded.raw        # plain Chaos Toolkit dict, ready for chaoslib
    loaded.model      # typed Experiment
    loaded.settings   # ChaosrunSettings from the ``chaosrun:`` block (defaults if absent)
    loaded.line_of("method[2].provider.arguments")  # or a tuple path

Every problem found is collected and raised together as
:class:`chaosrun.errors.ExperimentInvalid`, each issue located by file, line and field path.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaoslib import convert_vars, merge_vars
from pydantic import ValidationError

from chaosrun.errors import ExperimentInvalid, InvalidInput, ValidationIssue
from chaosrun.experiment.extensions import ChaosrunSettings
from chaosrun.experiment.hypotheses import expand_hypothesis
from chaosrun.experiment.model import Experiment
from chaosrun.experiment.python_providers import check_python_providers
from chaosrun.experiment.secret_config import secret_config_keys
from chaosrun.experiment.source import (
    SUFFIXES,
    FieldPath,
    LineMap,
    SourceError,
    format_path,
    parse_document,
)
from chaosrun.experiment.validate import (
    check_names,
    check_optional_packages,
    check_plugin_arguments,
    check_refs,
    check_schedule,
    issues_from_errors,
)

__all__ = [
    "LoadedExperiment",
    "experiment_files",
    "load_experiment",
    "parse_field_path",
    "parse_variables",
    "validate_file",
    "validate_files",
]


@dataclass
class LoadedExperiment:
    path: Path
    #: plain Chaos Toolkit dict (``use:`` hypotheses expanded, variables applied)
    raw: dict[str, Any]
    model: Experiment
    settings: ChaosrunSettings
    lines: LineMap
    #: the reusable hypothesis file used by ``steady-state-hypothesis: {use: ...}``, if any
    hypothesis_source: Path | None = None
    #: configuration keys the file declares ``secret: true``; kept apart because a variable
    #: overriding such a key replaces the whole entry, marker included (as in chaoslib)
    secret_config_keys: tuple[str, ...] = ()

    def line_of(self, path: str | Sequence[str | int]) -> int | None:
        """Line of a field path (``"method[2].provider"`` or ``("method", 2, "provider")``);
        the nearest enclosing field's line when that exact field is absent."""
        return self.locate(path)[1]

    def locate(self, path: str | Sequence[str | int]) -> tuple[str, int | None]:
        """``(file, line)`` of a field path; the file differs from :attr:`path` for probes that
        come from a reusable hypothesis."""
        parts = parse_field_path(path) if isinstance(path, str) else tuple(path)
        loc = self.lines.locate(parts)
        return loc.file, loc.line


_SEGMENT = re.compile(r"\[(\d+)\]|\[(['\"])(.*?)\2\]|\.?([^.\[\]]+)")


def parse_field_path(text: str) -> FieldPath:
    """Inverse of :func:`chaosrun.experiment.source.format_path`."""
    parts: list[str | int] = []
    for m in _SEGMENT.finditer(text):
        index, _, quoted, name = m.groups()
        if index is not None:
            parts.append(int(index))
        elif quoted is not None:
            parts.append(quoted)
        elif name:
            parts.append(name)
    return tuple(parts)


def parse_variables(
    var: Iterable[str] = (), var_files: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``--var key[:type]=value`` and ``--var-file`` as chaoslib reads them.

    Returns ``(configuration_vars, secret_vars)``. ``.env`` var files set environment variables,
    exactly as with ``chaos run``. Raises :class:`InvalidInput` for a malformed ``--var``.
    """
    try:
        converted = convert_vars(list(var))
    except ValueError as exc:
        raise InvalidInput(f"--var: {exc} (use --var name[:type]=value)") from None
    missing = [f for f in var_files if not Path(f).is_file()]
    if missing:
        raise InvalidInput(f"--var-file: no such file: {', '.join(missing)}")
    config_vars, secret_vars = merge_vars(converted, list(var_files))
    return dict(config_vars), dict(secret_vars)


def apply_variables(raw: dict[str, Any], variables: dict[str, Any]) -> None:
    """Variables override configuration values, as chaoslib's ``load_configuration`` does with
    its ``extra_vars`` (a variable replaces the whole entry, an ``{type: env}`` one included).
    Variables naming no configuration key are added, so ``${name}`` resolves to them."""
    if not variables:
        return
    config = raw.get("configuration")
    if config is None:
        config = raw["configuration"] = {}
    if isinstance(config, dict):
        config.update(copy.deepcopy(variables))


def _issues_for(
    path: Path, variables: dict[str, Any] | None
) -> tuple[list[ValidationIssue], LoadedExperiment | None]:
    try:
        doc = parse_document(path)
    except SourceError as exc:
        return [ValidationIssue(str(path), exc.line, "", exc.message)], None
    lines = doc.lines
    issues = [
        ValidationIssue(str(path), line, format_path(dup), "duplicate key (the later one wins)")
        for dup, line in doc.duplicates
    ]
    if not isinstance(doc.data, dict):
        what = "empty" if doc.data is None else f"a {type(doc.data).__name__}"
        issues.append(
            ValidationIssue(
                str(path), lines.line(()), "", f"an experiment is a mapping, not {what}"
            )
        )
        return issues, None
    raw: dict[str, Any] = copy.deepcopy(doc.data)

    block = raw.get("steady-state-hypothesis")
    uses = isinstance(block, dict) and "use" in block
    expanded = expand_hypothesis(raw, path, lines)
    issues += expanded.issues
    hypothesis_ok = not expanded.issues
    if uses:
        if expanded.hypothesis is not None:
            raw["steady-state-hypothesis"] = expanded.hypothesis
        else:
            raw.pop("steady-state-hypothesis", None)  # reported; don't pile up follow-on errors
    secret_keys = tuple(secret_config_keys(raw.get("configuration")))
    apply_variables(raw, variables or {})

    model: Experiment | None = None
    try:
        model = Experiment.model_validate(raw)
    except ValidationError as exc:
        issues += issues_from_errors(exc.errors(), raw, lines, Experiment)
    issues += check_refs(raw, lines, hypothesis_known=hypothesis_ok)
    issues += check_names(raw, lines)
    issues += check_plugin_arguments(raw, lines)
    issues += check_optional_packages(raw, lines)
    issues += check_schedule(raw, lines)
    issues += check_python_providers(raw, lines)
    if issues or model is None or not hypothesis_ok:
        return _sorted(issues), None
    return [], LoadedExperiment(
        path=path,
        raw=raw,
        model=model,
        settings=model.chaosrun or ChaosrunSettings.model_validate({}),
        lines=lines,
        hypothesis_source=expanded.source,
        secret_config_keys=secret_keys,
    )


def _sorted(issues: list[ValidationIssue]) -> list[ValidationIssue]:
    seen: set[tuple[str, int | None, str, str]] = set()
    unique = []
    for i in issues:
        key = (i.file, i.line, i.field, i.message)
        if key not in seen:
            seen.add(key)
            unique.append(i)
    return sorted(unique, key=lambda i: (i.file, i.line or 0))


def load_experiment(path: str | Path, variables: dict[str, Any] | None = None) -> LoadedExperiment:
    """Load, expand and validate one experiment; raise :class:`ExperimentInvalid` listing every
    issue found. ``variables`` (from ``--var``/``--var-file``) override configuration values."""
    issues, loaded = _issues_for(Path(path), variables)
    if loaded is None:
        raise ExperimentInvalid(issues)
    return loaded


def experiment_files(paths: Iterable[str | Path]) -> list[Path]:
    """Experiment files (for ``validate`` and ``run``): files as given; directories searched
    recursively for .yaml, .yml and .json files, skipping hidden files and directories and
    ``steady_state/`` (reusable hypotheses)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in SUFFIXES
                and not f.name.startswith(".")
                and not any(
                    part == "steady_state" or part.startswith(".")
                    for part in f.relative_to(p).parts[:-1]
                )
            )
        else:
            out.append(p)
    return out


def validate_file(
    path: str | Path, variables: dict[str, Any] | None = None
) -> list[ValidationIssue]:
    """Every issue in one experiment file (empty when it is valid)."""
    return _issues_for(Path(path), variables)[0]


def validate_files(
    paths: Iterable[str | Path], variables: dict[str, Any] | None = None
) -> list[ValidationIssue]:
    """Validate every file (directories: every .yaml/.yml/.json in them); all issues found."""
    issues: list[ValidationIssue] = []
    for f in experiment_files(paths):
        issues += validate_file(f, variables)
    return issues
