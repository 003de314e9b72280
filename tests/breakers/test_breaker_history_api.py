"""GET /api/v1/circuit-breakers/:serviceId: the breaker's history and when it may half-open."""

import time
from datetime import timedelta

import pytest
from django.utils.dateparse import parse_datetime

from breakers.models import BreakerTransition, CircuitBreaker
from breakers.services import (
    BreakerOpen,
    breaker_acquire,
    breaker_configure,
    breaker_get_or_create,
    breaker_record,
)

URL = "/api/v1/circuit-breakers"
SERVICE = "carrier-a-api"


def configured(service_id=SERVICE, **config):
    return breaker_configure(breaker=breaker_get_or_create(service_id=service_id), config=config)


def fail(service_id=SERVICE, times=1, reason="HTTP 503"):
    for _ in range(times):
        breaker_record(permit=breaker_acquire(service_id=service_id), success=False, reason=reason)


def succeed(service_id=SERVICE):
    breaker_record(permit=breaker_acquire(service_id=service_id), success=True)


def wait_past_timeout(timeout_ms):
    time.sleep(timeout_ms / 1000 + 0.01)


def detail(api, service_id=SERVICE):
    response = api.get(f"{URL}/{service_id}")
    assert response.status_code == 200, response.content
    return response.json()


def moves(body):
    return [(item["fromState"], item["toState"]) for item in body["history"]]


def test_a_new_breaker_has_no_history_and_no_half_open_time(api):
    configured()

    body = detail(api)

    assert (body["state"], body["history"], body["mayHalfOpenAt"]) == ("CLOSED", [], None)


def test_an_open_breaker_shows_its_opening_and_when_it_may_half_open(api):
    configured(threshold=3, timeout=45_000)
    fail(times=2)
    assert detail(api)["history"] == []

    fail(reason="HTTP 503 Service Unavailable")

    body = detail(api)
    assert (body["state"], body["failureCount"]) == ("OPEN", 3)
    assert moves(body) == [("CLOSED", "OPEN")]
    entry = body["history"][0]
    assert set(entry) == {"at", "fromState", "toState", "reason"}
    assert entry["reason"] == "3 consecutive failures; last: HTTP 503 Service Unavailable"
    assert parse_datetime(entry["at"]) == parse_datetime(body["openedAt"])
    assert parse_datetime(body["mayHalfOpenAt"]) == parse_datetime(body["openedAt"]) + timedelta(seconds=45)


def test_history_lists_every_transition_newest_first(api):
    configured(threshold=2, timeout=20)
    fail(times=2, reason="HTTP 502")  # CLOSED → OPEN
    wait_past_timeout(20)
    fail(reason="connection refused")  # OPEN → HALF_OPEN, and the probe fails: → OPEN
    wait_past_timeout(20)
    succeed()  # OPEN → HALF_OPEN, and the probe succeeds: → CLOSED

    body = detail(api)

    assert (body["state"], body["failureCount"], body["mayHalfOpenAt"]) == ("CLOSED", 0, None)
    assert moves(body) == [
        ("HALF_OPEN", "CLOSED"),
        ("OPEN", "HALF_OPEN"),
        ("HALF_OPEN", "OPEN"),
        ("OPEN", "HALF_OPEN"),
        ("CLOSED", "OPEN"),
    ]
    assert [item["reason"] for item in body["history"]] == [
        "probe succeeded",
        "timeout elapsed; probing",
        "probe failed: connection refused",
        "timeout elapsed; probing",
        "2 consecutive failures; last: HTTP 502",
    ]
    times = [parse_datetime(item["at"]) for item in body["history"]]
    assert times == sorted(times, reverse=True)


def test_a_reopened_breaker_counts_its_timeout_from_the_failed_probe(api):
    configured(threshold=1, timeout=30)
    fail()
    first_opening = parse_datetime(detail(api)["openedAt"])
    wait_past_timeout(30)

    fail()  # the probe fails

    body = detail(api)
    assert body["state"] == "OPEN"
    reopened = parse_datetime(body["openedAt"])
    assert reopened >= first_opening + timedelta(milliseconds=30)
    assert parse_datetime(body["mayHalfOpenAt"]) == reopened + timedelta(milliseconds=30)


def test_a_half_open_breaker_shows_no_half_open_time(api):
    configured(threshold=1, timeout=10, halfOpenMaxCalls=2)
    fail()
    wait_past_timeout(10)
    breaker_acquire(service_id=SERVICE)  # a probe is out

    body = detail(api)

    assert (body["state"], body["halfOpenCalls"], body["mayHalfOpenAt"]) == ("HALF_OPEN", 1, None)
    assert moves(body)[0] == ("OPEN", "HALF_OPEN")


