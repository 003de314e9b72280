"""HTTP_REQUEST: how the request is built and how the response becomes an outcome (mocked transport)."""

import json
import socket

import pytest
import requests
import responses
from responses import matchers

from executions.engine.errors import HTTP_ERROR, NETWORK_ERROR, STEP_ERROR, TIMEOUT, TRANSFORM_ERROR, StepError
from executions.engine.outcomes import Completed
from executions.engine.steps.http_request import HttpRequest
from tests.support.invocations import invocation

URL = "https://api.test/leads"


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def run(config, **kwargs):
    return HttpRequest().execute(invocation({"url": URL, **config}, type_name="HTTP_REQUEST", **kwargs))


def sent(mocked, index=0):
    return mocked.calls[index].request


# ---------------------------------------------------------------- method, URL, query


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_method(mocked, method):
    mocked.add(method, URL, json={"ok": True})
    outcome = run({"method": method})
    assert sent(mocked).method == method
    assert isinstance(outcome, Completed)


def test_get_is_the_default_and_sends_no_body(mocked):
    mocked.add("GET", URL, json={})
    run({})
    assert sent(mocked).method == "GET"
    assert sent(mocked).body is None


def test_query_params_are_rendered_as_text(mocked):
    mocked.add(
        "GET",
        URL,
        json={},
        match=[
            matchers.query_param_matcher(
                {"q": "ada lovelace", "page": "2", "active": "true", "ratio": "0.5", "empty": "", "f": '{"a":1}'}
            )
        ],
    )
    run({"queryParams": {"q": "ada lovelace", "page": 2, "active": True, "ratio": 0.5, "empty": None, "f": {"a": 1}}})
    assert "q=ada+lovelace" in sent(mocked).url


def test_query_params_join_a_query_already_in_the_url(mocked):
    mocked.add("GET", URL, json={}, match=[matchers.query_param_matcher({"a": "1", "b": "2"})])
    HttpRequest().execute(
        invocation({"url": URL + "?a=1", "queryParams": {"b": 2}}, type_name="HTTP_REQUEST"),
    )
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("url", ["/relative/path", "https://", "not a url", 5, None])
def test_only_absolute_http_urls(url):
    with pytest.raises(StepError) as caught:
        HttpRequest().execute(invocation({"url": url}, type_name="HTTP_REQUEST"))
    assert caught.value.error_type == STEP_ERROR


@pytest.mark.parametrize("url", ["ftp://api.test/x", "file:///etc/passwd", "gopher://api.test:70/_x"])
def test_other_schemes_are_refused_as_destinations(url):
    with pytest.raises(StepError) as caught:
        HttpRequest().execute(invocation({"url": url}, type_name="HTTP_REQUEST"))
    assert caught.value.error_type == "DESTINATION_BLOCKED"
    assert "only http and https" in caught.value.message


# ---------------------------------------------------------------- bodies


def test_json_body_object_is_sent_as_json(mocked):
    lead = {"id": "lead_1", "email": "ada@example.com", "score": 85, "tags": ["a"], "vip": False}
    mocked.add("POST", URL, json={}, match=[matchers.json_params_matcher(lead)])
    run({"method": "POST", "body": lead})
    assert sent(mocked).headers["Content-Type"] == "application/json"
    assert json.loads(sent(mocked).body) == lead


@pytest.mark.parametrize("body", [[1, 2, 3], "just a string", 42, False])
def test_json_body_of_any_json_type(mocked, body):
    mocked.add("POST", URL, json={})
    run({"method": "POST", "body": body})
    assert json.loads(sent(mocked).body) == body


def test_text_body(mocked):
    mocked.add("POST", URL, body="ok")
    run({"method": "POST", "body": "name=Ada & co", "bodyType": "text"})
    assert sent(mocked).body == b"name=Ada & co"
    assert sent(mocked).headers["Content-Type"] == "text/plain; charset=utf-8"


def test_text_body_keeps_an_explicit_content_type(mocked):
    mocked.add("POST", URL, body="ok")
    run({"method": "POST", "body": "<a/>", "bodyType": "text", "headers": {"content-type": "application/xml"}})
    assert sent(mocked).headers["Content-Type"] == "application/xml"


def test_text_body_renders_non_strings_as_text(mocked):
    mocked.add("POST", URL, body="ok")
    run({"method": "POST", "body": {"b": 1, "a": [True]}, "bodyType": "text"})
    assert sent(mocked).body == b'{"a":[true],"b":1}'


