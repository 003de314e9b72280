"""Every API endpoint needs a signed-in user (401 otherwise) holding the model permission (403 otherwise)."""

import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from rest_framework.test import APIClient

from breakers.models import CircuitBreaker
from breakers.services import breaker_get_or_create
from executions.models import WorkflowExecution
from workflows import services as workflow_services
from workflows.models import ConfigEntry, Workflow

STEP = {"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/ping"}}
WORKFLOW = {"name": "Ping", "category": "test", "status": "ACTIVE", "steps": [STEP]}

READS = [
    "/api/v1/",
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
]

WRITES = [
    ("post", "/api/v1/workflows", WORKFLOW),
    ("put", "/api/v1/workflows/{workflow}", {**WORKFLOW, "name": "Changed"}),
    ("patch", "/api/v1/workflows/{workflow}", {"name": "Changed"}),
    ("delete", "/api/v1/workflows/{workflow}", None),
    ("post", "/api/v1/workflows/{workflow}/execute", {"input": {"leadId": "lead_1"}}),
    ("put", "/api/v1/circuit-breakers/{breaker}/config", {"threshold": 9}),
    ("post", "/api/v1/circuit-breakers/{breaker}/reset", None),
    ("delete", "/api/v1/circuit-breakers/{breaker}", None),
    ("post", "/api/v1/config", {"key": "newKey", "value": 1}),
    ("put", "/api/v1/config/{key}", {"key": "carrierA", "value": {"apiKey": "changed"}}),
    ("patch", "/api/v1/config/{key}", {"value": {"apiKey": "changed"}}),
    ("delete", "/api/v1/config/{key}", None),
    ("post", "/api/orchestration/execute", {"steps": [STEP], "options": {"timeout": 0}}),
    ("post", "/api/v1/orchestration/execute", {"steps": [STEP], "options": {"timeout": 0}}),
]


@pytest.fixture
def objects(db):
    workflow = workflow_services.workflow_create(data=WORKFLOW)
    execution = WorkflowExecution.objects.create(request_id="req_1", status="RUNNING")
    breaker = breaker_get_or_create(service_id="carrier-a-api")
    CircuitBreaker.objects.filter(pk=breaker.pk).update(state="OPEN", failure_count=4)
    workflow_services.config_set(key="carrierA", value={"apiKey": "secret"}, is_secret=True)
    return {
        "workflow": workflow.pk,
        "execution": execution.pk,
        "breaker": breaker.service_id,
        "key": "carrierA",
        "request": "req_1",
    }


def stored():
    return {
        "workflows": list(Workflow.objects.values_list("name", "version", "status")),
        "executions": WorkflowExecution.objects.count(),
        "breakers": list(CircuitBreaker.objects.values_list("service_id", "state", "failure_count", "threshold")),
        "config": list(ConfigEntry.objects.values_list("key", "value")),
    }


def call(client, method, template, objects, body=None):
    url = template.format(**objects)
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize("template", READS)
def test_reads_need_credentials(anon_api, objects, template):
    response = anon_api.get(template.format(**objects))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(("method", "template", "body"), WRITES, ids=[f"{m} {t}" for m, t, _ in WRITES])
def test_writes_need_credentials_and_change_nothing(anon_api, objects, method, template, body):
    before = stored()

    response = call(anon_api, method, template, objects, body)

    assert response.status_code == 401
    assert stored() == before


