"""Executions: list and read them, start one from a workflow, and read a workflow's metrics."""

from datetime import UTC, datetime, timedelta

import pytest

from executions.models import StepExecution, WorkflowExecution
from tests.support.workers import wait_for_execution

URL = "/api/v1/executions"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EXECUTION_FIELDS = {
    "id",
    "workflowId",
    "workflowVersion",
    "requestId",
    "status",
    "input",
    "output",
    "currentStepId",
    "startedAt",
    "completedAt",
    "duration",
    "error",
    "errorType",
    "metadata",
}
# The spec's StepExecution model, field for field.
SPEC_STEP_FIELDS = {
    "id",
    "executionId",
    "stepId",
    "stepName",
    "status",
    "input",
    "output",
    "startedAt",
    "completedAt",
    "duration",
    "attempt",
    "error",
    "logs",
}


def ping(url="https://example.test/ping"):
    return [{"id": "ping", "name": "Ping", "type": "HTTP_REQUEST", "config": {"method": "GET", "url": url}}]


def execution(workflow=None, minutes=0, **fields):
    return WorkflowExecution.objects.create(
        workflow=workflow,
        workflow_version=workflow.version if workflow else 1,
        started_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


def ids(response):
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


# ---------------------------------------------------------------- list and filters


@pytest.fixture
def history(make_workflow):
    lead = make_workflow(ping(), name="Lead")
    quote = make_workflow(ping(), name="Quote")
    rows = {
        "lead_done": execution(lead, 0, status="COMPLETED", duration=120),
        "lead_failed": execution(lead, 10, status="FAILED", error="boom", error_type="HTTP_ERROR"),
        "quote_running": execution(quote, 20, status="RUNNING", current_step_id="ping"),
        "adhoc": execution(None, 30, status="PENDING", request_id="req_1"),
    }
    return {"lead": lead, "quote": quote, **{name: str(row.pk) for name, row in rows.items()}}


def test_list_newest_first_with_the_spec_fields(api, history):
    response = api.get(URL)

    assert ids(response) == [history[name] for name in ["adhoc", "quote_running", "lead_failed", "lead_done"]]
    first = response.json()["results"][0]
    assert set(first) == EXECUTION_FIELDS
    assert (first["requestId"], first["workflowId"]) == ("req_1", None)
    failed = response.json()["results"][2]
    assert failed["workflowId"] == str(history["lead"].pk)
    assert (failed["status"], failed["error"], failed["errorType"]) == ("FAILED", "boom", "HTTP_ERROR")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"workflowId": "lead"}, ["lead_failed", "lead_done"]),
        ({"workflowId": "quote"}, ["quote_running"]),
        ({"status": "FAILED"}, ["lead_failed"]),
        ({"status": ["COMPLETED", "RUNNING"]}, ["quote_running", "lead_done"]),
        ({"workflowId": "lead", "status": "COMPLETED"}, ["lead_done"]),
        ({"startedAfter": "2025-03-01T12:10:00Z"}, ["adhoc", "quote_running", "lead_failed"]),
        ({"startedBefore": "2025-03-01T12:10:00Z"}, ["lead_done"]),
        (
            {"startedAfter": "2025-03-01T12:05:00Z", "startedBefore": "2025-03-01T12:25:00Z"},
            ["quote_running", "lead_failed"],
        ),
        ({"requestId": "req_1"}, ["adhoc"]),
        ({"ordering": "startedAt"}, ["lead_done", "lead_failed", "quote_running", "adhoc"]),
        ({"status": "CANCELLED"}, []),
    ],
)
def test_list_filters(api, history, params, expected):
    if "workflowId" in params:
        params = {**params, "workflowId": str(history[params["workflowId"]].pk)}

    assert ids(api.get(URL, params)) == [history[name] for name in expected]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"workflowId": "lead"}, "workflowId"),
        ({"status": "DONE"}, "status"),
        ({"startedAfter": "March"}, "startedAfter"),
        ({"startedBefore": "2025-02-30"}, "startedBefore"),
    ],
)
def test_list_refuses_invalid_filters(api, history, params, path):
    response = api.get(URL, params)

    assert response.status_code == 400
    assert path in [error["path"] for error in response.json()["errors"]]


def test_list_page_size(api, history):
    body = api.get(URL, {"pageSize": 3}).json()

    assert body["count"] == 4
    assert len(body["results"]) == 3
    assert body["next"] is not None


# ---------------------------------------------------------------- read one


