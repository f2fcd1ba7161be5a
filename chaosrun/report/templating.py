"""The jinja2 environment of the report templates (autoescaped; HTML is never built by hand)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
import markupsafe

from chaosrun.report.charts import fmt_elapsed, fmt_number
from chaosrun.report.common import compact, format_duration, format_time

TEMPLATES = Path(__file__).with_name("templates")

#: the Content-Security-Policy every generated page carries: nothing may load from anywhere
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
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
