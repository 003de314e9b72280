"""Session-authenticated writes need the CSRF token; token-authenticated ones do not."""

import pytest
from rest_framework.test import APIClient

from workflows.models import ConfigEntry, Workflow

WORKFLOW = {"name": "Ping", "category": "test", "status": "ACTIVE", "steps": []}


@pytest.fixture
def session(editor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    client.get("/api-auth/login/")  # sets the csrftoken cookie, as a browser would get it
    return client


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/workflows", WORKFLOW),
        ("post", "/api/v1/config", {"key": "k", "value": 1}),
        ("delete", "/api/v1/config/region", None),
    ],
)
def test_a_session_write_without_the_token_is_403_and_changes_nothing(session, method, url, body):
    ConfigEntry.objects.create(key="region", value="eu")

    response = getattr(session, method)(url, body, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Workflow.objects.exists()
    assert list(ConfigEntry.objects.values_list("key", flat=True)) == ["region"]


def test_a_session_write_with_the_token_is_allowed(session):
    token = session.cookies["csrftoken"].value

    response = session.post("/api/v1/workflows", WORKFLOW, format="json", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201
    assert Workflow.objects.count() == 1


def test_a_wrong_token_is_refused(session):
    response = session.post("/api/v1/workflows", WORKFLOW, format="json", HTTP_X_CSRFTOKEN="x" * 32)

    assert response.status_code == 403
    assert not Workflow.objects.exists()


def test_session_reads_need_no_token(session):
    assert session.get("/api/v1/workflows").status_code == 200


def test_token_authenticated_writes_need_no_csrf_token(editor):
    client = APIClient(enforce_csrf_checks=True)
    from rest_framework.authtoken.models import Token

    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")

    assert client.post("/api/v1/workflows", WORKFLOW, format="json").status_code == 201
