"""Breaker transition rules, pure: a snapshot and the database's clock in, a decision out."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from breakers import state
from breakers.state import BUSY_RETRY, CLOSED, HALF_OPEN, OPEN, Snapshot

T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
TIMEOUT = timedelta(milliseconds=60_000)
LEASE = timedelta(seconds=35)


def ms(value):
    return timedelta(milliseconds=value)


def snap(state_name=CLOSED, **fields):
    values = {
        "failure_count": 0,
        "threshold": 5,
        "timeout_ms": 60_000,
        "half_open_max_calls": 2,
        "half_open_calls": 0,
    }
    values.update(fields)
    return Snapshot(state=state_name, **values)


def opened(**fields):
    """A breaker that opened at T0."""
    return snap(OPEN, **{"failure_count": 5, "opened_at": T0, **fields})


def half_open(calls=1, lease_until=T0 + TIMEOUT + LEASE, **fields):
    """A breaker that half-opened at T0 + TIMEOUT; its probes hold permits until lease_until."""
    values = {"failure_count": 5, "opened_at": T0, "half_open_calls": calls, "probe_lease_until": lease_until}
    return snap(HALF_OPEN, **{**values, **fields})


def after(snapshot, decision):
    """The snapshot as the service would store it after applying the decision."""
    stored = {name: value for name, value in decision.changes.items() if name in Snapshot.__dataclass_fields__}
    return replace(snapshot, **stored)


# ---------------------------------------------------------------- CLOSED


@pytest.mark.parametrize("failures_before", [0, 3, 10])
def test_closed_lets_every_call_through(failures_before):
    decision = state.acquire(snap(failure_count=failures_before), T0, LEASE)

    assert (decision.allowed, decision.probe, decision.changes, decision.transition) == (True, False, {}, None)


@pytest.mark.parametrize(
    ("failures_before", "threshold", "count_after", "opens"),
    [
        (0, 5, 1, False),
        (1, 5, 2, False),
        (3, 5, 4, False),
        (4, 5, 5, True),  # the threshold-th consecutive failure opens it
        (0, 1, 1, True),  # threshold 1: the first failure opens it
        (0, 2, 1, False),
        (1, 2, 2, True),
        (7, 5, 8, True),  # threshold lowered below the count: the next failure opens it
    ],
)
def test_closed_counts_consecutive_failures_and_opens_exactly_at_threshold(
    failures_before, threshold, count_after, opens
):
    decision = state.on_failure(snap(failure_count=failures_before, threshold=threshold), False, T0, "HTTP 503")

    assert decision.changes["failure_count"] == count_after
    assert decision.changes["last_failure_time"] == T0
    if opens:
        assert decision.changes["state"] == OPEN
        assert decision.changes["opened_at"] == T0
        assert decision.transition == (CLOSED, OPEN, f"{count_after} consecutive failures; last: HTTP 503")
    else:
        assert "state" not in decision.changes
        assert decision.transition is None


def test_closed_opens_after_threshold_failures_in_a_row():
    snapshot = snap(threshold=3)
    transitions = []
    for _ in range(3):
        decision = state.on_failure(snapshot, False, T0, "boom")
        transitions.append(decision.transition)
        snapshot = after(snapshot, decision)

    assert transitions[:2] == [None, None]
    assert transitions[2][:2] == (CLOSED, OPEN)
    assert snapshot.state == OPEN


@pytest.mark.parametrize("failures_before", [0, 1, 4])
@pytest.mark.parametrize("probe", [False, True])
def test_a_success_in_closed_resets_the_count(failures_before, probe):
    decision = state.on_success(snap(failure_count=failures_before), probe, T0)

    assert decision.changes == {"failure_count": 0, "last_success_time": T0}
    assert decision.transition is None


def test_failures_must_be_consecutive_to_open():
    snapshot = snap(threshold=3)
    for succeeded in [False, False, True, False, False]:
        outcome = state.on_success if succeeded else state.on_failure
        decision = outcome(snapshot, False, T0)
        assert decision.transition is None
        snapshot = after(snapshot, decision)

    assert (snapshot.state, snapshot.failure_count) == (CLOSED, 2)


def test_a_long_reason_is_cut_to_fit_the_history():
    decision = state.on_failure(snap(failure_count=4), False, T0, "x" * 1000)

    assert len(decision.transition[2]) == 500


# ---------------------------------------------------------------- OPEN


@pytest.mark.parametrize("elapsed_ms", [0, 1, 30_000, 59_999])
def test_open_refuses_until_the_timeout_with_its_retry_time(elapsed_ms):
    decision = state.acquire(opened(), T0 + ms(elapsed_ms), LEASE)

    assert decision.allowed is False
    assert decision.retry_at == T0 + TIMEOUT
    assert (decision.changes, decision.transition) == ({}, None)


@pytest.mark.parametrize("elapsed_ms", [60_000, 60_001, 3_600_000])
def test_after_the_timeout_the_first_acquire_turns_half_open_as_a_probe(elapsed_ms):
    now = T0 + ms(elapsed_ms)

    decision = state.acquire(opened(), now, LEASE)

    assert (decision.allowed, decision.probe) == (True, True)
    assert decision.changes == {"state": HALF_OPEN, "half_open_calls": 1, "probe_lease_until": now + LEASE}
    assert decision.transition == (OPEN, HALF_OPEN, "timeout elapsed; probing")


def test_the_timeout_is_the_breakers_own():
    short = opened(timeout_ms=300)

    assert state.acquire(short, T0 + ms(299), LEASE).retry_at == T0 + ms(300)
    assert state.acquire(short, T0 + ms(300), LEASE).probe is True


def test_an_open_breaker_without_an_opening_time_probes_at_once():
    decision = state.acquire(snap(OPEN, opened_at=None), T0, LEASE)

    assert (decision.allowed, decision.probe, decision.transition[:2]) == (True, True, (OPEN, HALF_OPEN))


# ---------------------------------------------------------------- HALF_OPEN permits


@pytest.mark.parametrize(
    ("calls", "max_calls", "allowed"),
    [
        (0, 1, True),
        (1, 1, False),
        (0, 2, True),
        (1, 2, True),
        (2, 2, False),
        (4, 5, True),
        (5, 5, False),
    ],
)
def test_half_open_gives_at_most_half_open_max_calls_probe_permits(calls, max_calls, allowed):
    now = T0 + TIMEOUT + ms(10)

    decision = state.acquire(half_open(calls, half_open_max_calls=max_calls), now, LEASE)

    assert decision.allowed is allowed
    assert decision.probe is allowed
    assert decision.transition is None
    if allowed:
        assert decision.changes["half_open_calls"] == calls + 1
    else:
        assert decision.changes == {}
        assert now < decision.retry_at <= now + BUSY_RETRY


def test_permits_are_handed_out_one_by_one_then_refused():
    snapshot = half_open(calls=0, half_open_max_calls=3)
    now = T0 + TIMEOUT
    outcomes = []
    for _ in range(6):
        decision = state.acquire(snapshot, now, LEASE)
        outcomes.append(decision.allowed)
        snapshot = after(snapshot, decision)

    assert outcomes == [True, True, True, False, False, False]
    assert snapshot.half_open_calls == 3


def test_a_new_probe_extends_the_lease_but_never_shortens_it():
    now = T0 + TIMEOUT
    long_lease = now + timedelta(minutes=10)

    extended = state.acquire(half_open(1, lease_until=now), now + ms(1), LEASE)
    kept = state.acquire(half_open(1, lease_until=long_lease), now, LEASE)

    assert extended.changes["probe_lease_until"] == now + ms(1) + LEASE
    assert kept.changes["probe_lease_until"] == long_lease


@pytest.mark.parametrize(
    ("lease_left_ms", "retry_in_ms"),
    [
        (10_000, BUSY_RETRY.total_seconds() * 1000),  # a long lease: ask again soon
        (100, 100),  # the lease ends sooner: ask again then
    ],
)
def test_a_refused_call_in_half_open_is_told_when_to_ask_again(lease_left_ms, retry_in_ms):
    now = T0 + TIMEOUT

    decision = state.acquire(half_open(2, lease_until=now + ms(lease_left_ms)), now, LEASE)

    assert decision.allowed is False
    assert decision.retry_at == now + ms(retry_in_ms)


@pytest.mark.parametrize("past_lease_ms", [0, 1, 60_000])
def test_an_expired_probe_lease_gives_new_permits(past_lease_ms):
    lease_until = T0 + TIMEOUT + LEASE
    now = lease_until + ms(past_lease_ms)

    decision = state.acquire(half_open(2, lease_until=lease_until), now, LEASE)

    assert (decision.allowed, decision.probe) == (True, True)
    assert decision.changes == {"half_open_calls": 1, "probe_lease_until": now + LEASE}
    assert decision.transition is None  # still HALF_OPEN: the dead probes' slots are simply reclaimed


# ---------------------------------------------------------------- HALF_OPEN outcomes


def test_the_first_probe_success_closes_the_breaker():
    now = T0 + TIMEOUT + ms(50)

    decision = state.on_success(half_open(2, failure_count=9), True, now)

    assert decision.changes == {
        "state": CLOSED,
        "failure_count": 0,
        "half_open_calls": 0,
        "opened_at": None,
        "probe_lease_until": None,
        "last_success_time": now,
    }
    assert decision.transition == (HALF_OPEN, CLOSED, "probe succeeded")


def test_a_probe_failure_reopens_with_a_fresh_timeout():
    now = T0 + TIMEOUT + ms(50)

    decision = state.on_failure(half_open(2), True, now, "HTTP 503")

    assert decision.changes == {
        "state": OPEN,
        "opened_at": now,
        "half_open_calls": 0,
        "probe_lease_until": None,
        "last_failure_time": now,
    }
    assert decision.transition == (HALF_OPEN, OPEN, "probe failed: HTTP 503")
    reopened = after(half_open(2), decision)
    assert state.may_half_open_at(reopened) == now + TIMEOUT
    assert state.acquire(reopened, now + TIMEOUT - ms(1), LEASE).allowed is False


# ---------------------------------------------------------------- calls that are not probes


@pytest.mark.parametrize(
    ("snapshot", "probe"),
    [
        (half_open(1), False),  # a call admitted while CLOSED answers after the breaker half-opened
        (opened(), False),  # ... or while it is still OPEN
        (opened(), True),  # a probe answers after another probe reopened the breaker
    ],
)
def test_a_late_success_changes_no_state(snapshot, probe):
    now = T0 + TIMEOUT + ms(5)

    decision = state.on_success(snapshot, probe, now)

    assert decision.changes == {"last_success_time": now}
    assert decision.transition is None


@pytest.mark.parametrize("probe", [False, True])
def test_a_late_failure_while_open_keeps_the_opening_time(probe):
    now = T0 + ms(500)

    decision = state.on_failure(opened(), probe, now, "HTTP 503")

    assert decision.changes == {"last_failure_time": now}
    assert decision.transition is None


def test_a_late_non_probe_failure_while_half_open_does_not_reopen_it():
    """Only a probe's answer moves a HALF_OPEN breaker: a call admitted while CLOSED that fails
    late says nothing about the recovery being probed."""
    now = T0 + TIMEOUT + ms(5)

    decision = state.on_failure(half_open(1), False, now, "timeout")

    assert "state" not in decision.changes
    assert decision.changes == {"last_failure_time": now}
    assert decision.transition is None


# ---------------------------------------------------------------- may_half_open_at


@pytest.mark.parametrize(
    ("snapshot", "expected"),
    [
        (snap(CLOSED), None),
        (snap(CLOSED, opened_at=T0), None),
        (half_open(1), None),
        (snap(OPEN, opened_at=None), None),
        (opened(), T0 + TIMEOUT),
        (opened(timeout_ms=300), T0 + ms(300)),
    ],
)
def test_may_half_open_at(snapshot, expected):
    assert state.may_half_open_at(snapshot) == expected
