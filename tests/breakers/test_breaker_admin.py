"""Circuit breakers in the admin: same bounds as the API, reset through the service."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from breakers.models import CircuitBreaker
from breakers.services import breaker_get_or_create


@pytest.fixture
def admin_client(db):
    User.objects.create_superuser("root", password="pw")
    client = Client()
    client.login(username="root", password="pw")
    return client


def change_url(breaker):
    return f"/admin/breakers/circuitbreaker/{breaker.pk}/change/"


# The read-only history inline's management form, as the browser sends it.
HISTORY_INLINE = {"transitions-TOTAL_FORMS": "0", "transitions-INITIAL_FORMS": "0"}


def test_changing_the_config_in_the_admin(admin_client):
    breaker = breaker_get_or_create(service_id="carrier-a-api")

    response = admin_client.post(
        change_url(breaker), {"threshold": "10", "timeout": "120000", "half_open_max_calls": "5", **HISTORY_INLINE}
    )

    assert response.status_code == 302
    breaker.refresh_from_db()
    assert (breaker.threshold, breaker.timeout, breaker.half_open_max_calls) == (10, 120000, 5)


@pytest.mark.parametrize("field", ["threshold", "timeout", "half_open_max_calls"])
def test_the_admin_refuses_what_the_api_refuses(admin_client, field):
    breaker = breaker_get_or_create(service_id="carrier-a-api")
    before = (breaker.threshold, breaker.timeout, breaker.half_open_max_calls)
    data = {"threshold": "10", "timeout": "120000", "half_open_max_calls": "5", field: "0", **HISTORY_INLINE}

    response = admin_client.post(change_url(breaker), data)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    breaker.refresh_from_db()
    assert (breaker.threshold, breaker.timeout, breaker.half_open_max_calls) == before


def test_the_reset_action_closes_the_selected_breakers(admin_client):
    breaker = breaker_get_or_create(service_id="carrier-a-api")
    CircuitBreaker.objects.filter(pk=breaker.pk).update(state="OPEN", failure_count=9, half_open_calls=1)

    response = admin_client.post(
        "/admin/breakers/circuitbreaker/", {"action": "reset_breakers", "_selected_action": [str(breaker.pk)]}
    )

    assert response.status_code == 302
    breaker.refresh_from_db()
    assert (breaker.state, breaker.failure_count, breaker.half_open_calls) == ("CLOSED", 0, 0)


def test_breakers_cannot_be_added_by_hand(admin_client):
    assert admin_client.get("/admin/breakers/circuitbreaker/add/").status_code == 403