def test_unicode_text_body_is_utf8(mocked):
    mocked.add("POST", URL, body="ok")
    run({"method": "POST", "body": "Zoë ✓", "bodyType": "text"})
    assert sent(mocked).body == "Zoë ✓".encode()


# ---------------------------------------------------------------- headers and idempotency


def test_headers_are_rendered_as_text(mocked):
    mocked.add("GET", URL, json={})
    run({"headers": {"Authorization": "Bearer k", "X-Count": 5, "X-Flag": True, "X-Ratio": 1.5}})
    headers = sent(mocked).headers
    assert headers["Authorization"] == "Bearer k"
    assert headers["X-Count"] == "5"
    assert headers["X-Flag"] == "true"
    assert headers["X-Ratio"] == "1.5"


def test_idempotency_key_is_sent_by_default(mocked):
    mocked.add("POST", URL, json={})
    run({"method": "POST"}, idempotency_key="exec-9:step_3a")
    assert sent(mocked).headers["Idempotency-Key"] == "exec-9:step_3a"


def test_idempotency_key_is_the_same_on_every_attempt(mocked):
    mocked.add("POST", URL, json={})
    for attempt in (1, 2, 3):
        run({"method": "POST"}, idempotency_key="exec-9:step_3a", attempt=attempt)
    assert {call.request.headers["Idempotency-Key"] for call in mocked.calls} == {"exec-9:step_3a"}


@pytest.mark.parametrize("setting", [True, {}])
def test_idempotency_key_explicitly_on(mocked, setting):
    mocked.add("POST", URL, json={})
    run({"method": "POST", "idempotencyKey": setting}, idempotency_key="k1")
    assert sent(mocked).headers["Idempotency-Key"] == "k1"


def test_idempotency_key_header_renamed(mocked):
    mocked.add("POST", URL, json={})
    run({"method": "POST", "idempotencyKey": {"header": "X-Request-Id"}}, idempotency_key="k1")
    assert sent(mocked).headers["X-Request-Id"] == "k1"
    assert "Idempotency-Key" not in sent(mocked).headers


def test_idempotency_key_switched_off(mocked):
    mocked.add("POST", URL, json={})
    run({"method": "POST", "idempotencyKey": False}, idempotency_key="k1")
    assert "Idempotency-Key" not in sent(mocked).headers


@pytest.mark.parametrize("name", ["Idempotency-Key", "idempotency-key", "IDEMPOTENCY-KEY"])
def test_an_explicit_idempotency_header_wins(mocked, name):
    mocked.add("POST", URL, json={})
    run({"method": "POST", "headers": {name: "lead_123"}}, idempotency_key="generated")
    assert sent(mocked).headers["Idempotency-Key"] == "lead_123"


# ---------------------------------------------------------------- timeout


@pytest.mark.parametrize(
    ("config", "kwargs", "timeout"),
    [
        ({}, {}, (10, 30.0)),
        ({"timeout": 5000}, {}, (5.0, 5.0)),
        ({"timeout": 60000}, {}, (10, 60.0)),
        ({}, {"options": {"HTTP_TIMEOUT_MS": 12000}}, (10, 12.0)),
        # Never past the workflow's deadline.
        ({"timeout": 30000}, {"remaining_ms": 2000}, (2.0, 2.0)),
        ({"timeout": 1000}, {"remaining_ms": 50000}, (1.0, 1.0)),
    ],
)
def test_timeout_is_always_set(mocked, config, kwargs, timeout):
    mocked.add("GET", URL, json={})
    run(config, **kwargs)
    assert mocked.calls[0].request.req_kwargs["timeout"] == timeout


