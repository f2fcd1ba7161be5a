"""``chaosrun report``: outputs from run journals.

- ``chaosrun report JOURNAL... [--html PATH] [--junit PATH] [--markdown PATH] [--link-base URL]``
  (no option: ``<journal stem>.html`` next to the journal);
- ``chaosrun report index DIR`` -- write ``DIR/index.html``;
- ``chaosrun report publish DIR DEST`` -- copy DIR to a folder or ``s3://bucket/prefix``.

``-`` as a PATH writes to standard output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaosrun.cli.collector import paused_collector
from chaosrun.errors import InvalidInput

if TYPE_CHECKING:  # imported when a journal is read: `chaosrun report --help` needs no pydantic
    from chaosrun.journal.model import Journal


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report",
        help="HTML, JUnit and Markdown from run journals; index and publish a reports directory",
        description=(
            "chaosrun report JOURNAL... [--html PATH] [--junit PATH] [--markdown PATH]\n"
            "chaosrun report index DIR\n"
            "chaosrun report publish DIR DEST   (DEST: a folder or s3://bucket/prefix)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("args", nargs="+", metavar="JOURNAL | index DIR | publish DIR DEST")
    p.add_argument("--html", metavar="PATH", help="HTML report (one journal only)")
    p.add_argument("--junit", metavar="PATH", help="JUnit XML (one suite per journal)")
    p.add_argument("--markdown", metavar="PATH", help="Markdown summary ('-' = stdout)")
    p.add_argument(
        "--link-base", metavar="URL", help="where the HTML reports will be, for Markdown links"
    )
    p.set_defaults(handler=run)


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)


def _load(path: str) -> Journal:
    from pydantic import ValidationError

    from chaosrun.journal.model import Journal

    try:
        return Journal.from_file(path)
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such journal file") from None
    except (ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise InvalidInput(
            f"{path}: not a chaosrun journal ({first}); give the .json written by `chaosrun run`"
        ) from None


def run(args: argparse.Namespace) -> int:
    words: list[str] = args.args
    if words[0] == "index" and not Path(words[0]).is_file():
        if len(words) != 2:
            raise InvalidInput("usage: chaosrun report index DIR")
        from chaosrun.report.index import write_index

        print(write_index(Path(words[1])))
        return 0
    if words[0] == "publish" and not Path(words[0]).is_file():
        if len(words) != 3:
            raise InvalidInput("usage: chaosrun report publish DIR DEST")
        from chaosrun.report.publish import publish

        written = publish(Path(words[1]), words[2])
        print(f"published {len(written)} files to {words[2]}")
        return 0

    # a short batch job: a long run's journal is about a million objects without cycles, and
    # pydantic's schemas and Jinja's templates live until exit (see chaosrun.cli.collector)
    with paused_collector():
        journals = [_load(p) for p in words]
        return _render(args, words, journals)


def _render(args: argparse.Namespace, words: list[str], journals: list[Journal]) -> int:
    if args.html and len(journals) != 1:
        raise InvalidInput("--html takes one journal; run `chaosrun report index DIR` for many")
    wrote = False
    if args.html:
        from chaosrun.report.html import render_html

        _write(args.html, render_html(journals[0]))
        wrote = True
    if args.junit:
        from chaosrun.report.junit import render_junit

        _write(args.junit, render_junit(journals))
        wrote = True
    if args.markdown:
        from chaosrun.report.markdown import render_markdown

        _write(args.markdown, render_markdown(journals, link_base=args.link_base))
        wrote = True
    if not wrote:
        from chaosrun.report.html import render_html

        for path, journal in zip(words, journals, strict=True):
            _write(str(Path(path).with_suffix(".html")), render_html(journal))
    return 0