def test_get_one_includes_its_steps_with_the_spec_field_names(api, make_workflow):
    workflow = make_workflow(ping())
    run = execution(workflow, status="COMPLETED", input={"leadId": "lead_1"}, output={"ping": {"ok": True}})
    first = StepExecution.objects.create(
        execution=run,
        key="ping",
        step_id="ping",
        step_name="Ping",
        step_type="HTTP_REQUEST",
        status="FAILED",
        attempt=1,
        input={"url": "https://example.test/ping"},
        error="HTTP 503",
        created_at=T0,
        duration=40,
        logs=[{"message": "503 from upstream"}],
    )
    StepExecution.objects.create(
        execution=run,
        key="ping#2",
        step_id="ping",
        step_name="Ping",
        step_type="HTTP_REQUEST",
        status="COMPLETED",
        attempt=2,
        output={"ok": True},
        created_at=T0 + timedelta(seconds=1),
        duration=35,
    )

    response = api.get(f"{URL}/{run.pk}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == EXECUTION_FIELDS | {"stepsExecuted"}
    assert body["input"] == {"leadId": "lead_1"}
    assert body["output"] == {"ping": {"ok": True}}
    steps = body["stepsExecuted"]
    assert [(s["status"], s["attempt"]) for s in steps] == [("FAILED", 1), ("COMPLETED", 2)]
    for step in steps:
        assert set(step) >= SPEC_STEP_FIELDS
        assert step["executionId"] == str(run.pk)
        assert (step["stepId"], step["stepName"]) == ("ping", "Ping")
    assert steps[0]["id"] == str(first.pk)
    assert (steps[0]["error"], steps[0]["duration"]) == ("HTTP 503", 40)
    assert steps[0]["logs"] == [{"message": "503 from upstream"}]
    assert steps[1]["output"] == {"ok": True}


def test_the_list_does_not_carry_step_records(api, make_workflow):
    run = execution(make_workflow(ping()), status="COMPLETED")
    StepExecution.objects.create(execution=run, key="ping", step_id="ping", step_type="HTTP_REQUEST")

    assert "stepsExecuted" not in api.get(URL).json()["results"][0]


@pytest.mark.parametrize("pk", ["5f0c6a70-2d69-4a4f-9a34-0f5b6b7c0d1e", "nope"])
def test_get_unknown_execution_is_404(api, pk):
    assert api.get(f"{URL}/{pk}").status_code == 404


def test_executions_are_read_only(api, make_workflow):
    run = execution(make_workflow(ping()), status="COMPLETED")

    assert api.post(URL, {"workflowId": str(run.workflow_id)}, format="json").status_code == 405
    assert api.delete(f"{URL}/{run.pk}").status_code == 405
    assert api.patch(f"{URL}/{run.pk}", {"status": "FAILED"}, format="json").status_code == 405
    assert WorkflowExecution.objects.get().status == "COMPLETED"


# ---------------------------------------------------------------- execute


def execute_url(workflow_id):
    return f"/api/v1/workflows/{workflow_id}/execute"


def test_execute_accepts_and_records_a_pending_run(api, make_workflow):
    workflow = make_workflow(ping())

    response = api.post(execute_url(workflow.pk), {"input": {"leadId": "lead_123"}}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert set(body) == EXECUTION_FIELDS
    assert (body["workflowId"], body["workflowVersion"], body["status"]) == (str(workflow.pk), 1, "PENDING")
    assert body["input"] == {"leadId": "lead_123"}
    stored = WorkflowExecution.objects.get(pk=body["id"])
    assert stored.workflow_id == workflow.pk
    assert stored.input == {"leadId": "lead_123"}
    assert api.get(f"{URL}/{body['id']}").status_code == 200


def test_execute_without_a_body_runs_with_empty_input(api, make_workflow):
    workflow = make_workflow(ping())

    response = api.post(execute_url(workflow.pk))

    assert response.status_code == 202
    assert response.json()["input"] == {}


def test_execute_records_the_current_version(api, make_workflow):
    workflow = make_workflow(ping())
    api.patch(f"/api/v1/workflows/{workflow.pk}", {"steps": ping("https://example.test/v2")}, format="json")

    response = api.post(execute_url(workflow.pk), {}, format="json")

    assert response.json()["workflowVersion"] == 2


def test_execute_keeps_metadata(api, make_workflow):
    workflow = make_workflow(ping())

    response = api.post(execute_url(workflow.pk), {"metadata": {"source": "crm"}}, format="json")

    assert response.json()["metadata"] == {"source": "crm"}


@pytest.mark.parametrize("status", ["DRAFT", "INACTIVE", "ARCHIVED"])
def test_execute_a_workflow_that_is_not_active_is_409(api, make_workflow, status):
    workflow = make_workflow(ping(), status=status)

    response = api.post(execute_url(workflow.pk), {"input": {}}, format="json")

    assert response.status_code == 409
    assert status in response.json()["detail"]
    assert not WorkflowExecution.objects.exists()


def test_a_test_run_of_a_draft_is_accepted(api, make_workflow):
    workflow = make_workflow(ping(), status="DRAFT")

    response = api.post(execute_url(workflow.pk), {"input": {"x": 1}, "testRun": True}, format="json")

    assert response.status_code == 202
    assert response.json()["metadata"] == {"testRun": True}
    assert WorkflowExecution.objects.get().metadata == {"testRun": True}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"inputs": {"leadId": "x"}}, "inputs"),
        ({"input": {}, "leadId": "x"}, "leadId"),
        ({"input": "x", "dryRun": True}, "dryRun"),
    ],
)
def test_execute_refuses_unknown_body_fields(api, make_workflow, body, path):
    workflow = make_workflow(ping())

    response = api.post(execute_url(workflow.pk), body, format="json")

    assert response.status_code == 400
    assert {"path": path, "message": "Unknown field."} in response.json()["errors"]
    assert not WorkflowExecution.objects.exists()


