"""``chaosrun schedule run FILE`` (local scheduler) and ``chaosrun schedule aws ...``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaosrun.gameday.aws_schedules import AwsScheduler
    from chaosrun.gameday.scheduler import ScheduleEntry, Scheduler


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schedule", help="run game days and experiments on a schedule")
    ssub = p.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)

    run = ssub.add_parser("run", help="run the local scheduler (survives restarts)")
    run.add_argument("file", help="schedules file (schedules: [...], blackouts: [...])")
    run.add_argument("--state", help="state file (default: $CHAOSRUN_HOME/schedule-state.json)")
    run.add_argument("--once", action="store_true", help="handle what is due now, then exit")
    run.add_argument("--alerts", metavar="FILE", help="alert settings file for announcements")
    run.set_defaults(handler=cmd_run)

    status = ssub.add_parser("status", help="what the scheduler did: runs, missed, skipped")
    status.add_argument("file")
    status.add_argument("--state")
    status.set_defaults(handler=cmd_status)

    aws = ssub.add_parser("aws", help="EventBridge Scheduler schedules that start the runner")
    asub = aws.add_subparsers(dest="aws_command", metavar="ACTION", required=True)
    create = asub.add_parser("create", help="create a schedule from a schedules-file entry")
    create.add_argument("file")
    create.add_argument("name", help="entry name in the schedules file")
    create.add_argument("--target", required=True, help="YAML/JSON file: an ECS or Lambda target")
    create.add_argument("--region")
    create.set_defaults(handler=cmd_aws_create)
    lst = asub.add_parser("list")
    lst.add_argument("--region")
    lst.set_defaults(handler=cmd_aws_list)
    delete = asub.add_parser("delete")
    delete.add_argument("name")
    delete.add_argument("--region")
    delete.set_defaults(handler=cmd_aws_delete)


def _state_path(args: argparse.Namespace) -> Path:
    if args.state:
        return Path(args.state)
    home = os.environ.get("CHAOSRUN_HOME") or str(Path.home() / ".chaosrun")
    return Path(home) / "schedule-state.json"


def _command(plan: str) -> list[str]:
    kind = "gameday" if "gameday" in Path(plan).name else None
    if kind:
        return [sys.executable, "-m", "chaosrun", "gameday", "run", plan, "--yes"]
    return [sys.executable, "-m", "chaosrun", "run", plan]


def _scheduler(args: argparse.Namespace) -> Scheduler:
    from chaosrun.alerts.config import load_settings
    from chaosrun.gameday.scheduler import announce as announce_to_sinks
    from chaosrun.gameday.scheduler import load_schedule_file

    schedule = load_schedule_file(Path(args.file))
    base = Path(args.file).resolve().parent
    alert_settings = load_settings(getattr(args, "alerts", None))

    def launch(entry: ScheduleEntry) -> int:
        plan = str((base / entry.plan).resolve())
        print(f"{datetime.now():%H:%M:%S} starting {entry.name}: {plan}", flush=True)
        return subprocess.call(_command(plan))

    def announce(entry: ScheduleEntry, due: datetime) -> None:
        print(f"{datetime.now():%H:%M:%S} announce: {entry.name} starts at {due}", flush=True)
        for d in announce_to_sinks(schedule.alerts, entry, due, alert_settings):
            print(f"  {d.sink}: {d.status} {d.detail}", flush=True)

    return Scheduler(
        schedule.schedules,
        _state_path(args),
        launch=launch,
        announce=announce,
        global_blackouts=schedule.blackouts,
    )


def cmd_run(args: argparse.Namespace) -> int:
    sched = _scheduler(args)
    if args.once:
        for outcome in sched.tick():
            print(f"{outcome.schedule}: {outcome.status} (due {outcome.due}) {outcome.detail}")
        return 0
    stop = threading.Event()
    try:
        sched.run_forever(stop)
    except KeyboardInterrupt:
        stop.set()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    sched = _scheduler(args)
    for o in sched.report():
        code = f" exit {o.exit_code}" if o.exit_code is not None else ""
        print(f"{o.at:%Y-%m-%d %H:%M} {o.schedule:<24} {o.status:<17} due {o.due}{code} {o.detail}")
    nxt = sched.next_wakeup()
    print(f"next: {nxt}" if nxt else "nothing further is scheduled")
    return 0


def _aws(args: argparse.Namespace) -> AwsScheduler:
    from chaosrun.aws.clients import AwsClients, AwsSettings

    return AwsScheduler(AwsClients(AwsSettings(region=args.region)))


def cmd_aws_create(args: argparse.Namespace) -> int:
    import yaml
    from pydantic import TypeAdapter

    from chaosrun.errors import InvalidInput
    from chaosrun.gameday.aws_schedules import EcsTarget, LambdaTarget
    from chaosrun.gameday.scheduler import load_schedule_file

    entries = load_schedule_file(Path(args.file)).schedules
    entry = next((e for e in entries if e.name == args.name), None)
    if entry is None:
        raise InvalidInput(f"{args.file}: no schedule named {args.name!r}")
    target: EcsTarget | LambdaTarget = TypeAdapter(EcsTarget | LambdaTarget).validate_python(
        yaml.safe_load(Path(args.target).read_text())
    )
    command = ["chaosrun", "gameday", "run", entry.plan, "--yes"]
    if "gameday" not in Path(entry.plan).name:
        command = ["chaosrun", "run", entry.plan]
    arn = _aws(args).create(entry.name, entry.trigger, target, command)
    print(arn)
    return 0


def cmd_aws_list(args: argparse.Namespace) -> int:
    for s in _aws(args).list():
        print(f"{s.name:<30} {s.expression:<28} {s.timezone:<18} {s.state:<9} {s.target_arn}")
    return 0


def cmd_aws_delete(args: argparse.Namespace) -> int:
    _aws(args).delete(args.name)
    print(f"deleted {args.name}")
    return 0
