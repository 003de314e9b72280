"""An execution runs the version it started with, even when the workflow changes mid-run."""

from executions import services as execution_services
from tests.support.workers import wait_for_execution, wait_until
from workflows import services
from workflows.models import WorkflowVersion


def definition(server, next_path):
    return [
        {
            "id": "slow",
            "type": "HTTP_REQUEST",
            "order": 1,
            "config": {"method": "GET", "url": server.url("/slow")},
        },
        {
            "id": "next",
            "type": "HTTP_REQUEST",
            "order": 2,
            "config": {"method": "POST", "url": server.url(next_path), "body": {"from": "{{slow.output.body.v}}"}},
        },
    ]


def test_a_run_started_on_version_1_finishes_on_version_1(broker_worker, server):
    server.route("GET", "/slow", json={"v": "slow"}, delay=1.0)
    server.route("POST", "/v1-next", json={"ok": 1})
    server.route("POST", "/v2-next", json={"ok": 2})
    workflow = services.workflow_create(
        data={"name": "Pinned", "category": "test", "status": "ACTIVE", "steps": definition(server, "/v1-next")}
    )
    execution = execution_services.execution_start(workflow=workflow, input={})
    # Given the run is inside its first step (the server holds the call for a second) …
    wait_until(lambda: server.received("GET", "/slow"), what="the first call")

    # … when the workflow changes to version 2 …
    changed = services.workflow_update(workflow=workflow, data={"steps": definition(server, "/v2-next")}, partial=True)
    assert changed.version == 2

    # … the run still follows version 1.
    finished = wait_for_execution(execution.pk, timeout=30)
    assert finished.status == "COMPLETED", finished.error
    assert finished.workflow_version == 1
    assert [r["body"] for r in server.received("POST", "/v1-next")] == [{"from": "slow"}]
    assert server.received("POST", "/v2-next") == []
    assert finished.definition["steps"] == WorkflowVersion.objects.get(workflow=workflow, version=1).steps

    # A run started now follows version 2.
    second = wait_for_execution(execution_services.execution_start(workflow=changed, input={}).pk, timeout=30)
    assert (second.status, second.workflow_version) == ("COMPLETED", 2)
    assert len(server.received("POST", "/v2-next")) == 1

    # Rolling back to 1 makes version 3, equal to 1, and runs go to /v1-next again.
    rolled = services.workflow_rollback(workflow=workflow, version=1)
    assert rolled.version == 3
    versions = {v.version: v.definition() for v in WorkflowVersion.objects.filter(workflow=workflow)}
    assert versions[3] == versions[1] != versions[2]
    third = wait_for_execution(execution_services.execution_start(workflow=rolled, input={}).pk, timeout=30)
    assert (third.status, third.workflow_version) == ("COMPLETED", 3)
    assert len(server.received("POST", "/v1-next")) == 2
