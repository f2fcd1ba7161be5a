"""Export a game day as an iCalendar (RFC 5545) invitation for its participants."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

from chaosrun import __version__


def invitation(
    *,
    title: str,
    start: datetime,
    duration: timedelta,
    description: str,
    organizer: str | None,
    attendees: list[str],
    location: str = "",
    uid_seed: str = "",
) -> bytes:
    """One VEVENT with organizer and attendees (emails become mailto: addresses)."""
    cal = Calendar()
    cal.add("prodid", f"-//chaosrun//{__version__}//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    seed = uid_seed or f"{title}|{start.isoformat()}"
    event.add("uid", hashlib.sha256(seed.encode()).hexdigest()[:32] + "@chaosrun")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + duration)
    event.add("summary", title)
    event.add("description", description)
    if location:
        event.add("location", location)
    if organizer:
        event.add("organizer", _address(organizer, "CHAIR"))
    for person in attendees:
        event.add("attendee", _address(person, "REQ-PARTICIPANT"), encode=False)
    cal.add_component(event)
    return bytes(cal.to_ical())


def _address(person: str, role: str) -> vCalAddress:
    addr = vCalAddress(f"mailto:{person}" if "@" in person else f"urn:chaosrun:{person}")
    addr.params["cn"] = vText(person.split("@")[0])
    addr.params["role"] = vText(role)
    return addr
