"""EVENT trigger: an event starts every ACTIVE workflow listening to its type, once per idempotency key."""

import pytest
from django.db import transaction

from executions.models import TriggerFiring, WorkflowExecution
from executions.triggers.events import event_publish

URL = "/api/v1/events"


def listening(make_workflow, event_type="lead.qualified", **fields):
    trigger = {"type": "EVENT", "config": {"eventType": event_type}, "isEnabled": fields.pop("enabled", True)}
    return make_workflow([], triggers=[{"type": "MANUAL"}, trigger], **fields)


@pytest.fixture
def two_listeners(make_workflow):
    return [listening(make_workflow, name="first"), listening(make_workflow, name="second")]


def test_an_event_starts_every_matching_workflow(api, make_workflow, two_listeners):
    listening(make_workflow, "lead.lost", name="other type")
    listening(make_workflow, name="disabled trigger", enabled=False)
    listening(make_workflow, name="inactive", status="INACTIVE")

    response = api.post(
        URL, {"type": "lead.qualified", "payload": {"leadId": "lead_123"}, "idempotencyKey": "evt-1"}, format="json"
    )

    assert response.status_code == 202, response.json()
    started = response.json()["executions"]
    assert sorted(e["workflowId"] for e in started) == sorted(str(w.pk) for w in two_listeners)
    assert WorkflowExecution.objects.count() == 2
    assert all(e.input == {"leadId": "lead_123"} for e in WorkflowExecution.objects.all())
    assert set(TriggerFiring.objects.values_list("source", "trigger_index", "idempotency_key")) == {
        ("EVENT", 1, "evt-1")
    }


def test_the_same_idempotency_key_again_starts_none(api, two_listeners):
    event = {"type": "lead.qualified", "payload": {"leadId": "lead_123"}, "idempotencyKey": "evt-1"}
    api.post(URL, event, format="json")

    again = api.post(URL, event, format="json")

    assert again.status_code == 202
    assert again.json()["executions"] == []
    assert WorkflowExecution.objects.count() == 2


def test_without_a_key_each_event_starts_runs(api, two_listeners):
    api.post(URL, {"type": "lead.qualified"}, format="json")
    api.post(URL, {"type": "lead.qualified"}, format="json")

    assert WorkflowExecution.objects.count() == 4


def test_a_workflow_with_two_matching_triggers_starts_once(api, make_workflow):
    trigger = {"type": "EVENT", "config": {"eventType": "lead.qualified"}}
    make_workflow([], triggers=[trigger, trigger])

    response = api.post(URL, {"type": "lead.qualified"}, format="json")

    assert len(response.json()["executions"]) == 1


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"payload": {}}, "type"),
        ({"type": ""}, "type"),
        ({"type": "x", "payload": [1]}, "payload"),
        ({"type": "x", "idempotencyKey": "k" * 201}, "idempotencyKey"),
        ({"type": "x", "extra": 1}, "extra"),
    ],
)
def test_a_bad_event_is_400_naming_the_field(api, two_listeners, body, path):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert path in [error["path"] for error in response.json()["errors"]]
    assert not WorkflowExecution.objects.exists()


def test_events_need_a_user_with_the_run_permission(anon_api, viewer_api, two_listeners):
    event = {"type": "lead.qualified"}

    assert anon_api.post(URL, event, format="json").status_code == 401
    assert viewer_api.post(URL, event, format="json").status_code == 403
    assert not WorkflowExecution.objects.exists()


def test_published_events_start_workflows_after_the_commit(transactional_db, two_listeners):
    with transaction.atomic():
        event_publish("lead.qualified", {"leadId": "lead_123"}, idempotency_key="evt-1")
        assert not WorkflowExecution.objects.exists()  # not before the commit

    assert WorkflowExecution.objects.count() == 2


def test_an_event_published_in_a_rolled_back_transaction_starts_nothing(transactional_db, two_listeners):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_publish("lead.qualified", {"leadId": "lead_123"})
        raise RuntimeError("the caller's change failed")

    assert not WorkflowExecution.objects.exists()


def test_publish_refuses_a_payload_that_is_not_a_json_object(db):
    with pytest.raises(TypeError):
        event_publish("lead.qualified", ["not", "an", "object"])
    with pytest.raises(TypeError):
        event_publish("lead.qualified", {"when": object()})
