"""Each documented role may do exactly its part of the API; a refusal is 403 and writes nothing."""

import pytest

from audit.models import AuditEvent
from breakers.models import CircuitBreaker
from breakers.services import breaker_get_or_create
from executions.models import WorkflowExecution
from workflows import services as workflow_services
from workflows.models import ConfigEntry, Workflow

STEP = {"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/ping"}}
WORKFLOW = {"name": "Ping", "category": "test", "status": "ACTIVE", "steps": [STEP]}

READS = [
    "/api/v1/workflows",
    "/api/v1/workflows/{workflow}",
    "/api/v1/workflows/{workflow}/metrics",
    "/api/v1/executions",
    "/api/v1/executions/{execution}",
    "/api/v1/circuit-breakers",
    "/api/v1/circuit-breakers/{breaker}",
    "/api/v1/config",
    "/api/v1/config/{key}",
    "/api/orchestration/active",
    "/api/orchestration/active/{request}",
    "/api/v1/audit",
    "/api/v1/templates",
    "/api/v1/templates/carrier-fallback",
]

# (method, path, body, the roles allowed)
EDIT = {"editor"}
OPERATE = {"operator"}
WRITES = [
    ("post", "/api/v1/workflows", WORKFLOW, EDIT),
    ("put", "/api/v1/workflows/{workflow}", {**WORKFLOW, "name": "Changed"}, EDIT),
    ("patch", "/api/v1/workflows/{workflow}", {"name": "Changed"}, EDIT),
    ("delete", "/api/v1/workflows/{workflow}", None, EDIT),
    ("post", "/api/v1/config", {"key": "newKey", "value": 1}, EDIT),
    ("put", "/api/v1/config/{key}", {"key": "region", "value": "us"}, EDIT),
    ("patch", "/api/v1/config/{key}", {"value": "us"}, EDIT),
    ("delete", "/api/v1/config/{key}", None, EDIT),
    ("post", "/api/v1/workflows/{workflow}/execute", {"input": {}}, OPERATE),
    ("post", "/api/orchestration/execute", {"steps": [STEP], "options": {"timeout": 0}}, OPERATE),
    ("post", "/api/v1/orchestration/execute", {"steps": [STEP], "options": {"timeout": 0}}, OPERATE),
    ("post", "/api/v1/executions/{execution}/cancel", None, OPERATE),
    ("post", "/api/v1/executions/{execution}/pause", None, OPERATE),
    ("post", "/api/v1/executions/{execution}/rerun", None, OPERATE),
    ("put", "/api/v1/circuit-breakers/{breaker}/config", {"threshold": 9}, OPERATE),
    ("post", "/api/v1/circuit-breakers/{breaker}/reset", None, OPERATE),
    ("delete", "/api/v1/circuit-breakers/{breaker}", None, OPERATE),
    # The audit trail is read-only for everyone.
    ("post", "/api/v1/audit", {"action": "workflow.created"}, set()),
]
ROLES = ["viewer", "editor", "operator"]


@pytest.fixture
def objects(db):
    workflow = workflow_services.workflow_create(data=WORKFLOW)
    # An orchestration run (no workflow), so that deleting the workflow is allowed.
    execution = WorkflowExecution.objects.create(request_id="req_1", status="RUNNING", definition=workflow.definition())
    breaker = breaker_get_or_create(service_id="carrier-a-api")
    CircuitBreaker.objects.filter(pk=breaker.pk).update(state="OPEN", failure_count=4)
    workflow_services.config_set(key="region", value="eu")
    return {
        "workflow": workflow.pk,
        "execution": execution.pk,
        "breaker": "carrier-a-api",
        "key": "region",
        "request": "req_1",
    }


def stored():
    return {
        "workflows": list(Workflow.objects.values_list("name", "version", "status")),
        "executions": list(WorkflowExecution.objects.values_list("id", "status")),
        "breakers": list(CircuitBreaker.objects.values_list("service_id", "state", "failure_count", "threshold")),
        "config": list(ConfigEntry.objects.values_list("key", "value")),
        "audit": AuditEvent.objects.count(),
    }


def call(client, method, template, objects, body):
    url = template.format(**objects)
    return getattr(client, method)(url) if body is None else getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_everything(role_api, objects, role):
    client = role_api(role)

    for template in READS:
        assert call(client, "get", template, objects, None).status_code == 200, template


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "template", "body", "allowed"), WRITES, ids=[f"{m} {t}" for m, t, *_ in WRITES])
def test_each_role_writes_only_its_part(role_api, objects, role, method, template, body, allowed):
    client = role_api(role)
    before = stored()

    response = call(client, method, template, objects, body)

    if role in allowed:
        assert 200 <= response.status_code < 300, response.content
        assert stored() != before
    else:
        assert response.status_code in (403, 405), response.content
        assert stored() == before


def test_a_user_in_no_group_can_neither_see_nor_run(viewer_api, objects):
    for template in READS:
        assert call(viewer_api, "get", template, objects, None).status_code == 403, template
    before = stored()
    for method, template, body, _ in WRITES:
        assert call(viewer_api, method, template, objects, body).status_code in (403, 405), template
    assert stored() == before


def test_anonymous_requests_are_401_and_write_nothing(anon_api, objects):
    before = stored()
    for method, template, body, _ in WRITES:
        assert call(anon_api, method, template, objects, body).status_code == 401, template
    assert call(anon_api, "get", "/api/v1/audit", objects, None).status_code == 401
    assert stored() == before
