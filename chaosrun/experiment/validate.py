"""Turning pydantic errors and cross-field checks into located :class:`ValidationIssue` s.

Pydantic reports locations with union tags (``~python``) and union member labels (``int``,
``list[int]``) mixed into the path; :func:`issues_from_errors` walks each location against the
data to keep only real keys and indices, looks the line up in the :class:`LineMap`, and words
the message for a person: unknown keys get a ``did you mean`` suggestion computed from the model
that rejected them.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from chaosrun.errors import ValidationIssue
from chaosrun.experiment.extensions import Monitoring
from chaosrun.experiment.model import PLACEHOLDER
from chaosrun.experiment.schedule_rules import schedule_conflicts
from chaosrun.experiment.source import FieldPath, LineMap, format_path
from chaosrun.plugins import FAULTS, PROBES


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_key_message(key: str, allowed: Sequence[str], what: str = "key") -> str:
    hint = suggest(key, allowed)
    if hint:
        return f"unknown {what} {key!r}; did you mean {hint!r}?"
    if allowed:
        return f"unknown {what} {key!r}; expected one of: {', '.join(sorted(allowed))}"
    return f"unknown {what} {key!r}"


def issue(lines: LineMap, path: FieldPath, message: str) -> ValidationIssue:
    loc = lines.locate(path)
    return ValidationIssue(loc.file, loc.line, format_path(path), message)


# -- walking model annotations ---------------------------------------------------------------


def _strip(tp: Any) -> Any:
    """Remove ``Annotated`` and ``None`` from an annotation when what remains is one type."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _tagged_member(tp: Any, tag: str) -> Any:
    tp = _strip(tp)
    for member in typing.get_args(tp):
        if typing.get_origin(member) is typing.Annotated:
            inner, *meta = typing.get_args(member)
            if any(isinstance(m, Tag) and m.tag == tag for m in meta):
                return inner
    return None


def _step(tp: Any, part: str | int) -> Any:
    if isinstance(part, str) and part.startswith("~"):
        return _tagged_member(tp, part)
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if isinstance(part, int):
            return None
        for name, info in tp.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is list and isinstance(part, int) and args:
        return args[0]
    if origin is dict and isinstance(part, str) and len(args) == 2:
        return args[1]
    return None


def annotation_at(root: type[BaseModel], loc: Sequence[str | int]) -> Any:
    """The annotation of the field at a pydantic location (``None`` when it cannot be found)."""
    tp: Any = root
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return None
    return tp


