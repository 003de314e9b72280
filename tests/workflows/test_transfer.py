"""Export bundles and imports: byte-identical round trips, dry runs, name conflicts, all-or-nothing."""

import json
import uuid

import pytest

from workflows import services, transfer
from workflows.definition import DefinitionError
from workflows.models import Workflow, WorkflowVersion

STEP = {"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/ping"}}


def make(name="Ping", **fields):
    data = {"name": name, "category": "test", "status": "ACTIVE", "steps": [STEP], **fields}
    return services.workflow_create(data=data)


def bundle_of(*definitions):
    return {"formatVersion": 1, "workflows": list(definitions)}


def stored():
    return sorted(
        Workflow.objects.values_list("name", "version", "status", "steps"), key=str
    ), WorkflowVersion.objects.count()


@pytest.fixture
def rich(db):
    """Two workflows using every exported field."""
    make(
        "Beta",
        description="Second",
        triggers=[{"type": "MANUAL", "config": {}, "isEnabled": True}],
        timeout=60000,
        retryPolicy={"maxAttempts": 2, "strategy": "FIXED"},
        metadata={"owner": "ops", "é": "ü"},
    )
    make(
        "Alpha",
        steps=[STEP, {"id": "oops", "type": "WAIT", "config": {"duration": 1}}],
        errorHandlers=[{"stepId": "ping", "handlerStepId": "oops", "shouldContinue": True}],
    )


def test_an_export_holds_no_ids_versions_or_timestamps(rich):
    text = transfer.workflows_export(Workflow.objects.all())
    bundle = json.loads(text)

    assert bundle["formatVersion"] == 1
    assert [w["name"] for w in bundle["workflows"]] == ["Alpha", "Beta"]
    assert set(bundle["workflows"][0]) == {
        "name",
        "description",
        "category",
        "status",
        "triggers",
        "steps",
        "errorHandlers",
        "timeout",
        "retryPolicy",
        "metadata",
    }
    assert text == json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert str(Workflow.objects.first().pk) not in text


def test_export_import_export_is_byte_identical(rich):
    first = transfer.workflows_export(Workflow.objects.all())
    Workflow.objects.all().delete()

    results = transfer.workflows_import(payload=json.loads(first))

    assert [r["action"] for r in results] == ["create", "create"]
    assert transfer.workflows_export(Workflow.objects.all()).encode() == first.encode()


def test_overwriting_with_the_own_export_changes_nothing(rich):
    first = transfer.workflows_export(Workflow.objects.all())
    before = stored()

    results = transfer.workflows_import(payload=json.loads(first), on_conflict="overwrite")

    assert [r["action"] for r in results] == ["unchanged", "unchanged"]
    assert stored() == before
    assert transfer.workflows_export(Workflow.objects.all()) == first


def test_a_dry_run_lists_the_actions_and_writes_nothing(rich):
    changed = {"name": "Alpha", "category": "test", "steps": [STEP]}
    new = {"name": "Gamma", "category": "test", "steps": [STEP]}
    before = stored()

    for mode, expected in [
        ("skip", ["skip", "create"]),
        ("overwrite", ["overwrite", "create"]),
        ("create", ["create", "create"]),
    ]:
        results = transfer.workflows_import(payload=bundle_of(changed, new), on_conflict=mode, dry_run=True)
        assert [r["action"] for r in results] == expected, mode

    assert stored() == before


def test_skip_keeps_the_existing_workflow(rich):
    alpha = Workflow.objects.get(name="Alpha")

    [result] = transfer.workflows_import(payload=bundle_of({"name": "Alpha", "category": "x", "steps": []}))

    assert result == {"name": "Alpha", "action": "skip", "id": str(alpha.pk), "version": 1}
    assert Workflow.objects.get(name="Alpha").category == "test"


def test_overwrite_makes_a_new_version_of_the_existing_workflow(rich):
    alpha = Workflow.objects.get(name="Alpha")

    [result] = transfer.workflows_import(
        payload=bundle_of({"name": "Alpha", "category": "imported", "status": "ACTIVE", "steps": [STEP]}),
        on_conflict="overwrite",
    )

    assert result == {"name": "Alpha", "action": "overwrite", "id": str(alpha.pk), "version": 2}
    alpha.refresh_from_db()
    assert (alpha.category, alpha.steps, alpha.error_handlers) == ("imported", [STEP], [])
    assert alpha.versions.get(version=2).comment == "Overwritten by an import"


def test_create_adds_a_second_workflow_of_the_same_name(rich):
    [result] = transfer.workflows_import(
        payload=bundle_of({"name": "Alpha", "category": "test", "steps": [STEP]}), on_conflict="create"
    )

    assert result["action"] == "create"
    assert Workflow.objects.filter(name="Alpha").count() == 2


def test_a_single_workflow_object_imports_too(db):
    [result] = transfer.workflows_import(payload={"name": "Solo", "category": "test", "steps": [STEP]})

    assert result["action"] == "create"
    assert Workflow.objects.get().versions.get().comment == "Imported"


