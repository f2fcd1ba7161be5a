"""iCalendar invitations parse back with the participants."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from chaosrun.gameday.ics import invitation


def test_invitation_round_trips() -> None:
    data = invitation(
        title="Orders game day",
        start=datetime(2026, 12, 1, 10, tzinfo=UTC),
        duration=timedelta(hours=2),
        description="Region failover; notes in #gameday",
        organizer="alice@example.com",
        attendees=["bob@example.com", "carol"],
    )
    cal = Calendar.from_ical(data)
    [event] = cal.walk("VEVENT")
    assert str(event["summary"]) == "Orders game day"
    assert event["dtend"].dt - event["dtstart"].dt == timedelta(hours=2)
    assert str(event["organizer"]) == "mailto:alice@example.com"
    attendees = [str(a) for a in event["attendee"]]
    assert attendees == ["mailto:bob@example.com", "urn:chaosrun:carol"]
    assert b"METHOD:REQUEST" in data
