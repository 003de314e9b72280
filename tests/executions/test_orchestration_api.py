"""POST /api/orchestration/execute: validated like a workflow, answered with the result or 202."""

import time

import pytest

from tests.support.workers import wait_for_execution


def request_body(server, request_id="req_1", **options):
    return {
        "requestId": request_id,
        "steps": [
            {
                "id": "step_1",
                "name": "Fetch Data",
                "type": "HTTP_REQUEST",
                "config": {"method": "GET", "url": server.url("/posts/1")},
            }
        ],
        "context": {"serviceId": "posts-api"},
        "options": {"enableLogging": True, **options},
    }


@pytest.mark.parametrize("path", ["/api/orchestration/execute", "/api/v1/orchestration/execute"])
def test_result_within_timeout_is_200(worker, server, api, path):
    server.route("GET", "/posts/1", json={"id": 1, "title": "hello"})

    response = api.post(path, request_body(server), format="json")

    assert response.status_code == 200, response.data
    assert response.data["requestId"] == "req_1"
    assert response.data["status"] == "COMPLETED"
    assert response.data["output"]["steps"]["step_1"]["body"] == {"id": 1, "title": "hello"}
    assert [s["stepId"] for s in response.data["stepsExecuted"]] == ["step_1"]


def test_slow_request_is_202_then_pollable(worker, server, api):
    server.route("GET", "/posts/1", json={"id": 1}, delay=0.5)

    response = api.post("/api/orchestration/execute", request_body(server, "req_slow", timeout=50), format="json")

    assert response.status_code == 202
    active = api.get("/api/orchestration/active")
    assert "req_slow" in [item["requestId"] for item in active.data["results"]]
    wait_for_execution(response.data["executionId"])
    polled = api.get("/api/orchestration/active/req_slow")
    assert polled.status_code == 200
    assert polled.data["status"] == "COMPLETED"
    assert api.get("/api/orchestration/active/unknown").status_code == 404


def test_same_request_id_returns_the_same_run(worker, server, api):
    server.route("GET", "/posts/1", json={"id": 1})

    first = api.post("/api/orchestration/execute", request_body(server, "req_twice"), format="json")
    second = api.post("/api/orchestration/execute", request_body(server, "req_twice"), format="json")

    assert first.data["executionId"] == second.data["executionId"]
    assert len(server.received("GET", "/posts/1")) == 1


def test_stop_on_first_error_false_runs_every_step(worker, server, api):
    server.route("GET", "/ok", json={})
    body = {
        "requestId": "req_errors",
        "options": {"stopOnFirstError": False},
        "steps": [
            {"id": "bad", "type": "HTTP_REQUEST", "config": {"url": server.url("/missing")}},
            {"id": "good", "type": "HTTP_REQUEST", "config": {"url": server.url("/ok")}},
        ],
    }

    response = api.post("/api/orchestration/execute", body, format="json")

    assert response.data["status"] == "FAILED"
    assert {s["stepId"]: s["status"] for s in response.data["stepsExecuted"]} == {"bad": "FAILED", "good": "COMPLETED"}


def test_invalid_steps_are_400_with_paths(db, api):
    body = {
        "steps": [{"id": "s", "type": "HTTP_REQUEST", "config": {}}, {"id": "t", "type": "NOPE", "config": {}}],
        "options": {"unknown": 1},
    }

    response = api.post("/api/orchestration/execute", body, format="json")

    assert response.status_code == 400
    paths = {error["path"] for error in response.data["errors"]}
    assert "options.unknown" in paths
    body.pop("options")
    response = api.post("/api/orchestration/execute", body, format="json")
    paths = {error["path"] for error in response.data["errors"]}
    assert {"steps[0].config.url", "steps[1].type"} <= paths


def test_requires_authentication_and_permission(db, anon_api, viewer_api, viewer_role_api, server):
    assert anon_api.post("/api/orchestration/execute", request_body(server), format="json").status_code == 401
    assert viewer_api.post("/api/orchestration/execute", request_body(server), format="json").status_code == 403
    assert anon_api.get("/api/orchestration/active").status_code == 401
    started = time.monotonic()
    assert viewer_api.get("/api/orchestration/active").status_code == 403
    assert viewer_role_api.post("/api/orchestration/execute", request_body(server), format="json").status_code == 403
    assert viewer_role_api.get("/api/orchestration/active").status_code == 200
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("handlers", "path"),
    [
        ([{"stepId": []}], "errorHandlers[0].stepId"),
        (["junk"], "errorHandlers[0]"),
        ([{"stepId": "step_1"}], "errorHandlers[0].handlerStepId"),
        ([{"stepId": "step_1", "handlerStepId": "nope"}], "errorHandlers[0].handlerStepId"),
    ],
)
def test_error_handlers_are_validated_like_a_workflow(db, api, server, handlers, path):
    body = {**request_body(server, "req_handlers"), "errorHandlers": handlers}

    response = api.post("/api/orchestration/execute", body, format="json")

    assert response.status_code == 400
    assert path in {error["path"] for error in response.data["errors"]}