@pytest.mark.parametrize("header", ["Token wrong-token", "Token ", "Bearer abc", "Basic ZWRpdG9yOnB3"])
def test_a_bad_authorization_header_is_401(objects, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert client.get("/api/v1/workflows").status_code == 401


def test_an_inactive_users_token_is_refused(api, objects):
    User.objects.filter(pk=api.user.pk).update(is_active=False)

    assert api.get("/api/v1/workflows").status_code == 401


@pytest.mark.parametrize("template", READS[1:])
def test_reads_need_the_view_permission(viewer_api, objects, template):
    assert viewer_api.get(template.format(**objects)).status_code == 403


@pytest.mark.parametrize("template", READS)
def test_the_viewer_role_can_read_everything(viewer_role_api, objects, template):
    assert viewer_role_api.get(template.format(**objects)).status_code == 200


@pytest.mark.parametrize(("method", "template", "body"), WRITES, ids=[f"{m} {t}" for m, t, _ in WRITES])
def test_writes_without_model_permission_are_403_and_change_nothing(viewer_api, objects, method, template, body):
    before = stored()

    response = call(viewer_api, method, template, objects, body)

    assert response.status_code == 403
    assert stored() == before


EXPECTED_SUCCESS = {
    "post /api/v1/workflows": 201,
    "delete /api/v1/workflows/{workflow}": 204,
    "post /api/v1/workflows/{workflow}/execute": 202,
    "delete /api/v1/circuit-breakers/{breaker}": 204,
    "post /api/v1/config": 201,
    "delete /api/v1/config/{key}": 204,
    "post /api/orchestration/execute": 202,
    "post /api/v1/orchestration/execute": 202,
}


@pytest.mark.parametrize(("method", "template", "body"), WRITES, ids=[f"{m} {t}" for m, t, _ in WRITES])
def test_writes_succeed_with_model_permissions(api, objects, method, template, body):
    response = call(api, method, template, objects, body)

    assert response.status_code == EXPECTED_SUCCESS.get(f"{method} {template}", 200), response.content


@pytest.mark.parametrize(
    ("permission", "allowed", "refused"),
    [
        (
            "workflows.add_workflow",
            ("post", "/api/v1/workflows", WORKFLOW),
            ("patch", "/api/v1/workflows/{workflow}", {"name": "Changed"}),
        ),
        (
            "workflows.change_workflow",
            ("patch", "/api/v1/workflows/{workflow}", {"name": "Changed"}),
            ("delete", "/api/v1/workflows/{workflow}", None),
        ),
        (
            "executions.start_execution",
            ("post", "/api/v1/workflows/{workflow}/execute", {}),
            ("post", "/api/v1/workflows", WORKFLOW),
        ),
        (
            "breakers.change_circuitbreaker",
            ("post", "/api/v1/circuit-breakers/{breaker}/reset", None),
            ("delete", "/api/v1/circuit-breakers/{breaker}", None),
        ),
    ],
)
def test_each_write_needs_its_own_permission(viewer_api, objects, permission, allowed, refused):
    app_label, codename = permission.split(".")
    viewer_api.user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))

    assert call(viewer_api, *allowed[:2], objects, allowed[2]).status_code in (200, 201, 202)
    assert call(viewer_api, *refused[:2], objects, refused[2]).status_code == 403


def test_session_login_works_with_csrf(editor):
    client = APIClient(enforce_csrf_checks=True)
    login_page = client.get("/api-auth/login/")
    csrf = login_page.cookies["csrftoken"].value

    login = client.post(
        "/api-auth/login/", {"username": "editor", "password": "pw", "csrfmiddlewaretoken": csrf, "next": "/api/v1/"}
    )
    assert login.status_code == 302

    assert client.get("/api/v1/workflows").status_code == 200
    # Session-authenticated writes need the CSRF token, like any form.
    assert client.post("/api/v1/workflows", WORKFLOW, format="json").status_code == 403
    csrf = client.cookies["csrftoken"].value
    response = client.post("/api/v1/workflows", WORKFLOW, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201
    assert Workflow.objects.count() == 1


def test_session_login_with_a_wrong_password_gives_no_access(editor):
    client = APIClient()

    assert not client.login(username="editor", password="wrong")
    assert client.get("/api/v1/workflows").status_code == 401


def test_session_logout_ends_access(editor):
    client = APIClient()
    client.login(username="editor", password="pw")
    assert client.get("/api/v1/workflows").status_code == 200

    client.post("/api-auth/logout/")

    assert client.get("/api/v1/workflows").status_code == 401


def test_drf_create_token_gives_a_working_token(editor):
    out = io.StringIO()
    call_command("drf_create_token", "editor", stdout=out)
    token = re.search(r"Generated token (\w+) for user editor", out.getvalue()).group(1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.get("/api/v1/workflows").status_code == 200
    assert client.post("/api/v1/workflows", WORKFLOW, format="json").status_code == 201
