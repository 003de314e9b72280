"""The breaker dashboard: states in colour, when each may half-open, recent transitions, reset, config."""

from datetime import timedelta
from unittest import mock

import pytest

from breakers import services
from breakers.models import BreakerTransition, CircuitBreaker
from tests.support.admin import messages_of, staff_client

DASHBOARD = "/admin/breakers/circuitbreaker/dashboard/"
CHANGER = ("breakers.view_circuitbreaker", "breakers.change_circuitbreaker")


def opened(service_id, threshold=2, timeout=60_000):
    breaker = services.breaker_get_or_create(service_id=service_id)
    services.breaker_configure(breaker=breaker, config={"threshold": threshold, "timeout": timeout})
    for _ in range(threshold):
        services.breaker_record(permit=services.breaker_acquire(service_id=service_id), success=False, reason="503")
    breaker.refresh_from_db()
    return breaker


def config_data(breaker, **values):
    data = {"threshold": "7", "timeout": "9000", "half_open_max_calls": "3", **values}
    return {f"{breaker.pk}-{name}": value for name, value in data.items()}


def test_every_breaker_is_shown_with_its_state_and_when_it_may_half_open(db):
    services.breaker_get_or_create(service_id="carrier-a-api")
    breaker = opened("carrier-b-api")

    response = staff_client(*CHANGER).get(DASHBOARD)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-service="carrier-a-api"' in html and 'data-service="carrier-b-api"' in html
    assert "breaker-open" in html and "background:#c62828" in html  # OPEN in red
    cards = {card.service_id: card for card in response.context["breakers"]}
    assert cards["carrier-b-api"].may_half_open_at == breaker.opened_at + timedelta(milliseconds=60_000)
    assert cards["carrier-a-api"].may_half_open_at is None
    assert [(t.from_state, t.to_state) for t in cards["carrier-b-api"].recent_transitions] == [("CLOSED", "OPEN")]
    assert "Reset to CLOSED" in html and "Save config" in html


def test_reset_closes_the_breaker_through_the_service(db):
    breaker = opened("carrier-b-api")
    client = staff_client(*CHANGER)

    with mock.patch.object(services, "breaker_reset", wraps=services.breaker_reset) as spy:
        response = client.post(f"/admin/breakers/circuitbreaker/{breaker.pk}/reset/", follow=True)

    spy.assert_called_once()
    assert response.redirect_chain == [(DASHBOARD, 302)]
    assert "Reset carrier-b-api to CLOSED." in messages_of(response)
    breaker.refresh_from_db()
    assert (breaker.state, breaker.failure_count) == ("CLOSED", 0)
    assert BreakerTransition.objects.filter(breaker=breaker, to_state="CLOSED").exists()


def test_config_is_saved_through_the_service(db):
    breaker = services.breaker_get_or_create(service_id="carrier-a-api")

    with mock.patch.object(services, "breaker_configure", wraps=services.breaker_configure) as spy:
        response = staff_client(*CHANGER).post(
            f"/admin/breakers/circuitbreaker/{breaker.pk}/configure/", config_data(breaker), follow=True
        )

    spy.assert_called_once()
    assert spy.call_args.kwargs["config"] == {"threshold": 7, "timeout": 9000, "halfOpenMaxCalls": 3}
    assert "Saved the config of carrier-a-api." in messages_of(response)
    breaker.refresh_from_db()
    assert (breaker.threshold, breaker.timeout, breaker.half_open_max_calls, breaker.state) == (7, 9000, 3, "CLOSED")


@pytest.mark.parametrize("field", ["threshold", "timeout", "half_open_max_calls"])
def test_config_outside_the_api_bounds_is_refused_at_its_field(db, field):
    breaker = services.breaker_get_or_create(service_id="carrier-a-api")
    before = (breaker.threshold, breaker.timeout, breaker.half_open_max_calls)

    response = staff_client(*CHANGER).post(
        f"/admin/breakers/circuitbreaker/{breaker.pk}/configure/", config_data(breaker, **{field: "0"})
    )

    assert response.status_code == 200
    (card,) = response.context["breakers"]
    assert field in card.config_form.errors
    assert "carrier-a-api: the config was not changed." in messages_of(response)
    breaker.refresh_from_db()
    assert (breaker.threshold, breaker.timeout, breaker.half_open_max_calls) == before


def test_a_viewer_sees_the_dashboard_but_cannot_reset_or_configure(db):
    breaker = opened("carrier-b-api")
    viewer = staff_client("breakers.view_circuitbreaker")

    html = viewer.get(DASHBOARD).content.decode()
    assert "carrier-b-api" in html and "Reset to CLOSED" not in html
    assert viewer.post(f"/admin/breakers/circuitbreaker/{breaker.pk}/reset/").status_code == 403
    assert (
        viewer.post(f"/admin/breakers/circuitbreaker/{breaker.pk}/configure/", config_data(breaker)).status_code == 403
    )
    breaker.refresh_from_db()
    assert (breaker.state, breaker.threshold) == ("OPEN", 2)


def test_the_dashboard_needs_the_view_permission_and_changes_need_posts(db):
    breaker = services.breaker_get_or_create(service_id="carrier-a-api")

    assert staff_client().get(DASHBOARD).status_code == 403
    assert staff_client(*CHANGER).get(f"/admin/breakers/circuitbreaker/{breaker.pk}/reset/").status_code == 405
    assert CircuitBreaker.objects.get().state == "CLOSED"


def test_the_changelist_links_to_the_dashboard_and_colours_states(db):
    opened("carrier-b-api")

    html = staff_client(*CHANGER).get("/admin/breakers/circuitbreaker/").content.decode()

    assert DASHBOARD in html
    assert 'class="breaker-state"' in html
