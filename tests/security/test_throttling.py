"""The API is throttled per user, per anonymous client, and for starting runs: 429 with Retry-After."""

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from workflows import services as workflow_services

WORKFLOW = {"name": "Ping", "category": "test", "status": "ACTIVE", "steps": []}


@pytest.fixture
def low_rates(monkeypatch):
    # The test settings raise every rate so the suite is never throttled; lower them here only.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "3/minute", "run": "1/hour"})
    cache.clear()
    yield
    cache.clear()


def test_a_user_past_the_rate_gets_429_with_retry_after(low_rates, role_api):
    client = role_api("viewer")

    assert [client.get("/api/v1/workflows").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/workflows")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()


def test_each_user_has_their_own_count(low_rates, role_api):
    first, second = role_api("viewer", username="first"), role_api("viewer", username="second")
    for _ in range(3):
        first.get("/api/v1/workflows")

    assert first.get("/api/v1/workflows").status_code == 429
    assert second.get("/api/v1/workflows").status_code == 200


def test_anonymous_clients_are_throttled_on_public_endpoints(low_rates, anon_api):
    assert [anon_api.get("/api/schema/").status_code for _ in range(2)] == [200, 200]

    response = anon_api.get("/api/schema/")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_starting_runs_has_its_own_lower_rate(low_rates, role_api):
    client = role_api("operator")
    workflow = workflow_services.workflow_create(data=WORKFLOW)
    url = f"/api/v1/workflows/{workflow.pk}/execute"

    assert client.post(url, {}, format="json").status_code == 202
    refused = client.post(url, {}, format="json")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 60  # the run rate is per hour here
    assert workflow.executions.count() == 1
    assert client.get("/api/v1/executions").status_code == 200  # reads are still allowed
