"""What a call costs its breaker in statements: a refused call one read, a burst of successes one write
(and, with no failure counted, no wait on a row another worker holds)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from breakers.models import CircuitBreaker, CircuitBreakerState
from breakers.services import BreakerOpen, breaker_acquire, breaker_record, breaker_reset

# Outside a test transaction, as in a worker: prepared statements run only outside one.
pytestmark = pytest.mark.django_db(transaction=True)

SERVICE = "carrier-q-api"


def statements(queries):
    return [query["sql"] for query in queries.captured_queries]


def test_a_refused_call_is_one_read_and_an_operators_reset_lets_the_next_call_through():
    CircuitBreaker.objects.create(service_id=SERVICE, state=CircuitBreakerState.OPEN, opened_at=timezone.now())
    with pytest.raises(BreakerOpen):
        breaker_acquire(service_id=SERVICE)

    with CaptureQueriesContext(connection) as queries, pytest.raises(BreakerOpen):
        breaker_acquire(service_id=SERVICE)

    assert len(queries) == 1
    if connection.vendor == "postgresql":  # prepared once per connection, then executed
        assert statements(queries)[0].startswith("EXECUTE orchestration_")
    breaker_reset(breaker=CircuitBreaker.objects.get(service_id=SERVICE))
    assert not breaker_acquire(service_id=SERVICE).probe


def test_of_a_burst_of_successes_on_a_healthy_breaker_one_writes():
    CircuitBreaker.objects.create(service_id=SERVICE)  # CLOSED, no success recorded yet
    first, *others = [breaker_acquire(service_id=SERVICE) for _ in range(5)]  # all before any success
    breaker_record(permit=first, success=True)
    written = CircuitBreaker.objects.get(service_id=SERVICE).last_success_time

    with CaptureQueriesContext(connection) as queries:
        for permit in others:
            breaker_record(permit=permit, success=True)

    # The others found the success just written: the row is as the first left it, and no one
    # took its lock.
    assert written is not None
    assert CircuitBreaker.objects.get(service_id=SERVICE).last_success_time == written
    assert not any("FOR UPDATE" in sql for sql in statements(queries))


@pytest.mark.parametrize(("failures", "last_success_ago"), [(2, timedelta(0)), (0, timedelta(seconds=5)), (0, None)])
def test_a_success_resets_the_count_and_refreshes_an_old_success_time(failures, last_success_ago):
    before = None if last_success_ago is None else timezone.now() - last_success_ago
    CircuitBreaker.objects.create(service_id=SERVICE, failure_count=failures, last_success_time=before)

    breaker_record(permit=breaker_acquire(service_id=SERVICE), success=True)

    breaker = CircuitBreaker.objects.get(service_id=SERVICE)
    assert breaker.failure_count == 0
    assert breaker.last_success_time is not None
    if before is not None:
        assert breaker.last_success_time != before  # written again, by the database's clock


def hold_the_row(failures, *, release_after=None):
    """In another thread, lock the breaker's row as a failure being recorded does, then set
    failure_count to `failures` and commit: when `release` is set, or after `release_after` s.
    Returns (the thread, its release event)."""
    holding, release = threading.Event(), threading.Event()

    def record_a_failure_slowly():
        try:
            with transaction.atomic():
                breaker = CircuitBreaker.objects.select_for_update().get(service_id=SERVICE)
                holding.set()
                release.wait(timeout=release_after or 10)
                CircuitBreaker.objects.filter(pk=breaker.pk).update(failure_count=failures)
        finally:
            connection.close()

    thread = threading.Thread(target=record_a_failure_slowly)
    thread.start()
    assert holding.wait(timeout=10)
    return thread, release


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_a_success_while_a_failure_is_being_recorded_does_not_wait_when_none_was_counted():
    CircuitBreaker.objects.create(service_id=SERVICE, last_success_time=timezone.now() - timedelta(seconds=5))
    permit = breaker_acquire(service_id=SERVICE)  # due: no success in the last second
    holder, release = hold_the_row(1)
    try:
        started = time.monotonic()
        breaker_record(permit=permit, success=True)
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=10)

    assert waited < 1  # the failure's transaction still held the row
    # The success counts as the earlier of the two: the failure's count stands.
    assert CircuitBreaker.objects.get(service_id=SERVICE).failure_count == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_a_success_after_counted_failures_resets_them_even_while_another_failure_is_recorded():
    CircuitBreaker.objects.create(service_id=SERVICE, failure_count=1, last_success_time=timezone.now())
    permit = breaker_acquire(service_id=SERVICE)
    holder, _ = hold_the_row(2, release_after=0.3)
    try:
        breaker_record(permit=permit, success=True)  # waits for the failure, then resets
    finally:
        holder.join(timeout=10)

    assert CircuitBreaker.objects.get(service_id=SERVICE).failure_count == 0
