"""The demo's stand-in services answer while DEMO_ENDPOINTS is on, and are gone when it is off."""

import pytest
from django.test import Client


def test_the_demo_services_answer_and_keep_what_they_receive(settings):
    settings.DEMO_ENDPOINTS = True
    client = Client()

    assert client.get("/demo/leads/lead_123").json()["data"]["id"] == "lead_123"
    posted = client.post("/demo/webhook", {"event": "lead.qualified"}, content_type="application/json")
    assert posted.status_code in (200, 201, 202)
    assert "lead.qualified" in client.get("/demo/inbox").content.decode()


@pytest.mark.parametrize("url", ["/demo/leads/lead_123", "/demo/inbox", "/demo/quotes/a"])
def test_with_demo_endpoints_off_they_are_not_found(settings, url):
    settings.DEMO_ENDPOINTS = False

    assert Client().get(url).status_code == 404
