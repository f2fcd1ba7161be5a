"""``chaosrun gameday run|validate|note|ics|score``."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chaosrun.errors import InvalidInput


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gameday", help="plan, run and report game days")
    gsub = p.add_subparsers(dest="gameday_command", metavar="ACTION", required=True)

    run = gsub.add_parser("run", help="run a game-day plan with a live view")
    run.add_argument("plan")
    run.add_argument("--yes", action="store_true", help="skip approval gates (unattended)")
    run.add_argument("--reports-dir", default="reports", help="where the day's folder goes")
    run.set_defaults(handler=cmd_run)

    val = gsub.add_parser("validate", help="validate a plan and its experiments")
    val.add_argument("plan")
    val.set_defaults(handler=cmd_validate)

    note = gsub.add_parser("note", help="add a note to the running game day")
    note.add_argument("text")
    note.add_argument("--author")
    note.add_argument("--day", help="folder of a game day (default: the running one)")
    note.set_defaults(handler=cmd_note)

    ics = gsub.add_parser("ics", help="write an iCalendar invitation for the plan")
    ics.add_argument("plan")
    ics.add_argument("--start", help="ISO start (default: the plan's next scheduled time)")
    ics.add_argument("-o", "--output", help="file to write (default: stdout)")
    ics.set_defaults(handler=cmd_ics)

    score = gsub.add_parser("score", help="resilience scores from the journals in a folder")
    score.add_argument("reports_dir", nargs="?", default="reports")
    score.add_argument("--json", action="store_true")
    score.set_defaults(handler=cmd_score)


def cmd_validate(args: argparse.Namespace) -> int:
    from chaosrun.gameday.plan import load_plan

    loaded = load_plan(args.plan)
    print(f"OK {args.plan} ({len(loaded.plan.experiments)} experiments)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from chaosrun.cli.sandboxed import sandboxed
    from chaosrun.gameday.plan import load_plan
    from chaosrun.gameday.run import GameDay

    loaded = load_plan(args.plan)
    env = loaded.plan.environment
    context = sandboxed(env.regions or None) if env.sandbox else nullcontext()
    with context:
        day = GameDay(loaded, Path(args.reports_dir), yes=args.yes)
        record = day.run()
    print(f"game day {record.status}; report: {day.day_dir / 'index.html'}")
    for step in record.steps:
        verdict = step.verdict.value if step.verdict else "-"
        print(f"  {step.index:2d}. {step.title:<50} {step.status:<12} {verdict}")
    return record.exit_code


def cmd_note(args: argparse.Namespace) -> int:
    from chaosrun.gameday.notes import add_note

    note = add_note(args.text, args.author, Path(args.day) if args.day else None)
    print(f"noted at {note.at:%H:%M:%S} by {note.author}")
    return 0


def cmd_ics(args: argparse.Namespace) -> int:
    from chaosrun.gameday.ics import invitation
    from chaosrun.gameday.plan import load_plan

    plan = load_plan(args.plan).plan
    if args.start:
        start = datetime.fromisoformat(args.start)
        if start.tzinfo is None:
            raise InvalidInput("--start needs a UTC offset, e.g. 2026-12-01T10:00:00+00:00")
    elif plan.schedule is not None:
        nxt = plan.schedule.next_after(datetime.now(UTC))
        if nxt is None:
            raise InvalidInput(f"{args.plan}: the schedule has no future date; give --start")
        start = nxt
    else:
        raise InvalidInput(f"{args.plan} has no schedule; give --start")
    lines = [plan.purpose, "", "Experiments:"]
    lines += [f"{i}. {s.title or s.experiment}" for i, s in enumerate(plan.experiments, 1)]
    lines += ["", 'Add notes during the day: chaosrun gameday note "..."']
    data = invitation(
        title=f"Game day: {plan.title}",
        start=start,
        duration=timedelta(minutes=plan.duration_minutes),
        description="\n".join(lines),
        organizer=plan.coordinator or plan.owner,
        attendees=[plan.owner, *plan.observers],
        uid_seed=f"{args.plan}|{start.isoformat()}",
    )
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.write(data.decode())
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from chaosrun.gameday.score import service_scores
    from chaosrun.report.index import load_journals

    journals = [j for _, j in load_journals(Path(args.reports_dir))]
    scores = service_scores(journals, datetime.now(UTC))
    if args.json:
        print("[" + ",".join(s.model_dump_json() for s in scores) + "]")
        return 0
    for svc in scores:
        print(f"{svc.service:<40} {svc.score:5.1f}")
        for e in svc.experiments:
            stale = " (stale)" if e.stale else ""
            print(f"    {e.experiment:<36} {e.score:5.1f}  {e.runs} runs{stale}")
    if not scores:
        print(f"no journals in {args.reports_dir}")
    return 0
