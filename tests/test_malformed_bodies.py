"""No request body, however broken, gets a 500: every endpoint that reads one answers 4xx.

A 400 always has the shape {"errors": [{"path", "message"}]} and nothing is written.
"""

import json

import pytest
from django.conf import settings

from breakers.models import CircuitBreaker
from breakers.services import breaker_get_or_create
from executions.models import WorkflowExecution
from workflows import services as workflow_services
from workflows.models import ConfigEntry, Workflow

STEP = {"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/ping"}}

# (method, path template) of every endpoint that reads a body.
ENDPOINTS = [
    ("post", "/api/v1/workflows"),
    ("put", "/api/v1/workflows/{workflow}"),
    ("patch", "/api/v1/workflows/{workflow}"),
    ("post", "/api/v1/workflows/{workflow}/execute"),
    ("put", "/api/v1/circuit-breakers/{breaker}/config"),
    ("post", "/api/orchestration/execute"),
    ("post", "/api/v1/orchestration/execute"),
    ("post", "/api/v1/config"),
    ("put", "/api/v1/config/{key}"),
    ("patch", "/api/v1/config/{key}"),
]

BROKEN_BODIES = {
    "not JSON": b"{not json",
    "trailing comma": b'{"name": "x",}',
    "truncated": b'{"name": "x", "steps": [',
    "single quotes": b"{'name': 'x'}",
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "whitespace only": b"   \n ",
    "NaN": b'{"name": "x", "category": "c", "steps": [], "metadata": {"n": NaN}, "input": {"n": NaN}, "value": NaN}',
    "Infinity": b'{"name": "x", "category": "c", "steps": [], "timeout": Infinity, "threshold": -Infinity}',
    "number out of range": b'{"name": "x", "category": "c", "steps": [], "metadata": {"n": 1e400}, "value": 1e400}',
    "NUL in a string": (
        b'{"name": "a\\u0000b", "category": "c", "steps": [], "key": "k\\u0000", "input": {"a": "\\u0000"}}'
    ),
    "lone surrogate": (
        b'{"name": "a\\ud800", "category": "c", "steps": [], "key": "k\\udfff", "input": {"a": "\\ud800"}}'
    ),
    "5000 levels deep": b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "list": b"[]",
    "list of objects": b'[{"name": "x"}]',
    "string": b'"hello"',
    "number": b"42",
    "true": b"true",
    "null": b"null",
}


@pytest.fixture
def targets(db):
    """One of each object the endpoints address, and a snapshot of what is stored."""
    workflow = workflow_services.workflow_create(
        data={"name": "Ping", "category": "test", "status": "ACTIVE", "steps": [STEP]}
    )
    breaker = breaker_get_or_create(service_id="carrier-a-api")
    workflow_services.config_set(key="carrierA", value={"apiKey": "secret"}, is_secret=True)
    return {"workflow": workflow.pk, "breaker": breaker.service_id, "key": "carrierA"}


def stored():
    """Everything a refused request must leave untouched."""
    return {
        "workflows": list(Workflow.objects.values("id", "name", "version", "steps", "status", "metadata")),
        "executions": WorkflowExecution.objects.count(),
        "breakers": list(CircuitBreaker.objects.values("service_id", "threshold", "timeout", "half_open_max_calls")),
        "config": list(ConfigEntry.objects.values("key", "value", "is_secret")),
    }


def send(api, method, template, targets, body, content_type="application/json", **extra):
    return getattr(api, method)(template.format(**targets), body, content_type=content_type, **extra)


def assert_error_shape(response):
    body = response.json()
    assert set(body) == {"errors"}, body
    assert body["errors"]
    for error in body["errors"]:
        assert set(error) == {"path", "message"}
        assert isinstance(error["path"], str)
        assert isinstance(error["message"], str) and error["message"]
    return body["errors"]


@pytest.mark.parametrize("body", list(BROKEN_BODIES.values()), ids=list(BROKEN_BODIES))
@pytest.mark.parametrize(("method", "template"), ENDPOINTS, ids=[f"{m} {t}" for m, t in ENDPOINTS])
def test_broken_body_is_a_400_and_writes_nothing(api, targets, method, template, body):
    before = stored()

    response = send(api, method, template, targets, body)

    assert response.status_code == 400, response.content
    assert_error_shape(response)
    assert stored() == before


