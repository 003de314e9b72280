"""errorHandlers: the handler runs with {{error}}; shouldContinue decides what happens next."""

import pytest

from tests.conftest import steps_of


def flow(server, *, should_continue, error_types=None):
    handler = {"stepId": "submit", "handlerStepId": "notify", "shouldContinue": should_continue}
    if error_types is not None:
        handler["errorTypes"] = error_types
    steps = [
        {
            "id": "submit",
            "type": "HTTP_REQUEST",
            "order": 1,
            "config": {"method": "POST", "url": server.url("/submit")},
        },
        {"id": "after", "type": "HTTP_REQUEST", "order": 2, "config": {"url": server.url("/after")}},
        {
            "id": "notify",
            "type": "WEBHOOK_CALL",
            "order": 3,
            "config": {
                "url": server.url("/support"),
                "body": {"failed": "{{error.stepId}}", "type": "{{error.type}}", "status": "{{error.status}}"},
            },
        },
    ]
    return steps, [handler]


@pytest.mark.parametrize(("should_continue", "status", "after_calls"), [(True, "COMPLETED", 1), (False, "FAILED", 0)])
def test_handler_runs_with_the_error(worker, server, run_workflow, should_continue, status, after_calls):
    server.route("POST", "/submit", status=502, json={"error": "bad gateway"})
    server.route("GET", "/after", json={})
    server.route("POST", "/support", json={})
    steps, handlers = flow(server, should_continue=should_continue)

    execution = run_workflow(steps, errorHandlers=handlers)

    assert execution.status == status
    assert [r["body"] for r in server.received("POST", "/support")] == [
        {"failed": "submit", "type": "HTTP_ERROR", "status": 502}
    ]
    assert len(server.received("GET", "/after")) == after_calls
    records = steps_of(execution)
    assert records["submit"].status == "FAILED"
    assert records["submit"].error_type == "HTTP_ERROR"
    assert records["submit!notify"].status == "COMPLETED"
    if not should_continue:
        assert "submit" in execution.error and execution.error_type == "HTTP_ERROR"


def test_handler_only_for_listed_error_types(worker, server, run_workflow):
    server.route("POST", "/submit", status=502, json={})
    steps, handlers = flow(server, should_continue=True, error_types=["TIMEOUT"])

    execution = run_workflow(steps, errorHandlers=handlers)

    assert execution.status == "FAILED"
    assert server.received("POST", "/support") == []


def test_failing_handler_fails_the_execution_naming_both(worker, server, run_workflow):
    server.route("POST", "/submit", status=500, json={})
    server.route("POST", "/support", status=500, json={})
    steps, handlers = flow(server, should_continue=True)

    execution = run_workflow(steps, errorHandlers=handlers)

    assert execution.status == "FAILED"
    assert "notify" in execution.error
    assert server.received("GET", "/after") == []


def test_handler_for_a_parallel_child_lets_the_parallel_finish(worker, server, run_workflow):
    server.route("POST", "/a", status=503, json={})
    server.route("POST", "/b", json={"ok": True})
    server.route("POST", "/support", json={})
    steps = [
        {"id": "fan", "type": "PARALLEL", "config": {"steps": ["a", "b"]}},
        {"id": "a", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/a")}},
        {"id": "b", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/b")}},
        {"id": "notify", "type": "WEBHOOK_CALL", "config": {"url": server.url("/support"), "body": "{{error}}"}},
    ]

    execution = run_workflow(steps, errorHandlers=[{"stepId": "a", "handlerStepId": "notify", "shouldContinue": True}])

    assert execution.status == "COMPLETED", execution.error
    assert server.received("POST", "/support")[0]["body"]["stepId"] == "a"
    assert steps_of(execution)["fan"].status == "COMPLETED"


def test_a_container_handler_lets_the_run_go_on(worker, server, run_workflow):
    server.route("POST", "/submit", status=502, json={})
    server.route("POST", "/support", json={})
    server.route("GET", "/after", json={})
    steps = [
        {
            "id": "submit",
            "type": "HTTP_REQUEST",
            "order": 1,
            "config": {"method": "POST", "url": server.url("/submit")},
        },
        {"id": "after", "type": "HTTP_REQUEST", "order": 2, "config": {"url": server.url("/after")}},
        {
            "id": "triage",
            "type": "CONDITIONAL",
            "order": 3,
            "config": {
                "conditions": [{"field": "error.status", "operator": "gte", "value": 500}],
                "trueStepId": "notify",
            },
        },
        {
            "id": "notify",
            "type": "WEBHOOK_CALL",
            "order": 4,
            "config": {"url": server.url("/support"), "body": {"status": "{{error.status}}"}},
        },
    ]

    execution = run_workflow(
        steps, errorHandlers=[{"stepId": "submit", "handlerStepId": "triage", "shouldContinue": True}]
    )

    assert execution.status == "COMPLETED", execution.error
    assert [r["body"] for r in server.received("POST", "/support")] == [{"status": 502}]
    assert len(server.received("GET", "/after")) == 1
