"""Redirects: followed only when asked, each hop checked, credentials kept to their origin."""

import pytest
from django.test import override_settings

from executions.engine.errors import HTTP_ERROR, StepError
from executions.engine.steps.http_request import HttpRequest
from executions.engine.steps.webhook_call import WebhookCall
from orchestration_site import masking
from tests.support.invocations import invocation
from tests.support.server import RecordingServer

CREDENTIALS = {
    "Authorization": "Bearer tok-1",
    "Cookie": "session=abc",
    "Proxy-Authorization": "Basic cHJveHk6cHc=",
    "X-Api-Key": "vault-key-123456",
    "X-Trace": "trace-1",
}


@pytest.fixture
def other():
    """A second server, reached by another name: another origin."""
    recording = RecordingServer().start()
    yield recording
    recording.stop()


def call(config, handler=HttpRequest):
    kind = "HTTP_REQUEST" if handler is HttpRequest else "WEBHOOK_CALL"
    return handler().execute(invocation({"timeout": 3000, **config}, type_name=kind))


def test_redirects_are_not_followed_by_default(server, other):
    server.route("GET", "/old", status=302, json={}, headers={"Location": f"http://localhost:{other.port}/new"})

    with pytest.raises(StepError) as caught:
        call({"url": server.url("/old")})

    assert caught.value.error_type == HTTP_ERROR and caught.value.status == 302
    assert "followRedirects" in caught.value.message
    assert other.requests == []


def test_a_same_origin_redirect_keeps_every_header(server):
    server.route("GET", "/old", status=301, json={}, headers={"Location": "/new?page=2"})
    server.route("GET", "/new", json={"ok": True})
    masking.remember("vault-key-123456")

    outcome = call({"url": server.url("/old"), "headers": CREDENTIALS, "followRedirects": True})

    assert outcome.output["body"] == {"ok": True}
    (hop,) = server.received("GET", "/new")
    assert hop["query"] == {"page": ["2"]}
    for name, value in CREDENTIALS.items():
        assert hop["headers"][name] == value


def test_a_hop_to_another_origin_drops_credentials_and_secret_headers(server, other):
    server.route("GET", "/old", status=302, json={}, headers={"Location": f"http://localhost:{other.port}/new"})
    other.route("GET", "/new", json={"ok": True})
    masking.remember("vault-key-123456")  # a secret config value, as the engine remembers it

    outcome = call({"url": server.url("/old"), "headers": CREDENTIALS, "followRedirects": True})

    assert outcome.output["status"] == 200
    (hop,) = other.received("GET", "/new")
    sent = {name.lower() for name in hop["headers"]}
    assert not sent & {"authorization", "cookie", "proxy-authorization", "x-api-key"}
    assert hop["headers"]["X-Trace"] == "trace-1"
    assert hop["headers"]["Host"] == f"localhost:{other.port}"
    assert "Idempotency-Key" in hop["headers"]


def test_a_webhook_signature_is_not_forwarded_to_another_origin(server, other):
    server.route("POST", "/hook", status=307, json={}, headers={"Location": f"http://localhost:{other.port}/hook"})
    other.route("POST", "/hook", json={})

    call(
        {"url": server.url("/hook"), "body": {"a": 1}, "signingSecret": "whsec-1", "followRedirects": True},
        handler=WebhookCall,
    )

    assert "X-Signature-256" in server.received("POST", "/hook")[0]["headers"]
    (hop,) = other.received("POST", "/hook")
    assert hop["body"] == {"a": 1}
    assert "X-Signature-256" not in hop["headers"] and "X-Signature-Timestamp" not in hop["headers"]