@pytest.mark.parametrize(("method", "template"), ENDPOINTS, ids=[f"{m} {t}" for m, t in ENDPOINTS])
def test_body_over_the_upload_limit_is_413(api, targets, method, template):
    before = stored()
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    body = json.dumps({"name": "big", "category": "c", "steps": [], "metadata": {"pad": padding}})

    response = send(api, method, template, targets, body)

    assert response.status_code == 413
    assert stored() == before


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "name=x&category=c"),
        ("text/plain", '{"name": "x"}'),
        ("application/xml", "<workflow/>"),
    ],
)
@pytest.mark.parametrize(("method", "template"), ENDPOINTS, ids=[f"{m} {t}" for m, t in ENDPOINTS])
def test_body_that_is_not_json_by_content_type_is_415(api, targets, method, template, content_type, body):
    before = stored()

    response = send(api, method, template, targets, body, content_type=content_type)

    assert response.status_code == 415
    assert stored() == before


def test_broken_body_asking_for_html_gets_the_browsable_400(api, targets):
    response = api.post("/api/v1/workflows", b"{oops", content_type="application/json", HTTP_ACCEPT="text/html")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert Workflow.objects.count() == 1


def test_oversized_body_asking_for_html_gets_413(api, targets):
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = api.post("/api/v1/workflows", padding, content_type="application/json", HTTP_ACCEPT="text/html")

    assert response.status_code == 413


# ------------------------------------------------------------ well-formed JSON, wrong shape

WRONG_SHAPES = [
    # (method, template, body, paths that must be named)
    ("post", "/api/v1/workflows", {"name": "x", "category": "c", "steps": "step_1"}, ["steps"]),
    ("post", "/api/v1/workflows", {"name": "x", "category": "c", "steps": {"id": "a"}}, ["steps"]),
    (
        "post",
        "/api/v1/workflows",
        {"name": "x", "category": "c", "steps": ["step_1", None, 3]},
        ["steps[0]", "steps[1]", "steps[2]"],
    ),
    ("post", "/api/v1/workflows", {"name": 5, "category": ["c"], "steps": []}, ["name", "category"]),
    ("post", "/api/v1/workflows", {"name": {"en": "x"}, "category": True, "steps": []}, ["name", "category"]),
    ("post", "/api/v1/workflows", {"name": "x", "category": "c", "steps": [], "triggers": "MANUAL"}, ["triggers"]),
    (
        "post",
        "/api/v1/workflows",
        {"name": "x", "category": "c", "steps": [], "triggers": [["MANUAL"]]},
        ["triggers[0]"],
    ),
    (
        "post",
        "/api/v1/workflows",
        {"name": "x", "category": "c", "steps": [], "errorHandlers": "retry"},
        ["errorHandlers"],
    ),
    ("post", "/api/v1/workflows", {"name": "x", "category": "c", "steps": [], "description": 7}, ["description"]),
    ("post", "/api/v1/workflows", {"name": "x", "category": "c", "steps": [], "timeout": 1.5}, ["timeout"]),
    ("post", "/api/v1/workflows", {"name": "x", "category": "c", "steps": [], "timeout": 10**30}, ["timeout"]),
    ("post", "/api/v1/workflows", {"name": "x", "category": "c", "steps": [], "timeout": True}, ["timeout"]),
    ("post", "/api/v1/workflows", {"name": "x", "category": "c", "steps": [], "metadata": "none"}, ["metadata"]),
    ("post", "/api/v1/workflows", {"name": "x" * 201, "category": "c", "steps": []}, ["name"]),
    (
        "post",
        "/api/v1/workflows",
        {"name": "x", "category": "c", "steps": [{**STEP, "config": "url"}]},
        ["steps[0].config"],
    ),
    ("post", "/api/v1/workflows", {"name": "x", "category": "c", "steps": [{**STEP, "id": 1}]}, ["steps[0].id"]),
    (
        "post",
        "/api/v1/workflows",
        {"name": "x", "category": "c", "steps": [{**STEP, "order": "first"}]},
        ["steps[0].order"],
    ),
    (
        "post",
        "/api/v1/workflows",
        {"name": "x", "category": "c", "steps": [{**STEP, "config": {"url": ["https://a.test"]}}]},
        ["steps[0].config.url"],
    ),
    (
        "post",
        "/api/v1/workflows",
        {"name": "x", "category": "c", "steps": [{"id": "p", "type": "PARALLEL", "config": {"steps": "a,b"}}]},
        ["steps[0].config.steps"],
    ),
    (
        "post",
        "/api/v1/workflows",
        {"name": "x", "category": "c", "steps": [{"id": "p", "type": "PARALLEL", "config": {"steps": [1, None]}}]},
        ["steps[0].config.steps[0]", "steps[0].config.steps[1]"],
    ),
    ("patch", "/api/v1/workflows/{workflow}", {"steps": "ping"}, ["steps"]),
    ("put", "/api/v1/workflows/{workflow}", {"name": ["x"], "category": "c", "steps": {}}, ["name", "steps"]),
    ("post", "/api/v1/workflows/{workflow}/execute", {"input": "lead_123"}, ["input"]),
    ("post", "/api/v1/workflows/{workflow}/execute", {"input": [1, 2]}, ["input"]),
    ("post", "/api/v1/workflows/{workflow}/execute", {"metadata": 5}, ["metadata"]),
    ("post", "/api/v1/workflows/{workflow}/execute", {"testRun": "perhaps"}, ["testRun"]),
    ("put", "/api/v1/circuit-breakers/{breaker}/config", {"threshold": "ten"}, ["threshold"]),
    ("put", "/api/v1/circuit-breakers/{breaker}/config", {"timeout": [1000]}, ["timeout"]),
    ("put", "/api/v1/circuit-breakers/{breaker}/config", {"halfOpenMaxCalls": {"n": 1}}, ["halfOpenMaxCalls"]),
    ("put", "/api/v1/circuit-breakers/{breaker}/config", {"threshold": True}, ["threshold"]),
    ("put", "/api/v1/circuit-breakers/{breaker}/config", {"threshold": 10**30}, ["threshold"]),
    ("post", "/api/orchestration/execute", {"steps": "step_1"}, ["steps"]),
    ("post", "/api/orchestration/execute", {"steps": [STEP], "context": [1]}, ["context"]),
    ("post", "/api/orchestration/execute", {"steps": [STEP], "options": "fast"}, ["options"]),
    ("post", "/api/orchestration/execute", {"steps": [STEP], "options": {"timeout": "soon"}}, ["options.timeout"]),
    ("post", "/api/orchestration/execute", {"steps": [STEP], "options": {"fast": True}}, ["options.fast"]),
    ("post", "/api/orchestration/execute", {"steps": [{"id": "a", "type": "NOPE", "config": {}}]}, ["steps[0].type"]),
    ("post", "/api/v1/config", {"key": ["k"], "value": 1}, ["key"]),
    ("post", "/api/v1/config", {"key": "k", "value": 1, "isSecret": "sometimes"}, ["isSecret"]),
    ("patch", "/api/v1/config/{key}", {"description": {"text": "x"}}, ["description"]),
]