def _as_model(tp: Any) -> type[BaseModel] | None:
    tp = _strip(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    return _as_model(annotation_at(root, loc))


def allowed_values(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The strings a ``Literal`` field accepts. For the tag field of a union member (``type`` at
    ``method[0].~action``: the discriminator picked the member closest to a misspelling) those
    of every member, since the member alone accepts just its own."""
    *parent, name = loc
    if parent and isinstance(parent[-1], str) and parent[-1].startswith("~"):
        union = _strip(annotation_at(root, parent[:-1]))
        members = [typing.get_args(m)[0] for m in typing.get_args(union)]
    else:
        members = [annotation_at(root, parent)]
    out: list[str] = []
    for member in members:
        model = _as_model(member)
        field = _strip(_step(model, name)) if model is not None else None
        if typing.get_origin(field) is typing.Literal:
            out += [v for v in typing.get_args(field) if isinstance(v, str) and v not in out]
    return out


def field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


# -- pydantic errors -> issues ----------------------------------------------------------------

_LABELS = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "a boolean",
    "list": "a list",
    "dict": "a mapping",
    "tuple": "a [first, second] pair",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {value!r}".replace("True", "true").replace("False", "false")
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value!r}" if len(value) <= 40 else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _label_text(label: str) -> str:
    base = label.split("[", 1)[0]
    return _LABELS.get(base, "a mapping")


def _looks_like_label(part: str) -> bool:
    """Pydantic names union members in locations: ``int``, ``list[int]``, ``HttpProvider``."""
    return part.split("[", 1)[0] in _LABELS or part[:1].isupper() or "[" in part


def _has(container: Any, part: str | int) -> bool:
    if isinstance(container, dict):
        return part in container
    return isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container)


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty one (for checks on unvalidated data)."""
    return value if isinstance(value, dict) else {}


def _split_loc(
    loc: tuple[str | int, ...], data: Any
) -> tuple[FieldPath, FieldPath, str | None, FieldPath]:
    """(clean path, model loc with tags, first union label, clean path before that label)."""
    clean: list[str | int] = []
    model_loc: list[str | int] = []
    label: str | None = None
    before: FieldPath = ()
    cur, found = data, True
    for part in loc:
        if isinstance(part, str) and part.startswith("~"):
            model_loc.append(part)
            continue
        if part == "[key]":
            continue
        if found and _has(cur, part):
            cur = cur[part]
        elif label is None and isinstance(part, str) and _looks_like_label(part):
            label, before = part, tuple(clean)
            continue
        else:
            found = False
        clean.append(part)
        model_loc.append(part)
    return tuple(clean), tuple(model_loc), label, before


def issues_from_errors(
    errors: Sequence[ErrorDetails],
    data: Any,
    lines: LineMap,
    root: type[BaseModel],
    prefix: FieldPath = (),
    what: str = "key",
) -> list[ValidationIssue]:
    """One issue per problem; union member failures at one place are merged into one."""
    out: list[ValidationIssue] = []
    unions: dict[FieldPath, list[tuple[str, ErrorDetails, FieldPath]]] = {}
    for err in errors:
        clean, model_loc, label, before = _split_loc(tuple(err["loc"]), data)
        if label is not None:
            unions.setdefault(before, []).append((label, err, clean))
            continue
        out.append(_one(err, clean, model_loc, lines, root, prefix, what))
    for where, errs in unions.items():
        deeper = [(e, c) for _, e, c in errs if len(c) > len(where)]
        if deeper:
            for e, c in deeper:
                out.append(_one(e, c, c, lines, root, prefix, what))
            continue
        expected: list[str] = []
        for label, _, _ in errs:
            text = _label_text(label)
            if text not in expected:
                expected.append(text)
        if "an integer" in expected and "a number" in expected:
            expected.remove("an integer")
        got = _describe(errs[0][1].get("input"))
        msg = f"expected {' or '.join(expected)}, got {got}"
        value_errors = [e for _, e, _ in errs if e["type"] == "value_error"]
        if value_errors:
            msg = _message(value_errors[0])
        out.append(issue(lines, prefix + where, msg))
    return out


def _message(err: ErrorDetails) -> str:
    msg = err["msg"]
    if err["type"] == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif err["type"] == "assertion_error":
        msg = msg.removeprefix("Assertion failed, ")
    elif err["type"].endswith("_type") or err["type"] in ("literal_error", "enum"):
        msg = f"{msg}, got {_describe(err.get('input'))}"
    return msg


def _one(
    err: ErrorDetails,
    clean: FieldPath,
    model_loc: FieldPath,
    lines: LineMap,
    root: type[BaseModel],
    prefix: FieldPath,
    what: str,
) -> ValidationIssue:
    if err["type"] == "extra_forbidden" and clean:
        model = model_at(root, model_loc[:-1])
        allowed = field_names(model) if model is not None else []
        return issue(lines, prefix + clean, unknown_key_message(str(clean[-1]), allowed, what))
    if err["type"] == "missing" and clean:
        return issue(lines, prefix + clean[:-1], f"missing required {what} {clean[-1]!r}")
    value = err.get("input")
    if err["type"] == "literal_error" and isinstance(value, str) and model_loc:
        allowed = allowed_values(root, model_loc)
        if allowed:
            return issue(lines, prefix + clean, literal_message(value, allowed))
    return issue(lines, prefix + clean, _message(err))


def literal_message(value: str, allowed: Sequence[str]) -> str:
    """``expected 'action' or 'probe', got string 'acton'; did you mean 'action'?``"""
    quoted = [repr(a) for a in allowed]
    options = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    hint = suggest(value, allowed)
    return f"expected {options}, got {_describe(value)}" + (
        f"; did you mean {hint!r}?" if hint else ""
    )


# -- activities in an experiment ------------------------------------------------------------


def iter_activities(raw: Any) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """Every activity mapping in a raw experiment (hypothesis, method, rollbacks, tolerances,
    dynamic configuration), with its path, in document order."""
    if not isinstance(raw, dict):
        return
    config = raw.get("configuration")
    if isinstance(config, dict):
        for key, value in config.items():
            if isinstance(value, dict) and value.get("type") == "probe":
                yield from _with_tolerance(("configuration", key), value)
    hypo = raw.get("steady-state-hypothesis")
    if isinstance(hypo, dict):
        yield from _list_of(("steady-state-hypothesis", "probes"), hypo.get("probes"))
    yield from _list_of(("method",), raw.get("method"))
    yield from _list_of(("rollbacks",), raw.get("rollbacks"))


def _list_of(path: FieldPath, items: Any) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    if isinstance(items, list):
        for i, item in enumerate(items):
            if isinstance(item, dict):
                yield from _with_tolerance((*path, i), item)


def _with_tolerance(
    path: FieldPath, activity: dict[str, Any]
) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    yield path, activity
    tol = activity.get("tolerance")
    if isinstance(tol, dict) and tol.get("type") == "probe":
        yield from _with_tolerance((*path, "tolerance"), tol)


def _named(items: Any) -> list[str]:
    """Names of the (non-ref) activities in a raw list."""
    if not isinstance(items, list):
        return []
    return [
        a["name"]
        for a in items
        if isinstance(a, dict) and isinstance(a.get("name"), str) and "ref" not in a
    ]


def check_refs(raw: Any, lines: LineMap, hypothesis_known: bool = True) -> list[ValidationIssue]:
    """``{ref: name}`` must name a hypothesis probe or a method activity defined before it.

    That is what the engine resolves (``chaosrun.engine.activities.catalogue``, like chaoslib):
    a rollback, a tolerance probe or a dynamic-configuration probe cannot be repeated by ``ref``,
    so such refs get the engine's own message here rather than failing ``run`` after ``validate``
    said OK. With ``hypothesis_known=False`` (a ``use:`` hypothesis that could not be expanded)
    a ref to an unknown name may be one of its probes, so it is not reported."""
    out: list[ValidationIssue] = []
    if not isinstance(raw, dict):
        return out
    seen = set(_named(mapping(raw.get("steady-state-hypothesis")).get("probes")))
    method = set(_named(raw.get("method")))
    every = set(_named([a for _, a in iter_activities(raw)]))
    for section in ("method", "rollbacks"):
        items = raw.get(section)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            ref = item.get("ref")
            if not (isinstance(ref, str) and ref):
                if section == "method":
                    seen.update(_named([item]))
                continue
            if ref in seen or (ref not in every and not hypothesis_known):
                continue
            if ref in method:
                msg = (
                    f"ref {ref!r} names an activity defined later; a ref must follow "
                    "the activity it repeats"
                )
            elif ref in every:
                msg = (
                    f"activity ref {ref!r} names no earlier activity; refs point to a hypothesis "
                    "probe or method activity by its name (repeat this one in full instead)"
                )
            else:
                hint = suggest(ref, seen)
                msg = f"ref {ref!r} names no activity defined before it" + (
                    f"; did you mean {hint!r}?" if hint else ""
                )
            out.append(issue(lines, (section, i, "ref"), msg))
    return out


def check_names(raw: Any, lines: LineMap) -> list[ValidationIssue]:
    """Secret scopes and configuration keys named by activities and providers must exist."""
    out: list[ValidationIssue] = []
    if not isinstance(raw, dict):
        return out
    scopes = mapping(raw.get("secrets"))
    config = mapping(raw.get("configuration"))
    for path, activity in iter_activities(raw):
        refs: list[tuple[FieldPath, Any, dict[str, Any], str]] = [
            ((*path, "secrets"), activity.get("secrets"), scopes, "secret scope"),
            ((*path, "configuration"), activity.get("configuration"), config, "configuration key"),
        ]
        provider = activity.get("provider")
        if isinstance(provider, dict):
            refs.append(
                ((*path, "provider", "secrets"), provider.get("secrets"), scopes, "secret scope")
            )
        for where, names, known, what in refs:
            if not isinstance(names, list):
                continue
            for j, name in enumerate(names):
                if isinstance(name, str) and name not in known:
                    hint = suggest(name, known)
                    msg = f"unknown {what} {name!r}" + (
                        f"; did you mean {hint!r}?" if hint else f"; declare it under {where[-1]}:"
                    )
                    out.append(issue(lines, (*where, j), msg))
    return out


def check_schedule(raw: Any, lines: LineMap) -> list[ValidationIssue]:
    """``runtime.hypothesis`` and ``chaosrun.monitoring`` must not contradict each other: the
    engine refuses such an experiment before running it, in these words."""
    if not isinstance(raw, dict):
        return []
    try:
        monitoring = Monitoring.model_validate(
            mapping(mapping(raw.get("chaosrun")).get("monitoring"))
        )
    except ValidationError:
        return []  # the experiment model reports it
    return [issue(lines, c.path, c.message) for c in schedule_conflicts(raw, monitoring)]


# -- registered faults and probes ---------------------------------------------------------------


def has_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return bool(PLACEHOLDER.search(value))
    if isinstance(value, dict):
        return any(has_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(has_placeholder(v) for v in value)
    return False


PLUGIN_MODULES = ("chaosrun.faults.", "chaosrun.probes.")


def check_optional_packages(raw: Any, lines: LineMap) -> list[ValidationIssue]:
    """A tolerance form whose package is not installed fails here, before the run, with the
    command that installs it (chaoslib would fail mid-run)."""
    import importlib.util

    if importlib.util.find_spec("jsonpath2") is not None:
        return []
    out = []
    for path, activity in iter_activities(raw):
        tolerance = activity.get("tolerance")
        if isinstance(tolerance, dict) and tolerance.get("type") == "jsonpath":
            out.append(
                issue(
                    lines,
                    (*path, "tolerance", "type"),
                    "the jsonpath tolerance needs the jsonpath2 package: "
                    "pip install 'chaosrun[jsonpath]'",
                )
            )
    return out


def python_providers(
    activities: Iterable[tuple[FieldPath, dict[str, Any]]],
) -> Iterator[tuple[FieldPath, dict[str, Any], str, str]]:
    """``(path of the provider, provider, module, func)`` of the python providers among
    ``activities`` that name a module and a function."""
    for path, activity in activities:
        provider = activity.get("provider")
        if not isinstance(provider, dict) or provider.get("type") != "python":
            continue
        module, func = provider.get("module"), provider.get("func")
        if isinstance(module, str) and module and isinstance(func, str) and func:
            yield (*path, "provider"), provider, module, func


def check_plugin_arguments(raw: Any, lines: LineMap) -> list[ValidationIssue]:
    """Validate ``arguments`` of python providers naming a registered fault or probe.

    An argument whose value contains ``${...}`` is substituted at run time, so errors about it
    (and model-wide errors, which may depend on it) are left for the run.
    """
    out: list[ValidationIssue] = []
    for ppath, provider, module, func in python_providers(iter_activities(raw)):
        name = f"{module}.{func}"
        try:
            # only the provider's own module is imported (every plugin just for a suggestion)
            plugin = FAULTS.find(name) or PROBES.find(name)
        except Exception as exc:  # a broken plugin module must not hide every other issue
            out.append(issue(lines, ppath, f"cannot load the chaosrun plugin {name!r}: {exc}"))
            continue
        if plugin is None:
            if module.startswith(PLUGIN_MODULES) or module in (
                "chaosrun.faults",
                "chaosrun.probes",
            ):
                hint = suggest(name, FAULTS.names() + PROBES.names())
                msg = f"{name!r} is not a registered chaosrun fault or probe" + (
                    f"; did you mean {hint!r}?" if hint else "; run `chaosrun list faults`"
                )
                out.append(issue(lines, (*ppath, "func"), msg))
            continue
        args = provider.get("arguments", {})
        if not isinstance(args, dict):
            continue  # the experiment model reports the type
        try:
            plugin.params_model.model_validate(args)
        except ValidationError as exc:
            templated = {k for k, v in args.items() if has_placeholder(v)}
            kept = [
                e
                for e in exc.errors()
                if not ((e["loc"] and e["loc"][0] in templated) or (not e["loc"] and templated))
            ]
            if not kept:
                continue
            for found in issues_from_errors(
                kept, args, lines, plugin.params_model, (*ppath, "arguments"), what="argument"
            ):
                found.message = f"{found.message} ({name})"
                out.append(found)
    return out