@pytest.mark.parametrize(
    ("status", "method", "then", "keeps_body"),
    [
        (303, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (302, "POST", "GET", False),
        (301, "POST", "GET", False),
        (302, "PUT", "PUT", True),
        (307, "POST", "POST", True),
        (308, "PATCH", "PATCH", True),
    ],
)
def test_methods_and_bodies_across_redirects_follow_browsers_and_requests(server, status, method, then, keeps_body):
    server.route(method, "/old", status=status, json={}, headers={"Location": "/new"})
    server.route(then, "/new", json={"ok": True})

    call({"url": server.url("/old"), "method": method, "body": {"lead": 1}, "followRedirects": True})

    (hop,) = server.received(then, "/new")
    assert (hop["body"] == {"lead": 1}) is keeps_body
    assert ("Content-Type" in hop["headers"]) is keeps_body


def test_more_redirects_than_allowed_fail_the_step(server):
    server.route("GET", "/loop", status=302, json={}, headers={"Location": "/loop"})

    with pytest.raises(StepError) as caught:
        call({"url": server.url("/loop"), "followRedirects": True, "maxRedirects": 3})

    assert caught.value.error_type == HTTP_ERROR
    assert "more than 3 times" in caught.value.message
    assert len(server.received("GET", "/loop")) == 4


@override_settings(OUTBOUND_MAX_REDIRECTS=2)
def test_the_setting_caps_max_redirects(server):
    server.route("GET", "/loop", status=302, json={}, headers={"Location": "/loop"})

    with pytest.raises(StepError) as caught:
        call({"url": server.url("/loop"), "followRedirects": True, "maxRedirects": 50})

    assert "more than 2 times" in caught.value.message


@override_settings(OUTBOUND_MAX_REDIRECTS=5)
def test_max_redirects_above_the_setting_is_a_400(api):
    step = {"id": "a", "type": "HTTP_REQUEST", "config": {"url": "https://api.test/x", "maxRedirects": 6}}

    response = api.post("/api/v1/workflows", {"name": "x", "category": "c", "steps": [step]}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "steps[0].config.maxRedirects", "message": "At most 5 (OUTBOUND_MAX_REDIRECTS)."}
    ]


def test_cookies_a_service_sets_are_never_sent_on_later_calls(server):
    server.route("GET", "/login", json={}, headers={"Set-Cookie": "session=from-a; Path=/"})
    server.route("GET", "/later", json={})

    call({"url": server.url("/login")})
    call({"url": server.url("/later")})

    assert "Cookie" not in server.received("GET", "/later")[0]["headers"]


@pytest.mark.parametrize(
    "location", ["http://localhost:99999/x", "http://[::1/x"], ids=["port out of range", "bad IPv6"]
)
@pytest.mark.parametrize("follow", [True, False], ids=["followed", "not followed"])
def test_a_redirect_to_a_malformed_location_is_the_services_http_error(server, location, follow):
    # The service answered with a Location no client can follow: its answer, not a bug in the step.
    server.route("GET", "/old", status=302, json={}, headers={"Location": location})

    with pytest.raises(StepError) as caught:
        call({"url": server.url("/old"), "followRedirects": follow})

    assert caught.value.error_type == HTTP_ERROR and caught.value.status == 302
    if follow:
        assert location in caught.value.message


@pytest.mark.parametrize("status", [307, 308])
def test_a_body_holding_a_secret_is_not_sent_to_another_origin(server, other, status):
    server.route("POST", "/quote", status=status, json={}, headers={"Location": f"http://localhost:{other.port}/q"})
    other.route("POST", "/q", json={"ok": True})
    masking.remember("vault-key-123456")  # a secret config value, as the engine remembers it

    with pytest.raises(StepError) as caught:
        call(
            {
                "url": server.url("/quote"),
                "method": "POST",
                "body": {"apiKey": "vault-key-123456"},
                "followRedirects": True,
            }
        )

    assert caught.value.error_type == HTTP_ERROR and caught.value.status == status
    assert "holds a secret" in caught.value.message and "vault-key-123456" not in caught.value.message
    assert other.requests == []


def test_a_body_without_secrets_follows_a_307_to_another_origin(server, other):
    server.route("POST", "/quote", status=307, json={}, headers={"Location": f"http://localhost:{other.port}/q"})
    other.route("POST", "/q", json={"ok": True})
    masking.remember("vault-key-123456")

    outcome = call({"url": server.url("/quote"), "method": "POST", "body": {"lead": 1}, "followRedirects": True})

    assert outcome.output["body"] == {"ok": True}
    assert other.received("POST", "/q")[0]["body"] == {"lead": 1}
