"""The scheduler under a fake clock: restarts, missed runs, blackouts, announcements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chaosrun.gameday.scheduler import ScheduleEntry, Scheduler
from chaosrun.gameday.windows import Blackout, Trigger


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday


def _entry(**kw) -> ScheduleEntry:  # type: ignore[no-untyped-def]
    base = {"name": "weekly", "plan": "gameday.yaml", "trigger": Trigger(cron="0 10 * * *")}
    return ScheduleEntry.model_validate({**base, **kw})


def _scheduler(tmp_path, clock, entry=None, launches=None, announced=None, **kw):  # type: ignore[no-untyped-def]
    launches = launches if launches is not None else []
    return Scheduler(
        [entry or _entry()],
        tmp_path / "state.json",
        launch=lambda e: launches.append((e.name, clock())) or 0,
        announce=lambda e, due: (announced if announced is not None else []).append(due),
        clock=clock,
        **kw,
    )


def test_runs_once_when_due_and_not_twice(tmp_path) -> None:
    clock, launches = FakeClock(T0), []
    sched = _scheduler(tmp_path, clock, launches=launches)
    assert sched.tick() == []
    clock.advance(hours=1, seconds=30)
    [outcome] = sched.tick()
    assert outcome.status == "ran" and outcome.due == T0 + timedelta(hours=1)
    assert sched.tick() == [] and len(launches) == 1
    # a fresh scheduler on the same state file does not run it again
    again = _scheduler(tmp_path, clock, launches=launches)
    assert again.tick() == [] and len(launches) == 1


def test_restart_mid_run_is_reported_not_rerun(tmp_path) -> None:
    clock = FakeClock(T0)

    class Crash(BaseException):
        pass

    def crash(entry: ScheduleEntry) -> int:
        raise Crash  # the process dies during the run (BaseException escapes)

    sched = Scheduler([_entry()], tmp_path / "state.json", launch=crash, clock=clock)
    sched.tick()
    clock.advance(hours=1, seconds=1)
    with pytest.raises(Crash):
        sched.tick()
    launches: list = []
    restarted = _scheduler(tmp_path, clock, launches=launches)
    outcomes = restarted.tick()
    assert [o.status for o in outcomes] == ["interrupted"]
    assert launches == []


def test_missed_runs_reported_and_only_latest_runs(tmp_path) -> None:
    clock, launches = FakeClock(T0), []
    sched = _scheduler(tmp_path, clock, launches=launches)
    sched.tick()
    clock.advance(days=2, hours=1, minutes=2)  # down across two occurrences, back 2 min late
    outcomes = sched.tick()
    assert [o.status for o in outcomes] == ["missed", "missed", "ran"]
    assert len(launches) == 1


def test_too_late_is_missed_not_run(tmp_path) -> None:
    clock, launches = FakeClock(T0), []
    sched = _scheduler(tmp_path, clock, launches=launches)
    sched.tick()
    clock.advance(hours=2)  # an hour after the occurrence: past the 5 min grace
    assert [o.status for o in sched.tick()] == ["missed"]
    assert launches == []


def test_blackout_skips(tmp_path) -> None:
    clock, launches = FakeClock(T0), []
    blackout = Blackout(start=T0, end=T0 + timedelta(days=1), reason="freeze")
    sched = _scheduler(tmp_path, clock, entry=_entry(blackouts=[blackout]), launches=launches)
    sched.tick()
    clock.advance(hours=1, seconds=5)
    [outcome] = sched.tick()
    assert outcome.status == "skipped-blackout" and "freeze" in outcome.detail
    assert launches == []
    clock.advance(days=1)
    assert [o.status for o in sched.tick()] == ["ran"]


def test_announces_once_ahead_of_the_run(tmp_path) -> None:
    clock, announced = FakeClock(T0), []
    sched = _scheduler(
        tmp_path, clock, entry=_entry(announce_before_minutes=30), announced=announced
    )
    sched.tick()
    assert announced == []
    clock.advance(minutes=31)
    assert [o.status for o in sched.tick()] == ["announced"]
    clock.advance(minutes=5)
    sched.tick()
    assert announced == [T0 + timedelta(hours=1)]


def test_one_off_runs_once(tmp_path) -> None:
    clock, launches = FakeClock(T0), []
    entry = _entry(trigger=Trigger(at=T0 + timedelta(minutes=10)))
    sched = _scheduler(tmp_path, clock, entry=entry, launches=launches)
    sched.tick()
    clock.advance(minutes=11)
    sched.tick()
    clock.advance(days=30)
    sched.tick()
    assert len(launches) == 1
    assert sched.next_wakeup() is None


def test_cron_honours_time_zone() -> None:
    trig = Trigger(cron="0 10 * * *", timezone="America/New_York")
    assert trig.next_after(T0) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_invalid_cron_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a valid cron expression"):
        Trigger(cron="61 * * * *")


def test_schedule_file_errors_are_located(tmp_path) -> None:
    from chaosrun.errors import ExperimentInvalid
    from chaosrun.gameday.scheduler import load_schedule_file

    path = tmp_path / "schedules.yaml"
    path.write_text(
        "schedules:\n"
        "  - name: weekly\n"
        "    plan: gameday.yaml\n"
        "    trigger: {cron: '0 10 * * *'}\n"
        "    anounce_before_minutes: 30\n"
    )
    with pytest.raises(ExperimentInvalid) as err:
        load_schedule_file(path)
    assert f"{path}:5: schedules[0].anounce_before_minutes" in str(err.value)


def test_announcement_reaches_chat_sinks_not_pagers(tmp_path) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from chaosrun.gameday.scheduler import announce

    got: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    sinks = [
        {"type": "webhook", "url": f"{url}/hook"},
        {"type": "pagerduty", "routing_key": {"env": "PD_KEY"}, "base_url": url},
    ]
    try:
        deliveries = announce(sinks, _entry(), T0 + timedelta(hours=1))
    finally:
        server.shutdown()
    status = {d.sink: d.status for d in deliveries}
    assert status == {"webhook": "delivered", "pagerduty": "skipped"}
    assert len(got) == 1 and got[0]["condition"] == "announcement"
