"""Cron schedules in time zones: validation messages, and run times across DST changes."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from core.platform.errors import ValidationError
from core.platform.schedule import check_timezone, next_run_times, next_run_utc, parse_cron

BERLIN = ZoneInfo("Europe/Berlin")


def local(times: list[datetime]) -> list[str]:
    return [t.strftime("%Y-%m-%d %H:%M %Z") for t in times]


def utc(times: list[datetime]) -> list[str]:
    return [t.astimezone(timezone.utc).strftime("%m-%d %H:%M") for t in times]


@pytest.mark.parametrize("expr, normalised", [
    ("0 6 * * 1-5", "0 6 * * 1-5"),
    ("  30   2 * *   *  ", "30 2 * * *"),
    ("*/15 9-17 * JAN-MAR MON-FRI", "*/15 9-17 * JAN-MAR MON-FRI"),
    ("@daily", "@daily"),
])
def test_valid_expressions_come_back_normalised(expr, normalised) -> None:
    assert parse_cron(expr) == normalised


@pytest.mark.parametrize("expr, reason", [
    ("61 * * * *", "the minute field '61' is out of range or malformed (0-59)"),
    ("0 24 * * *", "the hour field '24' is out of range or malformed (0-23)"),
    ("0 0 * 13 *", "the month field '13' is out of range or malformed"),
    ("*/0 * * * *", "the minute field '*/0' is out of range or malformed"),
    ("* * *", "it has 3 fields; write five: minute hour day-of-month month day-of-week"),
    ("0 0 * * * 30", "it has 6 fields"),
    ("", "it is empty"),
    ("@reboot", "unknown alias"),
    ("0 0 30 2 *", "it never matches a real date"),
    ("H 6 * * *", "random and hashed values (R, H) are not supported"),
])
def test_invalid_expressions_say_what_is_wrong(expr, reason) -> None:
    with pytest.raises(ValidationError) as err:
        parse_cron(expr)
    assert str(err.value).startswith(f"'{expr}' is not a valid cron expression: ")
    assert reason in str(err.value)


def test_time_zones_are_iana_names() -> None:
    assert check_timezone(" Europe/Berlin ") == BERLIN
    assert check_timezone("UTC").key == "UTC"


@pytest.mark.parametrize("name, hint", [
    ("Europe/Berln", "Did you mean 'Europe/Berlin'?"),
    ("europe/berlin", "Did you mean 'Europe/Berlin'?"),
    ("Mars/Olympus_Mons", "Use a name such as 'UTC'"),
    ("localtime", "Use a name such as"),  # on disk, but it means "the server's zone"
    ("../../etc/passwd", "Use a name such as"),
])
def test_unknown_zones_are_refused_with_a_hint(name, hint) -> None:
    with pytest.raises(ValidationError) as err:
        check_timezone(name)
    assert f"'{name}' is not a known IANA time zone." in str(err.value)
    assert hint in str(err.value)


def test_run_times_are_wall_clock_times_in_the_zone() -> None:
    times = next_run_times("0 9 * * 1-5", "America/New_York",
                           datetime(2025, 6, 6, 12, tzinfo=timezone.utc))  # a Friday
    assert local(times) == ["2025-06-06 09:00 EDT", "2025-06-09 09:00 EDT",
                            "2025-06-10 09:00 EDT", "2025-06-11 09:00 EDT",
                            "2025-06-12 09:00 EDT"]
    assert all(t.tzinfo == ZoneInfo("America/New_York") for t in times)


def test_the_spring_gap_runs_once_at_the_first_instant_after_it() -> None:
    # Berlin skips 02:00-03:00 on 30 March 2025: 02:30 does not exist that day.
    times = next_run_times("30 2 * * *", BERLIN, datetime(2025, 3, 28, 12, tzinfo=BERLIN), 4)
    assert local(times) == ["2025-03-29 02:30 CET", "2025-03-30 03:00 CEST",
                            "2025-03-31 02:30 CEST", "2025-04-01 02:30 CEST"]
    assert utc(times) == ["03-29 01:30", "03-30 01:00", "03-31 00:30", "04-01 00:30"]


def test_several_times_inside_the_gap_collapse_into_one_run() -> None:
    times = next_run_times("15,45 2 * * *", BERLIN, datetime(2025, 3, 30, 0, tzinfo=BERLIN), 3)
    assert local(times) == ["2025-03-30 03:00 CEST", "2025-03-31 02:15 CEST",
                            "2025-03-31 02:45 CEST"]


def test_the_autumn_overlap_runs_at_both_instants() -> None:
    # Berlin lives 02:00-03:00 twice on 26 October 2025 (CEST, then CET).
    times = next_run_times("30 2 * * *", BERLIN, datetime(2025, 10, 25, 12, tzinfo=BERLIN), 3)
    assert local(times) == ["2025-10-26 02:30 CEST", "2025-10-26 02:30 CET",
                            "2025-10-27 02:30 CET"]
    assert utc(times) == ["10-26 00:30", "10-26 01:30", "10-27 01:30"]


def test_after_the_first_of_the_two_the_second_comes_next() -> None:
    first_instant = datetime(2025, 10, 26, 0, 30, tzinfo=timezone.utc)  # 02:30 CEST
    assert next_run_utc("30 2 * * *", "Europe/Berlin", first_instant) == datetime(
        2025, 10, 26, 1, 30, tzinfo=timezone.utc)


def test_next_run_utc_is_strictly_after_and_in_utc() -> None:
    after = datetime(2025, 1, 15, 6, 0, tzinfo=timezone.utc)
    assert next_run_utc("0 6 * * *", "UTC", after) == datetime(2025, 1, 16, 6, tzinfo=timezone.utc)
    assert next_run_utc("0 7 * * *", "Europe/Berlin", after).tzinfo == timezone.utc


def test_a_naive_start_is_a_bug() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_run_times("* * * * *", "UTC", datetime(2025, 1, 1))
