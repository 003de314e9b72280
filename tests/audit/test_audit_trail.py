"""Every change through the API leaves one audit event naming who, what and when; refusals leave none."""

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from breakers.models import CircuitBreaker
from breakers.services import breaker_get_or_create
from executions.models import StepExecution, WorkflowExecution
from workflows import services as workflow_services

STEP = {"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/ping"}}
WORKFLOW = {"name": "Ping", "category": "test", "status": "ACTIVE", "steps": [STEP]}


def events():
    return list(AuditEvent.objects.order_by("id").values_list("actor_username", "action", "target_type", "target_id"))


@pytest.fixture
def editor_api(role_api):
    return role_api("editor", username="erin")


@pytest.fixture
def operator_api(role_api):
    return role_api("operator", username="otto")


def test_workflow_create_update_delete_are_recorded(editor_api):
    created = editor_api.post("/api/v1/workflows", WORKFLOW, format="json").json()
    editor_api.patch(f"/api/v1/workflows/{created['id']}", {"steps": [{**STEP, "name": "Ping!"}]}, format="json")
    editor_api.delete(f"/api/v1/workflows/{created['id']}")

    assert events() == [
        ("erin", "workflow.created", "workflow", created["id"]),
        ("erin", "workflow.updated", "workflow", created["id"]),
        ("erin", "workflow.deleted", "workflow", created["id"]),
    ]
    update = AuditEvent.objects.get(action="workflow.updated")
    assert update.details == {"fields": ["steps"], "version": 2}
    assert AuditEvent.objects.get(action="workflow.deleted").details == {"name": "Ping"}
    assert update.actor.username == "erin"
    assert abs((timezone.now() - update.created_at).total_seconds()) < 60


def test_refused_changes_leave_no_event(editor_api, db):
    workflow = workflow_services.workflow_create(data=WORKFLOW)
    WorkflowExecution.objects.create(workflow=workflow, status="COMPLETED")
    AuditEvent.objects.all().delete()

    assert editor_api.post("/api/v1/workflows", {**WORKFLOW, "steps": [{"id": "x"}]}, format="json").status_code == 400
    assert editor_api.delete(f"/api/v1/workflows/{workflow.pk}").status_code == 409
    assert editor_api.post(f"/api/v1/workflows/{workflow.pk}/execute", {}, format="json").status_code == 403

    assert events() == []


def test_config_changes_are_recorded_without_their_values(editor_api):
    editor_api.post("/api/v1/config", {"key": "carrierA", "value": "hunter2-secret", "isSecret": True}, format="json")
    editor_api.patch("/api/v1/config/carrierA", {"value": "another-secret"}, format="json")
    editor_api.delete("/api/v1/config/carrierA")

    assert events() == [
        ("erin", "config.changed", "config", "carrierA"),
        ("erin", "config.changed", "config", "carrierA"),
        ("erin", "config.deleted", "config", "carrierA"),
    ]
    stored = str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert "secret" not in stored.replace("isSecret", "")
    listed = editor_api.get("/api/v1/audit").content.decode()
    assert "hunter2" not in listed and "another-secret" not in listed


def test_starting_and_operating_executions_are_recorded(operator_api, db):
    workflow = workflow_services.workflow_create(data=WORKFLOW)

    started = operator_api.post(f"/api/v1/workflows/{workflow.pk}/execute", {"input": {}}, format="json").json()
    WorkflowExecution.objects.filter(pk=started["id"]).update(status="RUNNING")
    StepExecution.objects.create(  # queued work keeps the resumed run open
        execution_id=started["id"], key="ping", step_id="ping", step_type="HTTP_REQUEST", status="PENDING"
    )
    operator_api.post(f"/api/v1/executions/{started['id']}/pause")
    operator_api.post(f"/api/v1/executions/{started['id']}/resume")
    operator_api.post(f"/api/v1/executions/{started['id']}/cancel")
    rerun = operator_api.post(f"/api/v1/executions/{started['id']}/rerun").json()
    adhoc = operator_api.post(
        "/api/orchestration/execute", {"requestId": "r1", "steps": [STEP], "options": {"timeout": 0}}, format="json"
    ).json()

    assert [event[:2] for event in events() if event[0] == "otto"] == [
        ("otto", "execution.started"),
        ("otto", "execution.paused"),
        ("otto", "execution.resumed"),
        ("otto", "execution.cancelled"),
        ("otto", "execution.rerun"),
        ("otto", "execution.started"),
    ]
    assert AuditEvent.objects.filter(action="execution.rerun", target_id=rerun["id"]).get().details == {
        "rerunOf": started["id"],
        "fromStepId": None,
    }
    assert AuditEvent.objects.filter(target_id=adhoc["executionId"], details__requestId="r1").exists()


def test_a_retry_is_recorded_with_its_step(operator_api, db):
    workflow = workflow_services.workflow_create(data=WORKFLOW)
    execution = WorkflowExecution.objects.create(workflow=workflow, status="FAILED", definition=workflow.definition())
    StepExecution.objects.create(
        execution=execution, key="ping", step_id="ping", step_type="HTTP_REQUEST", status="FAILED"
    )

    assert operator_api.post(f"/api/v1/executions/{execution.pk}/retry").status_code == 200

    assert AuditEvent.objects.get(action="execution.retried").details == {"stepId": "ping"}


def test_breaker_config_reset_and_delete_are_recorded(operator_api, db):
    breaker = breaker_get_or_create(service_id="carrier-a-api")
    CircuitBreaker.objects.filter(pk=breaker.pk).update(state="OPEN", failure_count=5)

    operator_api.put("/api/v1/circuit-breakers/carrier-a-api/config", {"threshold": 9}, format="json")
    operator_api.post("/api/v1/circuit-breakers/carrier-a-api/reset")
    operator_api.delete("/api/v1/circuit-breakers/carrier-a-api")

    assert events() == [
        ("otto", "breaker.configured", "breaker", "carrier-a-api"),
        ("otto", "breaker.reset", "breaker", "carrier-a-api"),
        ("otto", "breaker.deleted", "breaker", "carrier-a-api"),
    ]
    assert AuditEvent.objects.get(action="breaker.configured").details == {"threshold": 9}
    assert AuditEvent.objects.get(action="breaker.reset").details == {"from": "OPEN"}


def test_changes_made_outside_a_request_are_recorded_as_the_system(db):
    workflow = workflow_services.workflow_create(data=WORKFLOW)

    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_username, event.target_id) == (None, "", str(workflow.pk))


def test_a_deleted_user_keeps_their_name_in_the_trail(editor_api):
    editor_api.post("/api/v1/workflows", WORKFLOW, format="json")

    editor_api.user.delete()

    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_username) == (None, "erin")
