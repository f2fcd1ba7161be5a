"""The jinja2 environment of the report templates (autoescaped; HTML is never built by hand)."""

from __future__ import annotations

import contextlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from jinja2 import bccache

from chaosrun.report.charts import fmt_elapsed, fmt_number
from chaosrun.report.common import compact, format_duration, format_time

TEMPLATES = Path(__file__).with_name("templates")

#: the Content-Security-Policy every generated page carries: nothing may load from anywhere
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


#: how the templates are compiled (besides their source and Jinja's version)
OPTIONS: dict[str, Any] = {
    "autoescape": True,
    "undefined": jinja2.StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
}


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates; one it cannot read or write is compiled again.

    Jinja checks an entry against the template's source; the key adds what else the compiled
    code depends on (Jinja's version, :data:`OPTIONS`), so a change there compiles afresh.
    """

    salt = f"{jinja2.__version__} {sorted(OPTIONS.items())!r}"

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{self.salt}|{name}", filename)

    def load_bytecode(self, bucket: bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _BytecodeCache()
    except (RuntimeError, OSError):  # no private temp directory to be had: compile every time
        return None


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return build_environment(_bytecode_cache())


def build_environment(bytecode_cache: jinja2.BytecodeCache | None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        # Compiling the templates takes ~50 ms, a tenth of `chaosrun report` on a one-hour run;
        # like Python's __pycache__, the compiled code is kept (per user, in a private temp
        # directory, keyed by the template source) and compiled again when a template changes.
        bytecode_cache=bytecode_cache,
        **OPTIONS,
    )
    env.filters.update(
        compact=compact,
        duration=format_duration,
        time=format_time,
        number=fmt_number,
        elapsed=fmt_elapsed,
    )
    env.globals["CSP"] = markupsafe.Markup(CSP)  # a constant: no escaping of its quotes
    return env


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
