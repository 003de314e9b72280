"""The admin deletes only executions that have ended: an active run is cancelled first."""

import pytest

from executions.models import WorkflowExecution
from tests.support.admin import messages_of, staff_client
from workflows.services import workflow_create

DELETER = ("executions.view_workflowexecution", "executions.delete_workflowexecution")
STEPS = [{"id": "wait", "type": "WAIT", "config": {"duration": 1}}]
CHANGELIST = "/admin/executions/workflowexecution/"


@pytest.fixture
def workflow(db):
    return workflow_create(data={"name": "Deletable", "category": "test", "status": "ACTIVE", "steps": STEPS})


def make(workflow, status):
    return WorkflowExecution.objects.create(workflow=workflow, status=status, definition=workflow.definition())


def test_a_running_execution_cannot_be_deleted_from_its_page(workflow):
    running = make(workflow, "RUNNING")
    client = staff_client(*DELETER)

    assert client.get(f"{CHANGELIST}{running.pk}/delete/").status_code == 403
    assert client.post(f"{CHANGELIST}{running.pk}/delete/", {"post": "yes"}).status_code == 403
    assert WorkflowExecution.objects.filter(pk=running.pk).exists()


def test_an_ended_execution_can_be_deleted(workflow):
    done = make(workflow, "COMPLETED")

    response = staff_client(*DELETER).post(f"{CHANGELIST}{done.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not WorkflowExecution.objects.filter(pk=done.pk).exists()


def test_bulk_delete_refuses_a_selection_with_an_active_run(workflow):
    running, failed = make(workflow, "RUNNING"), make(workflow, "FAILED")
    client = staff_client(*DELETER)
    selection = {"action": "delete_selected", "_selected_action": [running.pk, failed.pk]}

    confirmation = client.post(CHANGELIST, selection)
    refused = client.post(CHANGELIST, {**selection, "post": "yes"})

    assert "permission to delete" in confirmation.content.decode()
    assert refused.status_code == 403
    assert WorkflowExecution.objects.count() == 2


def test_bulk_delete_of_ended_runs_deletes_them(workflow):
    completed, failed = make(workflow, "COMPLETED"), make(workflow, "FAILED")
    running = make(workflow, "RUNNING")

    response = staff_client(*DELETER).post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [completed.pk, failed.pk], "post": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert list(WorkflowExecution.objects.values_list("pk", flat=True)) == [running.pk]
    assert any("Successfully deleted 2" in line for line in messages_of(response))