@pytest.mark.parametrize(("method", "template", "body", "paths"), WRONG_SHAPES)
def test_wrong_types_are_named_in_a_400(api, targets, method, template, body, paths):
    before = stored()

    response = getattr(api, method)(template.format(**targets), body, format="json")

    assert response.status_code == 400, response.content
    named = {error["path"] for error in assert_error_shape(response)}
    assert set(paths) <= named, named
    assert stored() == before


def test_many_steps_within_the_size_limit_are_refused_quickly(api, targets):
    steps = [{"id": f"s{i}", "type": "WAIT", "config": {"duration": 1}} for i in range(5000)]

    response = api.post("/api/v1/workflows", {"name": "x", "category": "c", "steps": steps}, format="json")

    assert response.status_code == 400
    assert "steps" in {error["path"] for error in assert_error_shape(response)}
    assert Workflow.objects.count() == 1


def test_unicode_text_is_stored_and_returned_intact(api, targets):
    """The checks above refuse unstorable text only: real non-ASCII text is fine."""
    body = {"name": "Zürich → 東京 🚀", "category": "ünïcode", "steps": [STEP], "metadata": {"emoji": "😀"}}

    response = api.post("/api/v1/workflows", body, format="json")

    assert response.status_code == 201
    assert api.get(f"/api/v1/workflows/{response.json()['id']}").json()["name"] == "Zürich → 東京 🚀"


def test_an_execution_input_nested_deeper_than_the_limit_is_a_400_and_starts_nothing(api, make_workflow):

    workflow = make_workflow([{"id": "w", "type": "WAIT", "config": {"duration": 1}}])
    deep = "bottom"
    for _ in range(40):
        deep = [deep]

    response = api.post(f"/api/v1/workflows/{workflow.pk}/execute", {"input": {"deep": deep}}, format="json")

    assert response.status_code == 400
    assert "Nested deeper than 32 levels." in str(response.json())
    assert not WorkflowExecution.objects.exists()
