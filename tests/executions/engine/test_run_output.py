"""A finished run's output: every top-level step's output, and the variables they extracted.

On PostgreSQL the last step's record and the run's completion are one statement, which builds
the output in SQL; it must be what the general path builds (runner.execution_output).
"""

from executions.engine import runner
from executions.models import StepExecution, WorkflowExecution


def http_step(server, step_id, path, body, variable=None, **config):
    url = server.route("GET", path, json=body)
    step = {"id": step_id, "type": "HTTP_REQUEST", "config": {"url": url, **config}}
    if variable:
        step["config"]["extractResponse"] = {"path": variable[1], "variableName": variable[0]}
    return step


def test_the_output_holds_every_step_and_later_variables_win(worker, server, run_workflow):
    steps = [
        http_step(server, "quote", "/quote", {"price": 10, "id": "Q1"}, ("price", "price")),
        http_step(server, "reprice", "/reprice", {"price": 12}, ("price", "price")),
        http_step(server, "bind", "/bind", {"policy": "P9"}, ("policy", "policy")),
    ]
    execution = run_workflow(steps)

    assert execution.status == "COMPLETED"
    output = execution.output
    assert set(output["steps"]) == {"quote", "reprice", "bind"}
    assert output["steps"]["quote"]["body"] == {"price": 10, "id": "Q1"}
    assert output["steps"]["quote"]["extracted"] == 10
    assert output["steps"]["bind"]["status"] == 200
    assert output["variables"] == {"price": 12, "policy": "P9"}
    assert execution.output == runner.execution_output(execution)
    assert execution.current_step_id is None
    assert execution.duration is not None and execution.completed_at >= execution.started_at


def test_a_run_with_a_tolerated_failure_ends_failed_with_the_others_outputs(worker, server, api):
    server.route("GET", "/flaky", status=500, json={"error": "down"})
    after = http_step(server, "after", "/after", {"ok": True}, ("ok", "ok"))
    body = {
        "requestId": "req_tolerated",
        "options": {"stopOnFirstError": False},
        "steps": [{"id": "flaky", "type": "HTTP_REQUEST", "config": {"url": server.url("/flaky")}}, after],
    }
    response = api.post("/api/orchestration/execute", body, format="json")

    execution = WorkflowExecution.objects.get(pk=response.data["executionId"])
    assert execution.status == "FAILED"
    assert execution.error == "One or more steps failed (stopOnFirstError is false)."
    assert execution.output == runner.execution_output(execution)
    assert execution.output["variables"] == {"ok": True}
    assert StepExecution.objects.get(execution=execution, step_id="after").status == "COMPLETED"


def test_a_one_step_run_completes_with_that_steps_output(worker, server, run_workflow):
    execution = run_workflow([http_step(server, "only", "/only", {"n": 1}, ("n", "n"))])

    assert execution.status == "COMPLETED"
    assert execution.output["variables"] == {"n": 1}
    assert execution.output["steps"]["only"]["body"] == {"n": 1}
