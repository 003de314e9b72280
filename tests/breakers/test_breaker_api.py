"""/api/v1/circuit-breakers: list, read, configure, reset and delete breakers by serviceId."""

import pytest
from django.conf import settings
from django.utils import timezone

from breakers.models import CircuitBreaker
from breakers.services import breaker_get_or_create

URL = "/api/v1/circuit-breakers"
FIELDS = {
    "id",
    "serviceId",
    "state",
    "failureCount",
    "lastFailureTime",
    "lastSuccessTime",
    "threshold",
    "timeout",
    "halfOpenMaxCalls",
    "halfOpenCalls",
    "openedAt",
    "createdAt",
    "updatedAt",
}


def tripped(service_id, **fields):
    """A breaker that has opened after failures."""
    breaker = breaker_get_or_create(service_id=service_id)
    now = timezone.now()
    values = {
        "state": "OPEN",
        "failure_count": 7,
        "half_open_calls": 1,
        "opened_at": now,
        "last_failure_time": now,
        **fields,
    }
    CircuitBreaker.objects.filter(pk=breaker.pk).update(**values)
    breaker.refresh_from_db()
    return breaker


def config_of(service_id):
    breaker = CircuitBreaker.objects.get(service_id=service_id)
    return (breaker.threshold, breaker.timeout, breaker.half_open_max_calls)


# ---------------------------------------------------------------- list and read


def test_list_all_breakers_by_service_id(api):
    for service_id in ["carrier-c-api", "carrier-a-api", "carrier-b-api"]:
        breaker_get_or_create(service_id=service_id)

    response = api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [item["serviceId"] for item in body["results"]] == ["carrier-a-api", "carrier-b-api", "carrier-c-api"]
    assert set(body["results"][0]) == FIELDS


def test_list_filters_by_state(api):
    breaker_get_or_create(service_id="healthy")
    tripped("broken")

    response = api.get(URL, {"state": "OPEN"})

    assert [item["serviceId"] for item in response.json()["results"]] == ["broken"]


def test_list_is_empty_without_breakers(api):
    response = api.get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_get_one_shows_its_status_and_defaults(api):
    breaker_get_or_create(service_id="carrier-a-api")

    response = api.get(f"{URL}/carrier-a-api")

    assert response.status_code == 200
    body = response.json()
    defaults = settings.CIRCUIT_BREAKER_DEFAULTS
    assert body["serviceId"] == "carrier-a-api"
    assert body["state"] == "CLOSED"
    assert body["failureCount"] == 0
    assert body["threshold"] == defaults["threshold"]
    assert body["timeout"] == defaults["timeout"]
    assert body["halfOpenMaxCalls"] == defaults["halfOpenMaxCalls"]
    assert body["halfOpenCalls"] == 0
    assert body["lastFailureTime"] is None


def test_get_an_open_breaker(api):
    tripped("carrier-b-api")

    body = api.get(f"{URL}/carrier-b-api").json()

    assert (body["state"], body["failureCount"], body["halfOpenCalls"]) == ("OPEN", 7, 1)
    assert body["openedAt"] is not None
    assert body["lastFailureTime"] is not None


@pytest.mark.parametrize("service_id", ["api.carrier-a.com", "carrier:a", "carrier a"])
def test_service_ids_with_dots_colons_and_spaces_are_addressable(api, service_id):
    breaker_get_or_create(service_id=service_id)

    response = api.get(f"{URL}/{service_id}")

    assert response.status_code == 200
    assert response.json()["serviceId"] == service_id


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("post", "/reset", None),
        ("delete", "", None),
    ],
)
def test_unknown_service_is_404_and_no_breaker_is_created(api, method, suffix, body):
    breaker_get_or_create(service_id="known")
    url = f"{URL}/unknown-service{suffix}"

    response = getattr(api, method)(url, body, format="json") if body else getattr(api, method)(url)

    assert response.status_code == 404
    assert list(CircuitBreaker.objects.values_list("service_id", flat=True)) == ["known"]


def test_put_config_before_the_first_call_creates_the_breaker(api):
    response = api.put(f"{URL}/carrier-b-api/config", {"threshold": 2, "timeout": 30000}, format="json")

    assert response.status_code == 201
    assert response.json()["serviceId"] == "carrier-b-api"
    assert response.json()["state"] == "CLOSED"
    assert config_of("carrier-b-api")[:2] == (2, 30000)
    assert api.put(f"{URL}/carrier-b-api/config", {"threshold": 4}, format="json").status_code == 200


def test_an_invalid_config_for_an_unknown_service_creates_nothing(api):
    response = api.put(f"{URL}/carrier-b-api/config", {"threshold": 0}, format="json")

    assert response.status_code == 400
    assert not CircuitBreaker.objects.exists()


def test_breakers_cannot_be_created_through_the_api(api):
    response = api.post(URL, {"serviceId": "new", "threshold": 3}, format="json")

    assert response.status_code == 405
    assert not CircuitBreaker.objects.exists()


