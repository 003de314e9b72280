"""The execution viewer and breaker pages render for staff, with secrets masked."""

from django.contrib.auth.models import User
from django.test import Client

from breakers.services import breaker_get_or_create
from executions import services
from tests.support.workers import wait_for_execution
from workflows.services import config_set


def test_execution_pages_render_with_masked_secrets(worker, server, make_workflow):
    config_set(key="token", value="s3cr3t-value", is_secret=True)
    server.route("GET", "/ping", json={"ok": True})
    workflow = make_workflow(
        [
            {
                "id": "ping",
                "type": "HTTP_REQUEST",
                "config": {"url": server.url("/ping"), "headers": {"X-Key": "{{config.token}}"}},
            }
        ]
    )
    execution = wait_for_execution(services.execution_start(workflow=workflow).pk)
    step = execution.steps_executed.get()
    breaker_get_or_create(service_id="carrier-a-api")
    User.objects.create_superuser("boss", password="pw")
    client = Client()
    client.login(username="boss", password="pw")

    pages = [
        "/admin/executions/workflowexecution/",
        f"/admin/executions/workflowexecution/{execution.pk}/change/",
        f"/admin/executions/stepexecution/{step.pk}/change/",
        "/admin/breakers/circuitbreaker/",
        "/admin/workflows/configentry/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert "s3cr3t-value" not in response.content.decode(), page
    assert "X-Key" in client.get(pages[2]).content.decode()


def test_the_execution_actions_are_named_by_what_they_do(db):
    User.objects.create_superuser("boss", password="pw")
    client = Client()
    client.login(username="boss", password="pw")

    page = client.get("/admin/executions/workflowexecution/").content.decode()

    for label in ("Cancel", "Pause", "Resume", "Retry", "Run again"):
        assert f"{label} selected executions" in page
