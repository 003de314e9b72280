"""The execution page's buttons: cancel, pause, resume, retry and rerun through the API's services."""

import pytest
from django.utils import timezone

from executions import services
from executions.admin import OPERATIONS
from executions.models import StepExecution, WorkflowExecution
from executions.viewsets import ExecutionViewSet
from tests.support.admin import messages_of, staff_client
from workflows.services import workflow_create

OPERATOR = (
    "executions.view_workflowexecution",
    "executions.operate_execution",
    "executions.start_execution",
)
STEPS = [{"id": "wait", "type": "WAIT", "config": {"duration": 1}}]


@pytest.fixture
def workflow(db):
    return workflow_create(data={"name": "Ops", "category": "test", "status": "ACTIVE", "steps": STEPS})


def make_execution(workflow, status, step_status=None):
    execution = WorkflowExecution.objects.create(
        workflow=workflow, status=status, input={"n": 1}, definition=workflow.definition()
    )
    if step_status:
        StepExecution.objects.create(
            execution=execution,
            key="wait",
            step_id="wait",
            step_type="WAIT",
            status=step_status,
            started_at=timezone.now(),
            completed_at=timezone.now() if step_status == "FAILED" else None,
            error="boom" if step_status == "FAILED" else None,
        )
    return execution


def operate(client, execution, name):
    return client.post(f"/admin/executions/workflowexecution/{execution.pk}/operate/{name}/", follow=True)


def page(execution):
    return f"/admin/executions/workflowexecution/{execution.pk}/change/"


def test_the_buttons_call_the_services_the_api_calls():
    # The admin's table of operations holds the very functions the API's actions call.
    assert {name: entry[0] for name, entry in OPERATIONS.items()} == {
        "cancel": services.execution_cancel,
        "pause": services.execution_pause,
        "resume": services.execution_resume,
        "retry": services.execution_retry,
        "rerun": services.execution_rerun,
    }
    assert all(hasattr(ExecutionViewSet, name) for name in OPERATIONS)


@pytest.mark.parametrize(
    ("operation", "before", "step_status", "after", "message"),
    [
        ("cancel", "RUNNING", "RUNNING", "CANCELLED", "Execution cancelled."),
        ("pause", "RUNNING", "RUNNING", "PAUSED", "Execution paused."),
        ("resume", "PAUSED", "PENDING", "RUNNING", "Execution resumed."),
        ("retry", "FAILED", "FAILED", "RUNNING", "Execution retried."),
    ],
)
def test_an_operation_changes_the_run_and_says_so(workflow, operation, before, step_status, after, message):
    execution = make_execution(workflow, before, step_status)
    client = staff_client(*OPERATOR)
    assert f"/operate/{operation}/" in client.get(page(execution)).content.decode()

    response = operate(client, execution, operation)

    assert response.status_code == 200
    assert response.redirect_chain == [(page(execution), 302)]
    assert message in messages_of(response)
    execution.refresh_from_db()
    assert execution.status == after


def test_rerun_opens_the_new_execution(workflow):
    execution = make_execution(workflow, "COMPLETED", "COMPLETED")

    response = operate(staff_client(*OPERATOR), execution, "rerun")

    rerun = WorkflowExecution.objects.exclude(pk=execution.pk).get()
    assert response.redirect_chain == [(page(rerun), 302)]
    assert f"Started again as execution {rerun.pk}." in messages_of(response)
    assert (rerun.input, rerun.metadata) == ({"n": 1}, {"rerunOf": str(execution.pk)})


def test_a_refused_operation_changes_nothing_and_says_why(workflow):
    execution = make_execution(workflow, "COMPLETED", "COMPLETED")

    response = operate(staff_client(*OPERATOR), execution, "pause")

    assert response.status_code == 200
    assert any(text.startswith("Not paused: Execution is COMPLETED") for text in messages_of(response))
    execution.refresh_from_db()
    assert execution.status == "COMPLETED"


