"""One breaker, many threads with their own database connections: each transition happens once."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from breakers.models import BreakerTransition, CircuitBreaker
from breakers.services import (
    BreakerOpen,
    breaker_acquire,
    breaker_configure,
    breaker_get_or_create,
    breaker_record,
)

pytestmark = pytest.mark.django_db(transaction=True)

SERVICE = "carrier-x-api"


def race(threads, body):
    """Run body(index) in `threads` threads released together; return their results in order.

    Each thread closes its own database connection when it is done.
    """
    barrier = threading.Barrier(threads)
    results = [None] * threads
    errors = []

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = body(index)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a thread is still running"
    assert not errors, errors
    return results


def transitions(service_id=SERVICE):
    return list(
        BreakerTransition.objects.filter(breaker__service_id=service_id)
        .order_by("at", "id")
        .values_list("from_state", "to_state")
    )


def test_racing_failures_open_the_breaker_exactly_once_and_it_then_refuses_every_call():
    breaker_configure(breaker=breaker_get_or_create(service_id=SERVICE), config={"threshold": 5, "timeout": 60_000})

    def caller(_index):
        outcomes = []
        for _ in range(12):
            # Was the opening already committed when this call asked for a permit?
            open_before = BreakerTransition.objects.filter(breaker__service_id=SERVICE).exists()
            try:
                permit = breaker_acquire(service_id=SERVICE)
            except BreakerOpen as refused:
                outcomes.append(("refused", open_before, refused.retry_at))
                continue
            outcomes.append(("admitted", open_before, None))
            breaker_record(permit=permit, success=False, reason="HTTP 503")
        return outcomes

    outcomes = [outcome for thread in race(16, caller) for outcome in thread]

    assert transitions() == [("CLOSED", "OPEN")]
    breaker = CircuitBreaker.objects.get(service_id=SERVICE)
    assert breaker.state == "OPEN"
    admitted = [o for o in outcomes if o[0] == "admitted"]
    refused = [o for o in outcomes if o[0] == "refused"]
    print(f"\n{len(admitted)} of {len(outcomes)} calls admitted (5 + those admitted before the opening)")
    assert len(admitted) >= 5
    assert len(admitted) + len(refused) == 16 * 12
    # Once the opening was visible, no call got through.
    assert [o for o in admitted if o[1]] == []
    # Every refusal says when to ask again: when the breaker may half-open.
    expected_retry = breaker.opened_at + timedelta(milliseconds=60_000)
    assert {o[2] for o in refused} == {expected_retry}
    with pytest.raises(BreakerOpen):
        breaker_acquire(service_id=SERVICE)


def test_racing_first_calls_create_one_breaker():
    def caller(_index):
        return breaker_acquire(service_id="brand-new-api").probe

    assert race(16, caller) == [False] * 16
    assert CircuitBreaker.objects.filter(service_id="brand-new-api").count() == 1


def make_due_for_half_open(half_open_max_calls):
    """An OPEN breaker whose timeout ran out a second ago."""
    breaker = breaker_get_or_create(service_id=SERVICE)
    CircuitBreaker.objects.filter(pk=breaker.pk).update(
        state="OPEN",
        failure_count=5,
        timeout=1000,
        half_open_max_calls=half_open_max_calls,
        opened_at=timezone.now() - timedelta(seconds=2),
    )


def test_after_the_timeout_racing_callers_get_exactly_half_open_max_calls_probes():
    make_due_for_half_open(half_open_max_calls=2)

    def caller(_index):
        try:
            return "probe" if breaker_acquire(service_id=SERVICE).probe else "plain"
        except BreakerOpen:
            return "refused"

    results = Counter(race(30, caller))

    assert results == {"probe": 2, "refused": 28}
    assert transitions() == [("OPEN", "HALF_OPEN")]
    breaker = CircuitBreaker.objects.get(service_id=SERVICE)
    assert (breaker.state, breaker.half_open_calls) == ("HALF_OPEN", 2)


@pytest.mark.parametrize(
    ("success", "expected"),
    [(True, [("OPEN", "HALF_OPEN"), ("HALF_OPEN", "CLOSED")]), (False, [("OPEN", "HALF_OPEN"), ("HALF_OPEN", "OPEN")])],
)
def test_probes_answering_together_move_the_breaker_once(success, expected):
    make_due_for_half_open(half_open_max_calls=8)
    permits = [breaker_acquire(service_id=SERVICE) for _ in range(8)]
    assert all(permit.probe for permit in permits)

    race(8, lambda index: breaker_record(permit=permits[index], success=success, reason="HTTP 503"))

    assert transitions() == expected
    assert CircuitBreaker.objects.get(service_id=SERVICE).state == expected[-1][1]
