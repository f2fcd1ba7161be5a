"""Python providers that ``chaosrun run`` would refuse while preparing the experiment.

Before anything runs, the engine hands every hypothesis probe (and its probe tolerance), method
activity and rollback to chaoslib's ``ensure_activity_is_valid``; for a python provider that
imports the module, looks the function up among its functions and builtins, reads its signature
and binds the ``arguments`` to it (``configuration`` and ``secrets`` are supplied by the run).
:func:`check_python_providers` makes the same checks, located by file, line and field path,
without calling the function: it imports the provider's module, as ``chaos validate`` does.
Dynamic-configuration probes are left out (a failing one leaves its key unset, the run goes on),
and so are chaosrun's registered faults and probes (their parameter models are checked instead).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from chaosrun.errors import ValidationIssue
from chaosrun.experiment.source import FieldPath, LineMap
from chaosrun.experiment.validate import issue, iter_activities, python_providers, suggest
from chaosrun.plugins import FAULTS, PROBES

#: parameters the run fills in itself, never from ``arguments`` (as chaoslib binds them)
RUN_SUPPLIED = ("configuration", "secrets")


def check_python_providers(raw: Any, lines: LineMap) -> list[ValidationIssue]:
    out: list[ValidationIssue] = []
    for where, provider, module, func in python_providers(_prepared_activities(raw)):
        out += _check(module, func, provider, where, lines)
    return out


def _prepared_activities(raw: Any) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """The activities the engine validates with chaoslib before the run (refs excluded)."""
    for path, activity in iter_activities(raw):
        if "ref" in activity:
            continue
        section, rest = path[0], path[1:]
        top_level = section in ("method", "rollbacks") and len(rest) == 1
        hypothesis = section == "steady-state-hypothesis" and rest[2:] in ((), ("tolerance",))
        if top_level or hypothesis:
            yield path, activity


def _check(
    module: str, func: str, provider: dict[str, Any], where: FieldPath, lines: LineMap
) -> list[ValidationIssue]:
    if _registered(f"{module}.{func}") or module.startswith(("chaosrun.faults", "chaosrun.probes")):
        return []  # check_plugin_arguments validates these against their parameter models
    mod, problem = _import(module)
    if mod is None:
        return [issue(lines, (*where, "module"), problem)]
    name = f"{module}.{func}"
    functions = _functions(mod)
    target = functions.get(func)
    if target is None and hasattr(mod, func):
        kind = type(getattr(mod, func)).__name__
        msg = (
            f"{name} is a {kind}, not a function: chaoslib only calls a module's functions, so "
            "the run refuses it; call it from a Python function of your own"
        )
        return [issue(lines, (*where, "func"), msg)]
    if target is None:
        hint = suggest(func, [n for n in functions if not n.startswith("_")])
        return [
            issue(
                lines,
                (*where, "func"),
                f"Python module {module!r} has no function {func!r}"
                + (f"; did you mean {hint!r}?" if hint else ""),
            )
        ]
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError) as exc:
        return [
            issue(
                lines,
                (*where, "func"),
                f"cannot read the signature of {name} ({exc}); chaoslib needs it to check the "
                "arguments, so the run refuses it: call it from a Python function of your own",
            )
        ]
    arguments = provider.get("arguments", {})
    if not isinstance(arguments, dict):
        return []  # the experiment model reports the type
    # a missing argument is reported at `arguments`, or at the provider when it has none
    at = (*where, "arguments") if "arguments" in provider else where
    return _bind(sig, name, arguments, at, lines)


def _registered(name: str) -> bool:
    try:
        return (FAULTS.find(name) or PROBES.find(name)) is not None
    except Exception:  # a broken plugin module: check_plugin_arguments reports it
        return True


def _import(module: str) -> tuple[ModuleType | None, str]:
    try:
        return importlib.import_module(module), ""
    except ImportError as exc:
        return None, (
            f"cannot import Python module {module!r} ({exc}): install the package that provides "
            "it, or add its directory to PYTHONPATH"
        )
    except (Exception, SystemExit) as exc:  # the module's own code failed: not a traceback here
        return None, f"importing Python module {module!r} failed: {type(exc).__name__}: {exc}"


def _functions(mod: ModuleType) -> dict[str, Callable[..., Any]]:
    """What chaoslib accepts as ``func``: the module's functions and builtins (not classes)."""
    return dict(inspect.getmembers(mod, lambda m: inspect.isfunction(m) or inspect.isbuiltin(m)))


def _bind(
    sig: inspect.Signature, name: str, arguments: dict[str, Any], at: FieldPath, lines: LineMap
) -> list[ValidationIssue]:
    args = dict(arguments)
    args.update({p: None for p in RUN_SUPPLIED if p in sig.parameters})
    try:
        sig.bind(**args)
    except TypeError as exc:
        return _explain(sig, name, args, exc, at, lines)
    return []


def _explain(
    sig: inspect.Signature,
    name: str,
    args: dict[str, Any],
    exc: TypeError,
    at: FieldPath,
    lines: LineMap,
) -> list[ValidationIssue]:
    """One issue per unexpected or missing argument; the binding error when it is neither."""
    params = sig.parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    keyword = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    out: list[ValidationIssue] = []
    for arg in args:
        if arg not in keyword and not takes_any:
            hint = suggest(arg, keyword)
            accepted = ", ".join(n for n in keyword if n not in RUN_SUPPLIED) or "none"
            msg = f"unexpected argument {arg!r} for {name}" + (
                f"; did you mean {hint!r}?" if hint else f" (it takes: {accepted})"
            )
            out.append(issue(lines, (*at, arg), msg))
    for n in keyword:
        if params[n].default is params[n].empty and n not in args:
            msg = f"missing required argument {n!r} of {name}: add it under arguments"
            out.append(issue(lines, at, msg))
    return out or [issue(lines, at, f"{name}: {exc}")]
