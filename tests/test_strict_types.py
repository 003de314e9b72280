"""JSON bodies must use JSON's own types: a number for a string or "yes" for a boolean is a 400."""

import pytest

from executions.models import WorkflowExecution
from workflows import services as workflow_services
from workflows.models import ConfigEntry

STEP = {"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/ping"}}


@pytest.fixture
def draft(db):
    return workflow_services.workflow_create(data={"name": "Draft", "category": "test", "steps": [STEP]})


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"key": "flag", "value": "on-off", "isSecret": "yes"}, "isSecret"),
        ({"key": "flag", "value": 1, "isSecret": 1}, "isSecret"),
        ({"key": 5, "value": 1}, "key"),
        ({"key": "flag", "value": 1, "description": 7}, "description"),
    ],
)
def test_config_fields_take_their_json_types(api, body, path):
    response = api.post("/api/v1/config", body, format="json")

    assert response.status_code == 400
    assert path in [error["path"] for error in response.json()["errors"]]
    assert not ConfigEntry.objects.exists()


def test_test_run_must_be_a_boolean(api, draft):
    response = api.post(f"/api/v1/workflows/{draft.pk}/execute", {"testRun": "yes"}, format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == ["testRun"]
    assert not WorkflowExecution.objects.exists()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"steps": [STEP], "options": {"stopOnFirstError": "no"}}, "options.stopOnFirstError"),
        ({"steps": [STEP], "requestId": 5}, "requestId"),
    ],
)
def test_orchestration_fields_take_their_json_types(api, body, path):
    response = api.post("/api/orchestration/execute", body, format="json")

    assert response.status_code == 400
    assert path in [error["path"] for error in response.json()["errors"]]
    assert not WorkflowExecution.objects.exists()


@pytest.mark.parametrize(
    ("body", "path"),
    [({"type": 5, "payload": {}}, "type"), ({"type": "lead.qualified", "idempotencyKey": 7}, "idempotencyKey")],
)
def test_event_fields_take_their_json_types(api, body, path):
    response = api.post("/api/v1/events", body, format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == [path]