# ---------------------------------------------------------------- PUT config


def test_put_config_from_the_spec(api):
    breaker_get_or_create(service_id="carrier-a-api")

    response = api.put(
        f"{URL}/carrier-a-api/config", {"threshold": 10, "timeout": 120000, "halfOpenMaxCalls": 5}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["threshold"], body["timeout"], body["halfOpenMaxCalls"]) == (10, 120000, 5)
    assert config_of("carrier-a-api") == (10, 120000, 5)
    assert api.get(f"{URL}/carrier-a-api").json()["threshold"] == 10


def test_put_config_changes_only_the_given_settings(api):
    breaker_get_or_create(service_id="svc")
    before = config_of("svc")

    response = api.put(f"{URL}/svc/config", {"timeout": 5000}, format="json")

    assert response.status_code == 200
    assert config_of("svc") == (before[0], 5000, before[2])


def test_put_config_keeps_state_and_counters(api):
    tripped("svc")

    body = api.put(f"{URL}/svc/config", {"threshold": 20}, format="json").json()

    assert (body["state"], body["failureCount"], body["halfOpenCalls"]) == ("OPEN", 7, 1)
    assert CircuitBreaker.objects.get(service_id="svc").state == "OPEN"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"threshold": 0}, "threshold"),
        ({"threshold": -1}, "threshold"),
        ({"threshold": 2.5}, "threshold"),
        ({"threshold": None}, "threshold"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1000}, "timeout"),
        ({"halfOpenMaxCalls": 0}, "halfOpenMaxCalls"),
        ({"halfOpenMaxCalls": "many"}, "halfOpenMaxCalls"),
        ({"state": "CLOSED"}, "state"),
        ({"threshold": 3, "state": "OPEN"}, "state"),
        ({"failureCount": 0}, "failureCount"),
        ({"halfOpenCalls": 0}, "halfOpenCalls"),
        ({"serviceId": "renamed"}, "serviceId"),
        ({"threshold": 3, "colour": "red"}, "colour"),
        ({}, ""),
    ],
)
def test_put_config_refuses_invalid_or_read_only_fields(api, body, path):
    tripped("svc")
    before = list(CircuitBreaker.objects.values())

    response = api.put(f"{URL}/svc/config", body, format="json")

    assert response.status_code == 400
    assert path in [error["path"] for error in response.json()["errors"]]
    assert list(CircuitBreaker.objects.values()) == before


def test_put_config_with_no_body_is_400(api):
    breaker_get_or_create(service_id="svc")

    response = api.put(f"{URL}/svc/config")

    assert response.status_code == 400
    assert "threshold" in response.json()["errors"][0]["message"]


def test_config_accepts_only_put(api):
    breaker_get_or_create(service_id="svc")

    assert api.patch(f"{URL}/svc/config", {"threshold": 3}, format="json").status_code == 405
    assert api.post(f"{URL}/svc/config", {"threshold": 3}, format="json").status_code == 405
    assert api.put(f"{URL}/svc", {"threshold": 3}, format="json").status_code == 405


# ---------------------------------------------------------------- reset and delete


def test_reset_closes_the_breaker_and_zeroes_its_counters(api):
    tripped("carrier-a-api", threshold=10)

    response = api.post(f"{URL}/carrier-a-api/reset")

    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["failureCount"], body["halfOpenCalls"], body["openedAt"]) == ("CLOSED", 0, 0, None)
    assert body["threshold"] == 10
    stored = CircuitBreaker.objects.get(service_id="carrier-a-api")
    assert (stored.state, stored.failure_count, stored.half_open_calls) == ("CLOSED", 0, 0)


@pytest.mark.parametrize("state", ["HALF_OPEN", "CLOSED"])
def test_reset_from_any_state(api, state):
    tripped("svc", state=state)

    assert api.post(f"{URL}/svc/reset").json()["state"] == "CLOSED"


def test_reset_only_accepts_post(api):
    tripped("svc")

    assert api.get(f"{URL}/svc/reset").status_code == 405
    assert CircuitBreaker.objects.get(service_id="svc").state == "OPEN"


def test_delete_then_get_is_404(api):
    breaker_get_or_create(service_id="carrier-a-api")
    breaker_get_or_create(service_id="carrier-b-api")

    response = api.delete(f"{URL}/carrier-a-api")

    assert response.status_code == 204
    assert api.get(f"{URL}/carrier-a-api").status_code == 404
    assert list(CircuitBreaker.objects.values_list("service_id", flat=True)) == ["carrier-b-api"]


def test_a_deleted_breaker_comes_back_with_defaults(api):
    tripped("svc", threshold=50)
    api.delete(f"{URL}/svc")

    breaker_get_or_create(service_id="svc")

    body = api.get(f"{URL}/svc").json()
    assert (body["state"], body["failureCount"]) == ("CLOSED", 0)
    assert body["threshold"] == settings.CIRCUIT_BREAKER_DEFAULTS["threshold"]