def test_a_timeout_fails_with_timeout(mocked):
    mocked.add("GET", URL, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(StepError) as caught:
        run({"timeout": 1500})
    assert caught.value.error_type == TIMEOUT
    assert caught.value.code == "ETIMEDOUT"
    assert "1500 ms" in caught.value.message


# ---------------------------------------------------------------- responses and errors


def test_output_has_status_headers_and_body(mocked):
    mocked.add("GET", URL, json={"data": {"id": 1}}, status=201, headers={"X-Trace": "t1"})
    outcome = run({})
    assert outcome.output["status"] == 201
    assert outcome.output["headers"]["X-Trace"] == "t1"
    assert outcome.output["body"] == {"data": {"id": 1}}
    assert outcome.variables is None


def test_text_response_body_is_text(mocked):
    mocked.add("GET", URL, body="plain words", content_type="text/plain")
    assert run({}).output["body"] == "plain words"


@pytest.mark.parametrize("status", [400, 404, 422, 500, 503])
def test_non_2xx_fails_with_status_and_body_excerpt(mocked, status):
    mocked.add("POST", URL, json={"error": "carrier says no", "pad": "x" * 2000}, status=status)
    with pytest.raises(StepError) as caught:
        run({"method": "POST"})
    error = caught.value
    assert error.error_type == HTTP_ERROR
    assert error.status == status
    assert str(status) in error.message
    assert "carrier says no" in error.message
    assert len(error.message) < 700
    assert error.as_dict()["status"] == status


def test_retry_after_is_read_from_a_503(mocked):
    mocked.add("GET", URL, body="busy", status=503, headers={"Retry-After": "7"})
    with pytest.raises(StepError) as caught:
        run({})
    assert caught.value.retry_after_ms == 7000


def test_redirects_are_not_followed(mocked):
    mocked.add("GET", URL, status=302, headers={"Location": "https://elsewhere.test/"})
    with pytest.raises(StepError) as caught:
        run({})
    assert caught.value.status == 302
    assert len(mocked.calls) == 1


def test_accept_statuses_accepts_listed_statuses(mocked):
    mocked.add("GET", URL, json={"error": "not found"}, status=404)
    outcome = run({"acceptStatuses": [200, 404]})
    assert outcome.output["status"] == 404


def test_accept_statuses_replaces_the_2xx_rule(mocked):
    mocked.add("GET", URL, json={}, status=201)
    with pytest.raises(StepError) as caught:
        run({"acceptStatuses": [200]})
    assert caught.value.status == 201


# ---------------------------------------------------------------- extractResponse


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("data", {"id": "lead_1", "items": [{"sku": "A"}, {"sku": "B"}]}),
        ("data.id", "lead_1"),
        ("$.data.items[0]", {"sku": "A"}),
        ("$.data.items[1].sku", "B"),
        ("data.items.0.sku", "A"),
        ("$", {"data": {"id": "lead_1", "items": [{"sku": "A"}, {"sku": "B"}]}}),
    ],
)
def test_extract_response_paths(mocked, path, expected):
    mocked.add("GET", URL, json={"data": {"id": "lead_1", "items": [{"sku": "A"}, {"sku": "B"}]}})
    outcome = run({"extractResponse": {"type": "JSON_PATH", "path": path}})
    assert outcome.output["extracted"] == expected
    assert outcome.variables is None


def test_extract_response_sets_a_variable(mocked):
    mocked.add("GET", URL, json={"data": {"email": "ada@example.com"}})
    outcome = run({"extractResponse": {"type": "JSON_PATH", "path": "data", "variableName": "leadData"}})
    assert outcome.variables == {"leadData": {"email": "ada@example.com"}}
    assert outcome.output["body"] == {"data": {"email": "ada@example.com"}}


@pytest.mark.parametrize("path", ["data.missing", "$.data.items[5]", "nope"])
def test_extract_response_missing_path_fails(mocked, path):
    mocked.add("GET", URL, json={"data": {"items": []}})
    with pytest.raises(StepError) as caught:
        run({"extractResponse": {"path": path, "variableName": "x"}})
    assert caught.value.error_type == TRANSFORM_ERROR
    assert path in caught.value.message


def test_extract_response_from_a_text_body_fails(mocked):
    mocked.add("GET", URL, body="not json", content_type="text/plain")
    with pytest.raises(StepError) as caught:
        run({"extractResponse": {"path": "data"}})
    assert caught.value.error_type == TRANSFORM_ERROR


# ---------------------------------------------------------------- network errors


def test_connection_refused_is_a_network_error(mocked):
    mocked.add(
        "GET", URL, body=requests.exceptions.ConnectionError("Failed to establish a new connection: Connection refused")
    )
    with pytest.raises(StepError) as caught:
        run({})
    assert caught.value.error_type == NETWORK_ERROR
    assert caught.value.code == "ECONNREFUSED"


def test_a_real_refused_port_on_loopback_is_econnrefused():
    # Given a loopback port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # When the step calls it, with no mock in the way
    with pytest.raises(StepError) as caught:
        HttpRequest().execute(
            invocation({"url": f"http://127.0.0.1:{port}/x", "timeout": 2000}, type_name="HTTP_REQUEST")
        )
    # Then the failure is a NETWORK_ERROR with the symbolic code a retry policy can name
    assert caught.value.error_type == NETWORK_ERROR
    assert caught.value.code == "ECONNREFUSED"
