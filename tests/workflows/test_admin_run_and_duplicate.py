"""The editor's Run now and Duplicate: the same services as the API, with the same permissions."""

from unittest import mock

import pytest

from executions.models import WorkflowExecution
from executions.triggers import manual
from tests.support.admin import messages_of, staff_client
from workflows import services
from workflows.models import Workflow

EVERYTHING = (
    "workflows.view_workflow",
    "workflows.add_workflow",
    "workflows.change_workflow",
    "executions.view_workflowexecution",
    "executions.start_execution",
)
STEPS = [{"id": "wait", "type": "WAIT", "config": {"duration": 1}}]


@pytest.fixture
def workflow(db):
    return services.workflow_create(data={"name": "Ping", "category": "test", "status": "ACTIVE", "steps": STEPS})


def run_url(workflow):
    return f"/admin/workflows/workflow/{workflow.pk}/run/"


def test_the_editor_shows_the_diagram_and_links(workflow):
    html = staff_client(*EVERYTHING).get(f"/admin/workflows/workflow/{workflow.pk}/change/").content.decode()

    assert 'data-testid="workflow-diagram"' in html and 'data-step-id="wait"' in html
    assert run_url(workflow) in html
    assert f"/admin/executions/workflowexecution/?workflow__id__exact={workflow.pk}" in html
    assert f"/admin/metrics/workflows/{workflow.pk}/" in html
    assert f"/admin/workflows/workflow/{workflow.pk}/duplicate/" in html


def test_run_now_starts_an_execution_through_the_service_and_opens_it(workflow):
    client = staff_client(*EVERYTHING)
    assert client.get(run_url(workflow)).status_code == 200

    with mock.patch.object(manual, "workflow_run", wraps=manual.workflow_run) as spy:
        response = client.post(run_url(workflow), {"input": '{"leadId": "lead_123"}'})

    execution = WorkflowExecution.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/executions/workflowexecution/{execution.pk}/change/"
    spy.assert_called_once()
    assert spy.call_args.kwargs["source"] == "MANUAL"  # the execute endpoint's service, as a MANUAL run
    assert (execution.workflow, execution.input, execution.status) == (workflow, {"leadId": "lead_123"}, "PENDING")
    page = client.get(response["Location"])
    assert f"Started execution {execution.pk}." in messages_of(page)


@pytest.mark.parametrize(
    ("given", "expected"), [("{not json", "Enter a valid JSON."), ("[1, 2]", "The input must be a JSON object")]
)
def test_run_now_refuses_input_that_is_not_a_json_object(workflow, given, expected):
    response = staff_client(*EVERYTHING).post(run_url(workflow), {"input": given})

    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not WorkflowExecution.objects.exists()


def test_a_draft_runs_only_as_a_test_run(workflow):
    Workflow.objects.filter(pk=workflow.pk).update(status="DRAFT")
    client = staff_client(*EVERYTHING)

    refused = client.post(run_url(workflow), {"input": "{}"})
    assert refused.status_code == 200
    assert "not ACTIVE" in refused.content.decode()
    assert not WorkflowExecution.objects.exists()

    accepted = client.post(run_url(workflow), {"input": "{}", "test_run": "on"})
    assert accepted.status_code == 302
    assert WorkflowExecution.objects.get().metadata == {"source": "admin", "testRun": True}


def test_run_now_needs_the_run_permission(workflow):
    client = staff_client("workflows.view_workflow", "workflows.change_workflow")

    html = client.get(f"/admin/workflows/workflow/{workflow.pk}/change/").content.decode()
    assert run_url(workflow) not in html
    assert client.get(run_url(workflow)).status_code == 403
    assert client.post(run_url(workflow), {"input": "{}"}).status_code == 403
    assert not WorkflowExecution.objects.exists()


def test_duplicate_stores_a_draft_copy_through_the_service(workflow):
    client = staff_client(*EVERYTHING)

    with mock.patch.object(services, "workflow_duplicate", wraps=services.workflow_duplicate) as spy:
        response = client.post(f"/admin/workflows/workflow/{workflow.pk}/duplicate/")

    copy = Workflow.objects.exclude(pk=workflow.pk).get()
    spy.assert_called_once()
    assert spy.call_args.kwargs["workflow"] == workflow
    assert response.status_code == 302
    assert response["Location"] == f"/admin/workflows/workflow/{copy.pk}/change/"
    assert (copy.name, copy.status, copy.version, copy.steps) == ("Ping (copy)", "DRAFT", 1, STEPS)
    assert "Duplicated as “Ping (copy)” (DRAFT)." in messages_of(client.get(response["Location"]))


def test_duplicate_is_a_post_and_needs_the_add_permission(workflow):
    assert staff_client(*EVERYTHING).get(f"/admin/workflows/workflow/{workflow.pk}/duplicate/").status_code == 405
    viewer = staff_client("workflows.view_workflow", "workflows.change_workflow")

    assert viewer.post(f"/admin/workflows/workflow/{workflow.pk}/duplicate/").status_code == 403
    assert Workflow.objects.count() == 1


def test_workflow_duplicate_service_keeps_the_definition(workflow):
    Workflow.objects.filter(pk=workflow.pk).update(error_handlers=[], timeout=5000, metadata={"team": "a"})
    workflow.refresh_from_db()

    copy = services.workflow_duplicate(workflow=workflow)

    assert copy.pk != workflow.pk
    assert copy.versions.get().comment == "Duplicated from Ping v1"
    assert (copy.timeout, copy.metadata, copy.category) == (5000, {"team": "a"}, "test")


@pytest.mark.parametrize("steps", ['{"not": "a list"}', '[{"id": ["x"], "config": []}]', "[1, 2"])
def test_an_invalid_edit_shows_the_page_again_with_its_errors(workflow, steps):
    data = {
        "name": "Ping",
        "status": "ACTIVE",
        "category": "test",
        "steps": steps,
        "triggers": "[]",
        "error_handlers": "[]",
        "metadata": "{}",
        "retry_policy": "null",
    }

    response = staff_client(*EVERYTHING).post(f"/admin/workflows/workflow/{workflow.pk}/change/", data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["steps"]
    assert 'data-testid="workflow-diagram"' in response.content.decode()
    workflow.refresh_from_db()
    assert workflow.steps == STEPS
