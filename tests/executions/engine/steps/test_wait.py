"""WAIT: a duration in any unit or an absolute `until`, answered with Sleep (no thread held)."""

from datetime import timedelta

import pytest

from executions.engine.errors import STEP_ERROR, StepError
from executions.engine.outcomes import Completed, Sleep
from executions.engine.steps.wait import Wait, due_time
from tests.support.invocations import NOW, invocation


def run(config, *, state=None, now=NOW):
    return Wait().execute(invocation(config, type_name="WAIT", state=state, now=now))


@pytest.mark.parametrize(
    ("config", "delta"),
    [
        ({"duration": 1500}, timedelta(milliseconds=1500)),
        ({"duration": 250, "unit": "ms"}, timedelta(milliseconds=250)),
        ({"duration": 250, "unit": "milliseconds"}, timedelta(milliseconds=250)),
        ({"duration": 2, "unit": "s"}, timedelta(seconds=2)),
        ({"duration": 2, "unit": "seconds"}, timedelta(seconds=2)),
        ({"duration": 0.5, "unit": "s"}, timedelta(milliseconds=500)),
        ({"duration": 3, "unit": "min"}, timedelta(minutes=3)),
        ({"duration": 3, "unit": "minutes"}, timedelta(minutes=3)),
        ({"duration": 1, "unit": "h"}, timedelta(hours=1)),
        ({"duration": 1.5, "unit": "hours"}, timedelta(minutes=90)),
    ],
)
def test_duration_units(config, delta):
    assert due_time(config, NOW) == NOW + delta
    outcome = run(config)
    assert isinstance(outcome, Sleep)
    assert outcome.until == NOW + delta
    assert outcome.state == {"until": (NOW + delta).isoformat()}


def test_zero_duration_completes_at_once():
    outcome = run({"duration": 0, "unit": "h"})
    assert isinstance(outcome, Completed)
    assert outcome.output == {"waitedUntil": NOW.isoformat()}


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        ("2026-01-01T13:00:00Z", NOW + timedelta(hours=1)),
        ("2026-01-01T13:00:00+00:00", NOW + timedelta(hours=1)),
        ("2026-01-01T14:00:00+01:00", NOW + timedelta(hours=1)),
        ("2026-01-01T12:00:00.250Z", NOW + timedelta(milliseconds=250)),
    ],
)
def test_until_in_the_future_sleeps_until_then(until, expected):
    outcome = run({"until": until})
    assert isinstance(outcome, Sleep)
    assert outcome.until == expected


@pytest.mark.parametrize("until", ["2025-12-31T23:59:59Z", "2026-01-01T12:00:00Z"])
def test_until_in_the_past_or_now_completes(until):
    outcome = run({"until": until})
    assert isinstance(outcome, Completed)
    assert outcome.output["waitedUntil"].startswith(until[:19])


@pytest.mark.parametrize(("until", "words"), [("next tuesday", "ISO 8601"), ("2026-01-01T13:00:00", "time zone")])
def test_bad_until_fails(until, words):
    with pytest.raises(StepError) as caught:
        run({"until": until})
    assert caught.value.error_type == STEP_ERROR
    assert words in caught.value.message


def test_woken_up_after_the_due_time_completes():
    # Given a WAIT that slept for an hour
    slept = run({"duration": 1, "unit": "h"})
    # When the step runs again at the due time (or later), with the state it saved
    later = NOW + timedelta(hours=1, seconds=3)
    outcome = run({"duration": 1, "unit": "h"}, state=slept.state, now=later)
    # Then it completes instead of starting a new hour
    assert isinstance(outcome, Completed)
    assert outcome.output == {"waitedUntil": slept.until.isoformat()}


def test_woken_up_early_sleeps_to_the_original_due_time():
    slept = run({"duration": 1, "unit": "h"})
    outcome = run({"duration": 1, "unit": "h"}, state=slept.state, now=NOW + timedelta(minutes=10))
    assert isinstance(outcome, Sleep)
    assert outcome.until == slept.until


@pytest.mark.parametrize("config", [{"duration": 1e30, "unit": "h"}, {"duration": 1_000_000_000, "unit": "h"}])
def test_a_duration_out_of_range_fails_the_step(config):
    # Definitions are refused past 366 days; one saved before that bound fails its step cleanly.
    with pytest.raises(StepError) as caught:
        run(config)
    assert caught.value.error_type == STEP_ERROR
    assert "out of range" in caught.value.message
