"""GET /api/v1/workflows/:id/metrics counts runs and times them in the database."""

from executions import services
from executions.models import StepExecution, WorkflowExecution
from tests.support.workers import wait_for_execution


def test_metrics_after_a_success_and_a_failure(worker, server, api, make_workflow):
    server.route("GET", "/ok", json={})
    workflow = make_workflow([{"id": "call", "type": "HTTP_REQUEST", "config": {"url": server.url("/{{path}}")}}])
    for path in ("ok", "ok", "missing"):
        wait_for_execution(services.execution_start(workflow=workflow, input={"path": path}).pk)

    response = api.get(f"/api/v1/workflows/{workflow.pk}/metrics")

    assert response.status_code == 200
    metrics = response.data
    assert metrics["totalExecutions"] == 3
    assert metrics["successfulExecutions"] == 2
    assert metrics["failedExecutions"] == 1
    assert metrics["successRate"] == 66.67
    assert metrics["lastExecutionStatus"] == "FAILED"
    assert metrics["averageExecutionTime"] >= 0
    assert metrics["averageStepExecutionTime"] >= 0
    assert set(metrics["durationPercentiles"]) == {"p50", "p95", "p99"}
    assert metrics["durationPercentiles"]["p50"] <= metrics["durationPercentiles"]["p99"]


def test_metrics_of_a_workflow_never_run(db, api, make_workflow):
    workflow = make_workflow([])

    metrics = api.get(f"/api/v1/workflows/{workflow.pk}/metrics").data

    assert metrics["totalExecutions"] == 0
    assert metrics["successRate"] is None
    assert metrics["lastExecutionAt"] is None


def test_the_average_step_time_leaves_out_containers(db, api, make_workflow):
    workflow = make_workflow([{"id": "call", "type": "HTTP_REQUEST", "config": {"url": "https://x.test/"}}])
    execution = WorkflowExecution.objects.create(workflow=workflow, status="COMPLETED", duration=100)
    for key, step_type, duration in [("fan", "PARALLEL", 90), ("a", "HTTP_REQUEST", 40), ("b", "HTTP_REQUEST", 60)]:
        StepExecution.objects.create(
            execution=execution, key=key, step_id=key, step_type=step_type, status="COMPLETED", duration=duration
        )

    metrics = api.get(f"/api/v1/workflows/{workflow.pk}/metrics").json()

    assert metrics["averageStepExecutionTime"] == 50