@pytest.mark.parametrize("pk", ["5f0c6a70-2d69-4a4f-9a34-0f5b6b7c0d1e", "not-a-uuid"])
def test_execute_unknown_workflow_is_404(api, pk):
    response = api.post(f"/api/v1/workflows/{pk}/execute", {}, format="json")

    assert response.status_code == 404
    assert not WorkflowExecution.objects.exists()


def test_execute_only_accepts_post(api, make_workflow):
    workflow = make_workflow(ping())

    assert api.get(execute_url(workflow.pk)).status_code == 405


def test_an_executed_workflow_runs_and_its_record_is_readable(worker, server, api, make_workflow):
    server.route("GET", "/leads/lead_7", json={"data": {"id": "lead_7"}})
    steps = [
        {
            "id": "fetch",
            "name": "Fetch lead",
            "type": "HTTP_REQUEST",
            "config": {"method": "GET", "url": server.url("/leads/{{leadId}}")},
        }
    ]
    workflow = make_workflow(steps)

    accepted = api.post(execute_url(workflow.pk), {"input": {"leadId": "lead_7"}}, format="json")
    assert accepted.status_code == 202
    wait_for_execution(accepted.json()["id"])

    body = api.get(f"{URL}/{accepted.json()['id']}").json()
    assert body["status"] == "COMPLETED", body["error"]
    assert body["completedAt"] is not None
    assert [(s["stepId"], s["stepName"], s["status"]) for s in body["stepsExecuted"]] == [
        ("fetch", "Fetch lead", "COMPLETED")
    ]
    assert len(server.received("GET", "/leads/lead_7")) == 1
    metrics = api.get(f"/api/v1/workflows/{workflow.pk}/metrics").json()
    assert (metrics["totalExecutions"], metrics["successfulExecutions"], metrics["lastExecutionStatus"]) == (
        1,
        1,
        "COMPLETED",
    )


# ---------------------------------------------------------------- metrics

METRIC_FIELDS = {
    "workflowId",
    "totalExecutions",
    "successfulExecutions",
    "failedExecutions",
    "averageExecutionTime",
    "averageStepExecutionTime",
    "successRate",
    "lastExecutionAt",
    "lastExecutionStatus",
    "durationPercentiles",
}


def test_metrics_of_a_workflow(api, make_workflow):
    workflow = make_workflow(ping())
    other = make_workflow(ping(), name="Other")
    runs = [
        execution(workflow, 0, status="COMPLETED", duration=100),
        execution(workflow, 1, status="COMPLETED", duration=300),
        execution(workflow, 2, status="FAILED", duration=200),
        execution(workflow, 3, status="TIMED_OUT", duration=400),
    ]
    execution(workflow, 4, status="RUNNING")
    execution(other, 5, status="FAILED", duration=9999)
    for index, duration in enumerate([10, 20, None]):
        StepExecution.objects.create(
            execution=runs[0], key=f"s{index}", step_id=f"s{index}", step_type="WAIT", duration=duration
        )

    response = api.get(f"/api/v1/workflows/{workflow.pk}/metrics")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == METRIC_FIELDS
    assert body["workflowId"] == str(workflow.pk)
    assert (body["totalExecutions"], body["successfulExecutions"], body["failedExecutions"]) == (5, 2, 2)
    assert body["averageExecutionTime"] == 250.0
    assert body["averageStepExecutionTime"] == 15.0
    assert body["successRate"] == 50.0
    assert body["lastExecutionStatus"] == "RUNNING"
    assert body["lastExecutionAt"].startswith("2025-03-01T12:04:00")
    percentiles = body["durationPercentiles"]
    assert set(percentiles) == {"p50", "p95", "p99"}
    assert 100 <= percentiles["p50"] <= percentiles["p95"] <= percentiles["p99"] <= 400


def test_metrics_of_a_workflow_that_never_ran(api, make_workflow):
    workflow = make_workflow(ping())

    body = api.get(f"/api/v1/workflows/{workflow.pk}/metrics").json()

    assert (body["totalExecutions"], body["successfulExecutions"], body["failedExecutions"]) == (0, 0, 0)
    assert body["averageExecutionTime"] is None
    assert body["successRate"] is None
    assert body["lastExecutionAt"] is None
    assert body["durationPercentiles"] == {"p50": None, "p95": None, "p99": None}


def test_metrics_of_an_unknown_workflow_is_404(api):
    assert api.get("/api/v1/workflows/5f0c6a70-2d69-4a4f-9a34-0f5b6b7c0d1e/metrics").status_code == 404
