"""The admin follows the same roles: staff see and act only where their group allows."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from audit.models import AuditEvent
from breakers.models import CircuitBreaker
from breakers.services import breaker_get_or_create
from executions.models import WorkflowExecution
from workflows import services as workflow_services
from workflows.models import Workflow

WORKFLOW = {"name": "Ping", "category": "test", "status": "ACTIVE", "steps": []}
CHANGELISTS = [
    "/admin/workflows/workflow/",
    "/admin/workflows/configentry/",
    "/admin/executions/workflowexecution/",
    "/admin/breakers/circuitbreaker/",
    "/admin/audit/auditevent/",
]


def staff_client(role=None):
    user = User.objects.create_user(f"staff-{role}", password="pw", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def running(db):
    workflow = workflow_services.workflow_create(data=WORKFLOW)
    return WorkflowExecution.objects.create(workflow=workflow, status="RUNNING", definition=workflow.definition())


@pytest.mark.parametrize("role", ["viewer", "editor", "operator"])
def test_every_role_sees_every_list(db, role):
    client = staff_client(role)

    for url in CHANGELISTS:
        assert client.get(url).status_code == 200, url


def test_staff_in_no_group_see_nothing(db):
    client = staff_client()

    for url in CHANGELISTS:
        assert client.get(url).status_code == 403, url


def test_a_viewer_cannot_add_a_workflow(db):
    client = staff_client("viewer")

    assert client.get("/admin/workflows/workflow/add/").status_code == 403
    assert not Workflow.objects.exists()


def cancel(client, execution):
    return client.post(
        "/admin/executions/workflowexecution/",
        {"action": "cancel", "_selected_action": [str(execution.pk)]},
        follow=True,
    )


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_operators_may_cancel_in_the_admin(running, role):
    response = cancel(staff_client(role), running)

    assert response.status_code == 200  # the action is not offered: Django answers with the list
    running.refresh_from_db()
    assert running.status == "RUNNING"
    assert not AuditEvent.objects.filter(action="execution.cancelled").exists()


def test_an_operator_cancels_in_the_admin_and_is_recorded(running):
    cancel(staff_client("operator"), running)

    running.refresh_from_db()
    assert running.status == "CANCELLED"
    event = AuditEvent.objects.get(action="execution.cancelled")
    assert (event.actor_username, event.target_id) == ("staff-operator", str(running.pk))


@pytest.mark.parametrize(("role", "reset"), [("viewer", False), ("editor", False), ("operator", True)])
def test_breaker_reset_in_the_admin_needs_the_operator_role(db, role, reset):
    breaker = breaker_get_or_create(service_id="svc")
    CircuitBreaker.objects.filter(pk=breaker.pk).update(state="OPEN", failure_count=5)

    staff_client(role).post(
        "/admin/breakers/circuitbreaker/", {"action": "reset_breakers", "_selected_action": [str(breaker.pk)]}
    )

    breaker.refresh_from_db()
    assert (breaker.state == "CLOSED") is reset
    assert AuditEvent.objects.filter(action="breaker.reset", actor_username=f"staff-{role}").exists() is reset


def test_the_audit_trail_is_read_only_in_the_admin_even_for_superusers(db):
    event = AuditEvent.objects.create(action="workflow.created", target_type="workflow", target_id="x")
    User.objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(User.objects.get(username="root"))

    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "changed"})
    event.refresh_from_db()
    assert event.action == "workflow.created"
