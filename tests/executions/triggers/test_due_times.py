"""The schedule's due-time arithmetic: cron in a time zone (DST included), intervals, missed runs."""

from datetime import datetime

import pytest

from executions.triggers.schedule import due_times


def at(text):
    return datetime.fromisoformat(text)


CASES = [
    # (name, schedule, after, now, missed, expected due times in UTC)
    ("nothing due yet", {"cron": "* * * * *"}, "2026-01-01T00:00:30Z", "2026-01-01T00:00:59Z", "skip", []),
    (
        "a due time exactly now fires",
        {"cron": "* * * * *"},
        "2026-01-01T00:00:30Z",
        "2026-01-01T00:01:00Z",
        "skip",
        ["2026-01-01T00:01:00Z"],
    ),
    (
        "the last fired time never fires again",
        {"cron": "* * * * *"},
        "2026-01-01T00:01:00Z",
        "2026-01-01T00:01:30Z",
        "skip",
        [],
    ),
    (
        "skip: missed runs dropped, the latest within grace fires",
        {"cron": "* * * * *"},
        "2026-01-01T00:00:30Z",
        "2026-01-01T00:05:30Z",
        "skip",
        ["2026-01-01T00:05:00Z"],
    ),
    (
        "skip: the latest is older than the grace",
        {"cron": "0 * * * *"},
        "2026-01-01T00:30:00Z",
        "2026-01-01T03:02:00Z",
        "skip",
        [],
    ),
    (
        "catch up: every missed run, in order",
        {"cron": "* * * * *"},
        "2026-01-01T00:00:30Z",
        "2026-01-01T00:03:30Z",
        "catchUp",
        ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z", "2026-01-01T00:03:00Z"],
    ),
    (
        "cron in a time zone",
        {"cron": "0 9 * * *", "timezone": "Europe/Paris"},
        "2026-01-10T00:00:00Z",
        "2026-01-11T12:00:00Z",
        "catchUp",
        ["2026-01-10T08:00:00Z", "2026-01-11T08:00:00Z"],
    ),
    (
        "spring forward: 09:00 local moves from 08:00 to 07:00 UTC",
        {"cron": "0 9 * * *", "timezone": "Europe/Paris"},
        "2026-03-28T00:00:00Z",
        "2026-03-29T12:00:00Z",
        "catchUp",
        ["2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z"],
    ),
    (
        "spring forward: a skipped local time fires once, an hour later in local terms",
        {"cron": "30 2 * * *", "timezone": "Europe/Paris"},
        "2026-03-28T12:00:00Z",
        "2026-03-31T00:00:00Z",
        "catchUp",
        ["2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"],
    ),
    (
        "spring forward: a 30-minute cron keeps its pace through the gap",
        {"cron": "*/30 * * * *", "timezone": "Europe/Paris"},
        "2026-03-29T00:40:00Z",
        "2026-03-29T02:10:00Z",
        "catchUp",
        ["2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:00:00Z"],
    ),
    (
        "fall back: a repeated local time fires once, at its first occurrence",
        {"cron": "30 1 * * *", "timezone": "America/New_York"},
        "2026-10-31T12:00:00Z",
        "2026-11-02T12:00:00Z",
        "catchUp",
        ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"],
    ),
    (
        "fall back: 09:00 local moves from 13:00 to 14:00 UTC",
        {"cron": "0 9 * * *", "timezone": "America/New_York"},
        "2026-10-31T00:00:00Z",
        "2026-11-01T20:00:00Z",
        "catchUp",
        ["2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z"],
    ),
    (
        "an alias",
        {"cron": "@hourly"},
        "2026-01-01T00:10:00Z",
        "2026-01-01T02:00:00Z",
        "catchUp",
        ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"],
    ),
    (
        "interval counts from the last firing",
        {"interval": 90},
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:04:00Z",
        "catchUp",
        ["2026-01-01T00:01:30Z", "2026-01-01T00:03:00Z"],
    ),
    (
        "interval, skip: only the latest",
        {"interval": 60},
        "2026-01-01T00:00:30Z",
        "2026-01-01T00:05:30Z",
        "skip",
        ["2026-01-01T00:05:30Z"],
    ),
    (
        "interval, skip: the latest is too late",
        {"interval": 3600},
        "2026-01-01T00:00:00Z",
        "2026-01-01T01:05:00Z",
        "skip",
        [],
    ),
    (
        "interval ignores time zones",
        {"interval": 86400},
        "2026-03-28T12:00:00Z",
        "2026-03-29T12:00:30Z",
        "catchUp",
        ["2026-03-29T12:00:00Z"],
    ),
    (
        "a clock behind the anchor fires nothing",
        {"interval": 60},
        "2026-01-01T00:10:00Z",
        "2026-01-01T00:00:00Z",
        "catchUp",
        [],
    ),
]


@pytest.mark.parametrize(
    ("schedule", "after", "now", "missed", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_due_times(schedule, after, now, missed, expected):
    times = due_times(after=at(after), now=at(now), missed=missed, grace_s=60, **schedule)

    assert times == [at(text) for text in expected]


def test_catch_up_is_batched_and_goes_on_from_the_last_one():
    first = due_times(
        cron="* * * * *", after=at("2026-01-01T00:00:00Z"), now=at("2026-01-01T10:00:00Z"), missed="catchUp", limit=50
    )
    second = due_times(cron="* * * * *", after=first[-1], now=at("2026-01-01T10:00:00Z"), missed="catchUp", limit=50)

    assert len(first) == len(second) == 50
    assert second[0] == at("2026-01-01T00:51:00Z")