def test_only_the_operations_that_apply_are_offered(workflow):
    client = staff_client(*OPERATOR)
    running = client.get(page(make_execution(workflow, "RUNNING"))).content.decode()
    failed = client.get(page(make_execution(workflow, "FAILED"))).content.decode()

    assert "/operate/cancel/" in running and "/operate/pause/" in running and "/operate/retry/" not in running
    assert "/operate/retry/" in failed and "/operate/rerun/" in failed and "/operate/cancel/" not in failed


def test_a_viewer_sees_no_buttons_and_cannot_operate(workflow):
    execution = make_execution(workflow, "RUNNING", "RUNNING")
    viewer = staff_client("executions.view_workflowexecution")

    assert "/operate/" not in viewer.get(page(execution)).content.decode()
    for name in OPERATIONS:
        assert viewer.post(f"/admin/executions/workflowexecution/{execution.pk}/operate/{name}/").status_code == 403
    execution.refresh_from_db()
    assert execution.status == "RUNNING"


def test_cancel_needs_the_change_permission_and_rerun_the_run_permission(workflow):
    execution = make_execution(workflow, "RUNNING", "RUNNING")
    runner_only = staff_client("executions.view_workflowexecution", "executions.start_execution")

    assert runner_only.post(f"/admin/executions/workflowexecution/{execution.pk}/operate/cancel/").status_code == 403
    completed = make_execution(workflow, "COMPLETED")
    changer_only = staff_client("executions.view_workflowexecution", "executions.operate_execution")
    assert changer_only.post(f"/admin/executions/workflowexecution/{completed.pk}/operate/rerun/").status_code == 403
    assert WorkflowExecution.objects.count() == 2


def test_operations_are_posts(workflow):
    execution = make_execution(workflow, "RUNNING")
    client = staff_client(*OPERATOR)

    assert client.get(f"/admin/executions/workflowexecution/{execution.pk}/operate/cancel/").status_code == 405
    assert client.post(f"/admin/executions/workflowexecution/{execution.pk}/operate/delete/").status_code == 403


def test_the_changelist_actions_use_the_same_services(workflow):
    running, paused = make_execution(workflow, "RUNNING"), make_execution(workflow, "PAUSED")
    client = staff_client(*OPERATOR)

    response = client.post(
        "/admin/executions/workflowexecution/",
        {"action": "pause", "_selected_action": [str(running.pk), str(paused.pk)]},
        follow=True,
    )

    assert "Paused 1 execution(s)." in messages_of(response)
    assert any("only a RUNNING or WAITING execution can be paused" in text for text in messages_of(response))
    running.refresh_from_db()
    assert running.status == "PAUSED"


def test_rerun_can_start_at_a_top_level_step(db):
    steps = [
        {"id": "first", "type": "WAIT", "order": 1, "config": {"duration": 1}},
        {"id": "second", "type": "WAIT", "order": 2, "config": {"duration": 1}},
    ]
    workflow = workflow_create(data={"name": "Two", "category": "test", "status": "ACTIVE", "steps": steps})
    execution = make_execution(workflow, "COMPLETED")
    client = staff_client(*OPERATOR)
    assert '<option value="second">second</option>' in client.get(page(execution)).content.decode()

    response = client.post(
        f"/admin/executions/workflowexecution/{execution.pk}/operate/rerun/", {"from_step_id": "second"}, follow=True
    )
    refused = client.post(
        f"/admin/executions/workflowexecution/{execution.pk}/operate/rerun/", {"from_step_id": "nope"}, follow=True
    )

    rerun = WorkflowExecution.objects.exclude(pk=execution.pk).get()
    assert rerun.metadata == {"rerunOf": str(execution.pk), "startAt": "second"}
    assert response.redirect_chain == [(page(rerun), 302)]
    assert any(text.startswith("Not started again: fromStepId: Not a top-level step") for text in messages_of(refused))