def test_a_bad_bundle_writes_nothing_and_names_the_field(rich):
    before = stored()
    bad = {"name": "Delta", "category": "test", "steps": [{"id": "x", "type": "HTTP_REQUEST", "config": {}}]}

    with pytest.raises(DefinitionError) as error:
        transfer.workflows_import(payload=bundle_of({"name": "Gamma", "category": "test", "steps": [STEP]}, bad))

    assert error.value.errors == [{"path": "workflows[1].steps[0].config.url", "message": "This field is required."}]
    assert stored() == before


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ([], ""),
        ({"formatVersion": 2, "workflows": []}, "formatVersion"),
        ({"workflows": {}}, "workflows"),
        ({"workflows": [], "extra": 1}, "extra"),
        ({"workflows": ["nope"]}, "workflows[0]"),
        ({"workflows": [{"name": "A", "category": "t", "steps": []}] * 2}, "workflows[1].name"),
        ({"name": "Solo", "category": "test", "steps": [{"id": "x", "type": "NOPE", "config": {}}]}, "steps[0].type"),
    ],
)
def test_bundle_errors_name_their_path(db, payload, path):
    with pytest.raises(DefinitionError) as error:
        transfer.workflows_import(payload=payload)

    assert path in [problem["path"] for problem in error.value.errors]
    assert not Workflow.objects.exists()


def test_an_unknown_conflict_mode_is_refused(db):
    with pytest.raises(DefinitionError) as error:
        transfer.workflows_import(payload=bundle_of(), on_conflict="merge")

    assert error.value.errors[0]["path"] == "onConflict"


# ---------------------------------------------------------------- API


def test_export_endpoint_downloads_the_bundle(api, rich):
    alpha = Workflow.objects.get(name="Alpha")

    response = api.get(f"/api/v1/workflows/{alpha.pk}/export")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="alpha.json"'
    assert response.content == transfer.workflows_export([alpha]).encode()


def test_export_endpoint_statuses(api, anon_api, viewer_api, viewer_role_api, rich):
    alpha = Workflow.objects.get(name="Alpha")

    assert api.get(f"/api/v1/workflows/{uuid.uuid4()}/export").status_code == 404
    assert anon_api.get(f"/api/v1/workflows/{alpha.pk}/export").status_code == 401
    assert viewer_role_api.get(f"/api/v1/workflows/{alpha.pk}/export").status_code == 200
    assert viewer_api.get(f"/api/v1/workflows/{alpha.pk}/export").status_code == 403


def test_import_endpoint_round_trips_the_export_bytes(api, rich):
    alpha = Workflow.objects.get(name="Alpha")
    exported = api.get(f"/api/v1/workflows/{alpha.pk}/export").content
    services.workflow_delete(workflow=alpha)

    response = api.post("/api/v1/workflows/import", exported, content_type="application/json")

    assert response.status_code == 200
    assert response.json()["results"][0]["action"] == "create"
    again = Workflow.objects.get(name="Alpha")
    assert api.get(f"/api/v1/workflows/{again.pk}/export").content == exported


def test_import_endpoint_dry_run_writes_nothing(api, rich):
    before = stored()

    response = api.post(
        "/api/v1/workflows/import?dryRun=true&onConflict=overwrite",
        bundle_of({"name": "Alpha", "category": "new", "steps": [STEP]}, {"name": "New", "category": "t", "steps": []}),
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["dryRun"] is True
    assert [(r["name"], r["action"]) for r in response.json()["results"]] == [("Alpha", "overwrite"), ("New", "create")]
    assert stored() == before


def test_import_endpoint_bad_bundle_is_400_naming_the_field(api, rich):
    before = stored()
    bad = {"name": "Delta", "category": "test", "steps": [{"id": "x", "type": "HTTP_REQUEST", "config": {}}]}

    response = api.post(
        "/api/v1/workflows/import", bundle_of({"name": "G", "category": "t", "steps": []}, bad), format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "workflows[1].steps[0].config.url", "message": "This field is required."}
    ]
    assert stored() == before


@pytest.mark.parametrize("query", ["?onConflict=merge", "?dryRun=maybe"])
def test_import_endpoint_refuses_bad_options(api, db, query):
    response = api.post(f"/api/v1/workflows/import{query}", bundle_of(), format="json")

    assert response.status_code == 400


def test_import_endpoint_needs_credentials_and_permissions(anon_api, viewer_api, editor, rich):
    before = stored()
    body = bundle_of({"name": "New", "category": "t", "steps": []})

    assert anon_api.post("/api/v1/workflows/import", body, format="json").status_code == 401
    assert viewer_api.post("/api/v1/workflows/import", body, format="json").status_code == 403
    assert stored() == before


def test_overwriting_by_import_needs_the_change_permission(viewer_api, rich):
    from django.contrib.auth.models import Permission

    viewer_api.user.user_permissions.add(Permission.objects.get(codename="add_workflow"))
    body = bundle_of({"name": "Alpha", "category": "new", "steps": [STEP]})

    assert viewer_api.post("/api/v1/workflows/import?onConflict=overwrite", body, format="json").status_code == 403
    assert viewer_api.post("/api/v1/workflows/import?onConflict=create", body, format="json").status_code == 200
