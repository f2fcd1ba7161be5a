"""Journal events stay in time order even when one is reported after later ones happened."""

from __future__ import annotations

from datetime import timedelta

from chaosrun.engine.state import RunState
from chaosrun.ledger import now


def test_an_event_reported_late_is_placed_at_its_time() -> None:
    state = RunState()
    injected = now() - timedelta(seconds=2)
    state.event("deviation", "the monitor saw the throttle first", at=injected + timedelta(0, 1))
    state.event("fault-injected", "reported once the fan-out returned", at=injected)
    state.event("fault-restored", "now, after both")
    assert [e.kind for e in state.events] == ["fault-injected", "deviation", "fault-restored"]
    assert state.events[0].at == injected
