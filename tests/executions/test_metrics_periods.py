"""Periods of the metrics pages: the range parameter, bucket starts, and buckets matching the database's."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from executions import metrics
from executions.models import WorkflowExecution

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(("value", "key"), [(None, "24h"), ("", "24h"), ("24h", "24h"), ("7d", "7d"), ("30d", "30d")])
def test_range_parameter(value, key):
    assert metrics.period_from(value).key == key


def test_unknown_range_names_the_parameter():
    with pytest.raises(ValueError, match=r"range: must be one of 24h, 7d, 30d, not '1y'"):
        metrics.period_from("1y")


def test_hour_buckets_end_with_the_current_hour():
    now = datetime.datetime(2026, 12, 1, 5, 41, 7, tzinfo=datetime.UTC)

    starts = metrics.PERIODS["24h"].bucket_starts(now)

    assert len(starts) == 24
    assert starts[-1] == datetime.datetime(2026, 12, 1, 5, tzinfo=datetime.UTC)
    assert starts[0] == datetime.datetime(2026, 11, 30, 6, tzinfo=datetime.UTC)
    assert metrics.PERIODS["24h"].since(now) == starts[0]


def test_day_buckets_are_local_midnights_across_a_daylight_saving_change():
    now = datetime.datetime(2026, 3, 31, 12, tzinfo=PARIS)  # clocks went forward on 29 March

    with timezone.override(PARIS):
        starts = metrics.PERIODS["7d"].bucket_starts(now)

    assert [(start.month, start.day, start.hour) for start in starts] == [(3, day, 0) for day in range(25, 32)]
    # Midnight of the 29th is still winter time: the change is at 02:00.
    assert [start.utcoffset() for start in starts[:5]] == [datetime.timedelta(hours=1)] * 5
    assert [start.utcoffset() for start in starts[5:]] == [datetime.timedelta(hours=2)] * 2


def test_timeline_buckets_match_the_database_truncation_in_the_local_time_zone(make_workflow):
    workflow = make_workflow([])
    now = datetime.datetime(2026, 3, 31, 12, tzinfo=PARIS)
    for at in (
        datetime.datetime(2026, 3, 28, 23, 30, tzinfo=PARIS),  # 22:30 UTC on the 28th
        datetime.datetime(2026, 3, 29, 0, 30, tzinfo=PARIS),  # 23:30 UTC on the 28th, a Paris day later
        datetime.datetime(2026, 3, 29, 3, 30, tzinfo=PARIS),  # after the change
    ):
        WorkflowExecution.objects.create(workflow=workflow, status="COMPLETED", started_at=at, duration=10)

    with timezone.override(PARIS):
        timeline = metrics.metrics_workflow(workflow=workflow, period=metrics.PERIODS["7d"], now=now)["timeline"]

    assert [(bucket["label"], bucket["completed"]) for bucket in timeline] == [
        ("Mar 25", 0),
        ("Mar 26", 0),
        ("Mar 27", 0),
        ("Mar 28", 1),
        ("Mar 29", 2),
        ("Mar 30", 0),
        ("Mar 31", 0),
    ]
