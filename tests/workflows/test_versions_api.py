"""GET /workflows/:id/versions, GET /workflows/:id/versions/:n and POST /workflows/:id/rollback."""

import uuid

import pytest

from workflows import services
from workflows.models import Workflow, WorkflowVersion

STEPS = [{"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/v1"}}]
STEPS_V2 = [{"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/v2"}}]


@pytest.fixture
def workflow(db):
    return services.workflow_create(data={"name": "W", "category": "test", "status": "ACTIVE", "steps": STEPS})


def test_versions_lists_every_version_newest_first(api, workflow):
    api.patch(f"/api/v1/workflows/{workflow.pk}", {"steps": STEPS_V2}, format="json")

    response = api.get(f"/api/v1/workflows/{workflow.pk}/versions")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    newest, oldest = body["results"]
    assert (newest["version"], newest["steps"], newest["createdBy"], newest["comment"]) == (
        2,
        STEPS_V2,
        "editor",
        "Updated",
    )
    assert (oldest["version"], oldest["steps"], oldest["createdBy"]) == (1, STEPS, None)
    assert set(newest) == {
        "workflowId",
        "version",
        "triggers",
        "steps",
        "errorHandlers",
        "timeout",
        "retryPolicy",
        "comment",
        "createdAt",
        "createdBy",
    }


def test_one_version_by_number(api, workflow):
    services.workflow_update(workflow=workflow, data={"steps": STEPS_V2}, partial=True)

    response = api.get(f"/api/v1/workflows/{workflow.pk}/versions/1")

    assert response.status_code == 200
    assert (response.json()["version"], response.json()["steps"]) == (1, STEPS)


@pytest.mark.parametrize("path", ["versions/9", "versions/0"])
def test_a_missing_version_is_404(api, workflow, path):
    assert api.get(f"/api/v1/workflows/{workflow.pk}/{path}").status_code == 404


@pytest.mark.parametrize("path", ["versions", "versions/1"])
def test_versions_of_a_missing_workflow_are_404(api, db, path):
    assert api.get(f"/api/v1/workflows/{uuid.uuid4()}/{path}").status_code == 404


@pytest.mark.parametrize("path", ["versions", "versions/1"])
def test_versions_need_credentials(anon_api, workflow, path):
    assert anon_api.get(f"/api/v1/workflows/{workflow.pk}/{path}").status_code == 401


def test_the_viewer_role_reads_versions(viewer_role_api, viewer_api, workflow):
    assert viewer_role_api.get(f"/api/v1/workflows/{workflow.pk}/versions").status_code == 200
    assert viewer_api.get(f"/api/v1/workflows/{workflow.pk}/versions").status_code == 403


def test_rollback_creates_a_version_equal_to_the_old_one(api, workflow):
    api.patch(f"/api/v1/workflows/{workflow.pk}", {"steps": STEPS_V2, "timeout": 5000}, format="json")

    response = api.post(f"/api/v1/workflows/{workflow.pk}/rollback", {"version": 1}, format="json")

    assert response.status_code == 200
    assert (response.json()["version"], response.json()["steps"], response.json()["timeout"]) == (3, STEPS, None)
    third = api.get(f"/api/v1/workflows/{workflow.pk}/versions/3").json()
    first = api.get(f"/api/v1/workflows/{workflow.pk}/versions/1").json()
    keys = ["triggers", "steps", "errorHandlers", "timeout", "retryPolicy"]
    assert {k: third[k] for k in keys} == {k: first[k] for k in keys}
    assert (third["createdBy"], third["comment"]) == ("editor", "Rolled back to version 1")


@pytest.mark.parametrize(
    ("body", "path"),
    [({}, "version"), ({"version": "1"}, "version"), ({"version": True}, "version"), ({"version": 0}, "version")],
)
def test_rollback_needs_a_version_number(api, workflow, body, path):
    response = api.post(f"/api/v1/workflows/{workflow.pk}/rollback", body, format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == [path]


def test_rollback_to_a_missing_version_is_400_naming_it(api, workflow):
    response = api.post(f"/api/v1/workflows/{workflow.pk}/rollback", {"version": 5}, format="json")

    assert response.status_code == 400
    assert response.json() == {"errors": [{"path": "version", "message": "This workflow has no version 5."}]}
    assert Workflow.objects.get().version == 1


def test_rollback_refuses_unknown_fields(api, workflow):
    response = api.post(f"/api/v1/workflows/{workflow.pk}/rollback", {"version": 1, "force": True}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "force"


def test_rollback_of_a_missing_workflow_is_404(api, db):
    assert api.post(f"/api/v1/workflows/{uuid.uuid4()}/rollback", {"version": 1}, format="json").status_code == 404


def test_rollback_needs_credentials(anon_api, workflow):
    response = anon_api.post(f"/api/v1/workflows/{workflow.pk}/rollback", {"version": 1}, format="json")

    assert response.status_code == 401


def test_rollback_needs_the_change_permission(viewer_api, workflow):
    services.workflow_update(workflow=workflow, data={"steps": STEPS_V2}, partial=True)

    response = viewer_api.post(f"/api/v1/workflows/{workflow.pk}/rollback", {"version": 1}, format="json")

    assert response.status_code == 403
    assert WorkflowVersion.objects.count() == 2


def test_put_and_patch_record_who_changed_it(api, workflow):
    body = {"name": "W", "category": "test", "status": "ACTIVE", "steps": STEPS_V2}

    assert api.put(f"/api/v1/workflows/{workflow.pk}", body, format="json").status_code == 200

    assert WorkflowVersion.objects.get(version=2).created_by.username == "editor"


def test_the_schema_documents_versions_templates_export_and_import(api):
    paths = api.get("/api/schema/", {"format": "json"}).json()["paths"]
    documented = {(path, method) for path, operations in paths.items() for method in operations}

    assert {
        ("/api/v1/workflows/{id}/versions", "get"),
        ("/api/v1/workflows/{id}/versions/{number}", "get"),
        ("/api/v1/workflows/{id}/rollback", "post"),
        ("/api/v1/workflows/{id}/export", "get"),
        ("/api/v1/workflows/import", "post"),
        ("/api/v1/templates", "get"),
        ("/api/v1/templates/{slug}", "get"),
        ("/api/v1/templates/{slug}/instantiate", "post"),
    } <= documented
