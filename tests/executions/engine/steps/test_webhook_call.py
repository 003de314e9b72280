"""WEBHOOK_CALL: method, headers, JSON body, timeout, and an HMAC-SHA256 signature a receiver can verify."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import responses

from executions.engine.errors import HTTP_ERROR, StepError
from executions.engine.outcomes import Completed
from executions.engine.steps.webhook_call import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookCall, sign
from tests.support.invocations import NOW, invocation

URL = "https://webhook.test/notify"
BODY = {"leadId": "lead_123", "carriers": ["Carrier A", "Carrier B", "Carrier C"], "status": "submitted"}
SECRET = "whsec_test_123"


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def run(config, **kwargs):
    return WebhookCall().execute(invocation({"url": URL, **config}, type_name="WEBHOOK_CALL", **kwargs))


def verify(secret, headers, raw_body, *, now, tolerance_s=300, header=SIGNATURE_HEADER):
    """What a receiver does: recompute the HMAC over "<timestamp>.<raw body>" and check the window."""
    timestamp = headers[TIMESTAMP_HEADER]
    if abs(now.timestamp() - int(timestamp)) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers[header], f"sha256={expected}")


def test_spec_example_1_notification(mocked):
    mocked.add("POST", URL, json={"received": True})
    outcome = run({"method": "POST", "body": BODY})
    request = mocked.calls[0].request
    assert request.method == "POST"
    assert json.loads(request.body) == BODY
    assert request.headers["Content-Type"] == "application/json"
    assert isinstance(outcome, Completed)
    assert outcome.output["status"] == 200
    assert outcome.output["body"] == {"received": True}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_methods(mocked, method):
    mocked.add(method, URL, json={})
    run({"method": method, "body": BODY})
    assert mocked.calls[0].request.method == method


def test_post_is_the_default(mocked):
    mocked.add("POST", URL, json={})
    run({"body": BODY})
    assert mocked.calls[0].request.method == "POST"


def test_body_is_compact_json(mocked):
    mocked.add("POST", URL, json={})
    run({"body": {"a": 1, "b": [1, 2]}})
    assert mocked.calls[0].request.body == b'{"a":1,"b":[1,2]}'


def test_no_body_sends_json_null(mocked):
    mocked.add("POST", URL, json={})
    run({})
    assert mocked.calls[0].request.body == b"null"


def test_custom_headers_and_idempotency_key(mocked):
    mocked.add("POST", URL, json={})
    run({"body": BODY, "headers": {"X-Source": "orchestrator", "X-Attempt": 2}}, idempotency_key="exec-1:step_4")
    headers = mocked.calls[0].request.headers
    assert headers["X-Source"] == "orchestrator"
    assert headers["X-Attempt"] == "2"
    assert headers["Idempotency-Key"] == "exec-1:step_4"


def test_idempotency_key_can_be_switched_off(mocked):
    mocked.add("POST", URL, json={})
    run({"body": BODY, "idempotencyKey": False})
    assert "Idempotency-Key" not in mocked.calls[0].request.headers


@pytest.mark.parametrize(("config", "timeout"), [({}, (10, 30.0)), ({"timeout": 4000}, (4.0, 4.0))])
def test_timeout(mocked, config, timeout):
    mocked.add("POST", URL, json={})
    run({"body": BODY, **config})
    assert mocked.calls[0].request.req_kwargs["timeout"] == timeout


def test_unsigned_without_a_secret(mocked):
    mocked.add("POST", URL, json={})
    run({"body": BODY})
    headers = mocked.calls[0].request.headers
    assert SIGNATURE_HEADER not in headers
    assert TIMESTAMP_HEADER not in headers


def test_signature_is_verifiable_by_a_receiver(mocked):
    mocked.add("POST", URL, json={})
    run({"body": BODY, "signingSecret": SECRET})
    request = mocked.calls[0].request
    assert request.headers[TIMESTAMP_HEADER] == str(int(NOW.timestamp()))
    assert request.headers[SIGNATURE_HEADER].startswith("sha256=")
    # The receiver verifies the bytes it received, with the shared secret
    assert verify(SECRET, request.headers, request.body, now=NOW)
    # And rejects a wrong secret, a changed body, or a replay outside its window
    assert not verify("other-secret", request.headers, request.body, now=NOW)
    assert not verify(SECRET, request.headers, request.body.replace(b"submitted", b"cancelled"), now=NOW)
    assert not verify(SECRET, request.headers, request.body, now=NOW + timedelta(hours=1))


def test_signature_header_can_be_renamed(mocked):
    mocked.add("POST", URL, json={})
    run({"body": BODY, "signingSecret": SECRET, "signatureHeader": "X-Hub-Signature-256"})
    request = mocked.calls[0].request
    assert SIGNATURE_HEADER not in request.headers
    assert verify(SECRET, request.headers, request.body, now=NOW, header="X-Hub-Signature-256")


def test_signature_covers_non_ascii_bodies(mocked):
    mocked.add("POST", URL, json={})
    run({"body": {"name": "Zoë ✓"}, "signingSecret": SECRET})
    request = mocked.calls[0].request
    assert json.loads(request.body) == {"name": "Zoë ✓"}
    assert verify(SECRET, request.headers, request.body, now=NOW)


def test_sign_known_vector():
    # HMAC-SHA256("key", "1700000000.{}") computed independently of the module.
    expected = hmac.new(b"key", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("key", 1700000000, b"{}") == f"sha256={expected}"


@pytest.mark.parametrize("status", [400, 500])
def test_non_2xx_fails(mocked, status):
    mocked.add("POST", URL, body="receiver exploded", status=status)
    with pytest.raises(StepError) as caught:
        run({"body": BODY})
    assert caught.value.error_type == HTTP_ERROR
    assert caught.value.status == status
    assert "receiver exploded" in caught.value.message


def test_accept_statuses(mocked):
    mocked.add("POST", URL, body="", status=410)
    assert run({"body": BODY, "acceptStatuses": [410]}).output["status"] == 410