def test_the_list_does_not_carry_history(api):
    configured(threshold=1)
    fail()

    item = api.get(URL).json()["results"][0]

    assert "history" not in item and "mayHalfOpenAt" not in item


def test_history_shows_the_latest_fifty_transitions(api):
    breaker = configured()
    start = breaker.created_at
    BreakerTransition.objects.bulk_create(
        BreakerTransition(
            breaker=breaker,
            at=start + timedelta(seconds=number),
            from_state="CLOSED",
            to_state="OPEN",
            reason=f"#{number}",
        )
        for number in range(60)
    )

    history = detail(api)["history"]

    assert [item["reason"] for item in history] == [f"#{number}" for number in range(59, 9, -1)]


# ---------------------------------------------------------------- reset


def test_reset_records_a_transition_to_closed_and_zeroes_the_counters(api):
    configured(threshold=2, timeout=60_000)
    fail(times=2)

    response = api.post(f"{URL}/{SERVICE}/reset")

    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["failureCount"], body["halfOpenCalls"]) == ("CLOSED", 0, 0)
    assert (body["openedAt"], body["mayHalfOpenAt"]) == (None, None)
    assert moves(body) == [("OPEN", "CLOSED"), ("CLOSED", "OPEN")]
    assert body["history"][0]["reason"] == "reset by an operator"
    assert detail(api)["history"] == body["history"]
    succeed()  # calls go through again


def test_reset_while_half_open_frees_the_probe_slots(api):
    configured(threshold=1, timeout=10, halfOpenMaxCalls=1)
    fail()
    wait_past_timeout(10)
    breaker_acquire(service_id=SERVICE)

    body = api.post(f"{URL}/{SERVICE}/reset").json()

    assert (body["state"], body["halfOpenCalls"]) == ("CLOSED", 0)
    assert moves(body)[0] == ("HALF_OPEN", "CLOSED")


def test_reset_of_a_closed_breaker_zeroes_its_count_without_a_transition(api):
    configured(threshold=5)
    fail(times=3)

    body = api.post(f"{URL}/{SERVICE}/reset").json()

    assert (body["state"], body["failureCount"], body["history"]) == ("CLOSED", 0, [])


# ---------------------------------------------------------------- delete


def test_delete_then_get_is_404_and_the_next_call_recreates_it_from_the_defaults(api, settings):
    settings.CIRCUIT_BREAKER_DEFAULTS = {"threshold": 4, "timeout": 7000, "halfOpenMaxCalls": 3}
    configured(threshold=1, timeout=60_000, halfOpenMaxCalls=9)
    fail()
    with pytest.raises(BreakerOpen):
        breaker_acquire(service_id=SERVICE)

    assert api.delete(f"{URL}/{SERVICE}").status_code == 204
    assert api.get(f"{URL}/{SERVICE}").status_code == 404
    assert not BreakerTransition.objects.exists()

    permit = breaker_acquire(service_id=SERVICE)

    assert permit.probe is False
    body = detail(api)
    assert (body["state"], body["failureCount"], body["halfOpenCalls"], body["history"]) == ("CLOSED", 0, 0, [])
    assert (body["threshold"], body["timeout"], body["halfOpenMaxCalls"]) == (4, 7000, 3)
    assert CircuitBreaker.objects.filter(service_id=SERVICE).count() == 1


# ---------------------------------------------------------------- breakers named after their URL


@pytest.mark.parametrize("slash", ["", "/"])
def test_a_breaker_named_after_its_url_can_be_read_configured_reset_and_deleted(api, slash):
    service_id = "http://127.0.0.1:8080"
    configured(service_id, threshold=1)
    fail(service_id)

    body = detail(api, service_id + slash)
    assert (body["serviceId"], body["state"], moves(body)) == (service_id, "OPEN", [("CLOSED", "OPEN")])

    response = api.put(f"{URL}/{service_id}/config{slash}", {"threshold": 7}, format="json")
    assert (response.status_code, response.json()["threshold"]) == (200, 7)

    response = api.post(f"{URL}/{service_id}/reset{slash}")
    assert (response.status_code, response.json()["state"]) == (200, "CLOSED")

    assert api.delete(f"{URL}/{service_id}{slash}").status_code == 204
    assert api.get(f"{URL}/{service_id}{slash}").status_code == 404
    assert not CircuitBreaker.objects.exists()
