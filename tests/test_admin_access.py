"""The admin pages added for operators need staff: others are sent to the login page."""

import pytest
from django.test import Client

from breakers.services import breaker_get_or_create
from executions.models import WorkflowExecution
from tests.support.admin import staff_client
from workflows.services import workflow_create


@pytest.fixture
def urls(db):
    steps = [{"id": "wait", "type": "WAIT", "config": {"duration": 1}}]
    workflow = workflow_create(data={"name": "Access", "category": "test", "status": "ACTIVE", "steps": steps})
    execution = WorkflowExecution.objects.create(workflow=workflow, definition=workflow.definition())
    breaker = breaker_get_or_create(service_id="carrier-a-api")
    return {
        "get": [
            f"/admin/workflows/workflow/{workflow.pk}/change/",
            f"/admin/workflows/workflow/{workflow.pk}/run/",
            f"/admin/executions/workflowexecution/{execution.pk}/change/",
            f"/admin/executions/workflowexecution/{execution.pk}/live/",
            "/admin/executions/workflowexecution/active/",
            "/admin/executions/workflowexecution/active/live/",
            "/admin/breakers/circuitbreaker/dashboard/",
        ],
        "post": [
            f"/admin/workflows/workflow/{workflow.pk}/run/",
            f"/admin/workflows/workflow/{workflow.pk}/duplicate/",
            f"/admin/executions/workflowexecution/{execution.pk}/operate/cancel/",
            f"/admin/breakers/circuitbreaker/{breaker.pk}/reset/",
            f"/admin/breakers/circuitbreaker/{breaker.pk}/configure/",
        ],
    }


@pytest.mark.parametrize("who", ["anonymous", "signed-in but not staff"])
def test_only_staff_reach_the_pages(urls, who):
    client = Client() if who == "anonymous" else staff_client("workflows.view_workflow", staff=False)

    for method in ("get", "post"):
        for url in urls[method]:
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/?next="), url
    assert WorkflowExecution.objects.count() == 1


def test_staff_without_model_permissions_are_refused(urls):
    client = staff_client()

    for method in ("get", "post"):
        for url in urls[method]:
            assert getattr(client, method)(url).status_code == 403, url
    assert WorkflowExecution.objects.get().status == "PENDING"


def test_the_admin_index_links_to_the_operations_pages(db):
    html = staff_client("executions.view_workflowexecution").get("/admin/").content.decode()

    assert "/admin/executions/workflowexecution/active/" in html
    assert "/admin/executions/workflowexecution/?outcome=failed" in html
    assert "/admin/breakers/circuitbreaker/dashboard/" in html
