"""Cron schedules with IANA time zones: validation with readable messages, and the next run times.

A schedule is a standard five-field cron expression (``minute hour day-of-month month
day-of-week``, or an alias such as ``@daily``) read in a time zone, so "30 2 * * *" in
Europe/Berlin means 02:30 on Berlin's wall clock all year round. As in cron, when both day fields
are restricted a day matching either of them runs.

Daylight-saving time follows croniter (which does the arithmetic):

* **Spring gap** — a wall-clock time that does not exist that day runs once, at the first
  instant after the gap: "30 2 * * *" in Europe/Berlin runs at 03:00 CEST on the last Sunday of
  March. Several times inside the gap ("15,45 2 * * *") collapse into that one run.
* **Autumn overlap** — a wall-clock time that happens twice runs twice, once at each instant:
  "30 2 * * *" runs at 02:30 CEST and again at 02:30 CET (an hour later) on the last Sunday of
  October. Each is a distinct UTC instant, so each is its own scheduled slot.

Seconds fields and croniter's random/hashed extensions (``R``, ``H``) are refused: a schedule
must give the same times every time it is read.
"""

from __future__ import annotations

import difflib
import functools
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, available_timezones

from croniter import CroniterError, croniter

from core.platform.errors import ValidationError
from core.platform.words import counted

FIELDS = (("minute", "0-59"), ("hour", "0-23"), ("day-of-month", "1-31"),
          ("month", "1-12 or JAN-DEC"), ("day-of-week", "0-6 or SUN-SAT, 0 is Sunday"))
PREVIEW_COUNT = 5
_NOT_IANA = frozenset({"localtime", "Factory"})  # on disk, but not zones a user means
_EXTENSION = re.compile(r"(?:^|[\s,])[HR](?=$|[\s,/(])", re.IGNORECASE)
_ANY_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)


def parse_cron(expr: str) -> str:
    """Return ``expr`` with its whitespace normalised; raise ``ValidationError`` saying which
    part is wrong, e.g. "'61 * * * *' is not a valid cron expression: the minute field '61' is
    out of range (0-59)"."""
    text = " ".join(str(expr).split())
    problem = _cron_problem(text)
    if problem:
        raise ValidationError(f"'{text}' is not a valid cron expression: {problem}.")
    return text


def _cron_problem(text: str) -> str | None:
    if not text:
        return "it is empty"
    parts = text.split(" ")
    if not text.startswith("@") and len(parts) != len(FIELDS):
        return (f"it has {counted(len(parts), 'field')}; write five: "
                "minute hour day-of-month month day-of-week")
    if _EXTENSION.search(text):
        return "random and hashed values (R, H) are not supported; write the times out"
    try:
        croniter(text)
    except CroniterError as exc:
        return _field_problem(parts) or str(exc)
    try:
        croniter(text, _ANY_DATE).get_next(datetime)
    except CroniterError:
        return "it never matches a real date"
    return None


def _field_problem(parts: list[str]) -> str | None:
    """Which field breaks the expression, checked one at a time with the others set to '*'."""
    if len(parts) != len(FIELDS):  # an unknown @alias
        return "unknown alias; use @yearly, @monthly, @weekly, @daily, @hourly or five fields"
    for index, ((name, allowed), value) in enumerate(zip(FIELDS, parts)):
        probe = ["*"] * len(FIELDS)
        probe[index] = value
        try:
            croniter(" ".join(probe))
        except CroniterError:
            return f"the {name} field '{value}' is out of range or malformed ({allowed})"
    return None


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Every IANA time zone name known on this machine, sorted (the UI offers these)."""
    return tuple(sorted(available_timezones() - _NOT_IANA))


def check_timezone(name: str) -> ZoneInfo:
    """The zone called ``name``; ``ValidationError`` (with a suggestion when one is close) if
    it is not an IANA time zone name such as 'Europe/Berlin'."""
    name = str(name).strip()
    if not name:
        raise ValidationError("The time zone is empty; use an IANA name such as 'UTC' or "
                              "'Europe/Berlin'.")
    if name not in zone_names():
        raise ValidationError(f"'{name}' is not a known IANA time zone. {_zone_hint(name)}")
    return ZoneInfo(name)


def _zone_hint(name: str) -> str:
    by_lower = {zone.lower(): zone for zone in zone_names()}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.8)
    if close:
        return f"Did you mean '{by_lower[close[0]]}'?"
    return "Use a name such as 'UTC', 'Europe/Berlin' or 'America/New_York'."


def next_run_times(expr: str, tz: str | ZoneInfo, after: datetime,
                   count: int = PREVIEW_COUNT) -> list[datetime]:
    """The next ``count`` times ``expr`` fires strictly after ``after``, as aware datetimes in
    zone ``tz`` (DST handled as the module docstring says)."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    zone = tz if isinstance(tz, ZoneInfo) else check_timezone(tz)
    times = croniter(parse_cron(expr), after.astimezone(zone))
    return [times.get_next(datetime) for _ in range(count)]


def next_run_utc(expr: str, tz: str | ZoneInfo, after: datetime) -> datetime:
    """The next run after ``after`` in UTC: what a job stores in ``next_run_at``."""
    return next_run_times(expr, tz, after, 1)[0].astimezone(timezone.utc)
