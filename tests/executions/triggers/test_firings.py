"""Firings are visible per workflow (API and admin); manual and API runs are recorded as firings."""

from django.contrib.auth.models import Permission, User
from django.test import Client

from executions.models import TriggerFiring, WorkflowExecution


def execute(api, workflow, **body):
    return api.post(f"/api/v1/workflows/{workflow.pk}/execute", body, format="json")


def test_an_api_run_is_recorded_as_a_firing(api, make_workflow):
    workflow = make_workflow([], triggers=[{"type": "MANUAL"}, {"type": "API", "config": {}}])

    response = execute(api, workflow, input={"a": 1})

    assert response.status_code == 202
    firing = TriggerFiring.objects.get()
    assert (firing.source, firing.trigger_index, str(firing.execution_id)) == ("API", 1, response.json()["id"])


def test_a_workflow_without_an_api_trigger_can_still_be_run_by_api(api, make_workflow):
    workflow = make_workflow([], triggers=[{"type": "MANUAL"}])

    assert execute(api, workflow).status_code == 202
    assert TriggerFiring.objects.get().trigger_index is None


def test_a_disabled_api_trigger_refuses_api_runs(api, make_workflow):
    workflow = make_workflow([], triggers=[{"type": "API", "config": {}, "isEnabled": False}])

    response = execute(api, workflow)

    assert response.status_code == 409
    assert "disabled" in response.json()["detail"]
    assert not WorkflowExecution.objects.exists()
    assert not TriggerFiring.objects.exists()


def test_firings_are_listed_per_workflow_paginated_in_camel_case(api, make_workflow):
    workflow = make_workflow([], triggers=[{"type": "API", "config": {}}])
    other = make_workflow([], name="other")
    for _ in range(3):
        execute(api, workflow)
    execute(api, other)

    response = api.get(f"/api/v1/workflows/{workflow.pk}/firings?pageSize=2")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    first = body["results"][0]
    assert set(first) == {
        "id",
        "workflowId",
        "triggerIndex",
        "source",
        "dueAt",
        "deliveryId",
        "idempotencyKey",
        "eventType",
        "executionId",
        "executionStatus",
        "createdAt",
    }
    assert (first["workflowId"], first["source"], first["executionStatus"]) == (str(workflow.pk), "API", "PENDING")


def test_firings_of_an_unknown_workflow_are_404_and_need_a_user(api, anon_api, make_workflow):
    workflow = make_workflow([])

    assert api.get("/api/v1/workflows/00000000-0000-0000-0000-000000000000/firings").status_code == 404
    assert anon_api.get(f"/api/v1/workflows/{workflow.pk}/firings").status_code == 401


def staff_client():
    User.objects.create_superuser("boss", password="pw")
    client = Client()
    client.login(username="boss", password="pw")
    return client


def test_the_admin_runs_a_workflow_as_a_manual_firing_and_lists_its_firings(make_workflow):
    workflow = make_workflow([], triggers=[{"type": "MANUAL", "config": {}}])
    disabled = make_workflow([], name="manual off", triggers=[{"type": "MANUAL", "isEnabled": False}])
    client = staff_client()

    response = client.post(
        "/admin/workflows/workflow/",
        {"action": "run_now", "_selected_action": [workflow.pk, disabled.pk]},
        follow=True,
    )

    assert response.status_code == 200
    firing = TriggerFiring.objects.get()
    assert (firing.workflow, firing.source, firing.trigger_index) == (workflow, "MANUAL", 0)
    assert b"disabled" in response.content
    page = client.get(f"/admin/workflows/workflow/{workflow.pk}/change/")
    assert b"1 firing(s)" in page.content
    listing = client.get(f"/admin/executions/triggerfiring/?workflow__id__exact={workflow.pk}")
    assert listing.status_code == 200 and str(firing.execution_id).encode() in listing.content
    assert client.get(f"/admin/executions/triggerfiring/{firing.pk}/change/").status_code == 200


def test_the_run_action_needs_the_run_permission(make_workflow):
    workflow = make_workflow([])
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_workflow", "change_workflow"]))
    client = Client()
    client.login(username="clerk", password="pw")

    client.post("/admin/workflows/workflow/", {"action": "run_now", "_selected_action": [workflow.pk]})

    assert not WorkflowExecution.objects.exists()
