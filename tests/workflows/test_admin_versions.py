"""Admin pages for versions (history, diff, restore), export, import and create-from-template, as staff."""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from workflows import services, transfer
from workflows.models import Workflow, WorkflowVersion

STEPS = [{"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://x.test/<v1>"}}]
STEPS_V2 = [{"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://x.test/v2"}}]
BASE = "/admin/workflows/workflow"


def signed_in(username, *codenames):
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="workflows", codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(db):
    return signed_in("staff", "add_workflow", "change_workflow", "delete_workflow", "view_workflow")


@pytest.fixture
def reader(db):
    return signed_in("reader", "view_workflow")


@pytest.fixture
def workflow(db):
    workflow = services.workflow_create(data={"name": "Versioned", "category": "t", "status": "ACTIVE", "steps": STEPS})
    return services.workflow_update(workflow=workflow, data={"steps": STEPS_V2}, partial=True)


def test_the_change_page_links_to_versions_and_export(staff, workflow):
    html = staff.get(f"{BASE}/{workflow.pk}/change/").content.decode()

    assert f"{BASE}/{workflow.pk}/versions/" in html
    assert f"{BASE}/{workflow.pk}/export/" in html


def test_the_list_page_links_to_import_and_templates(staff, workflow):
    html = staff.get(f"{BASE}/").content.decode()

    assert f"{BASE}/import/" in html
    assert f"{BASE}/from-template/" in html


def test_the_versions_page_lists_every_version(staff, workflow):
    response = staff.get(f"{BASE}/{workflow.pk}/versions/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "2 (current)" in html
    assert "?from=1&amp;to=2" in html
    assert "Restore version 1" in html
    assert "Restore version 2" not in html


def test_the_diff_page_shows_the_change_escaped(staff, workflow):
    response = staff.get(f"{BASE}/{workflow.pk}/versions/diff/", {"from": 1, "to": 2})

    assert response.status_code == 200
    html = response.content.decode()
    assert '<table class="diff"' in html
    assert "Version 1" in html and "Version 2" in html
    assert 'x.test/<span class="diff_sub">&lt;</span>' in html
    assert "<v1>" not in html
    assert "diff_chg" in html or "diff_sub" in html


def test_a_long_changed_block_is_shown_as_a_unified_diff_escaped_and_quickly(staff, db):
    # Side by side, 480 changed lines cost HtmlDiff 40 s and then a RecursionError (a 500).
    def steps(suffix):
        body = ["q" * 40 + f"{n:06d}{suffix}" for n in range(480)]
        return [{"id": "post", "type": "HTTP_REQUEST", "config": {"url": "https://x.test/<in>", "body": body}}]

    workflow = services.workflow_create(data={"name": "Long", "category": "t", "steps": steps("")})
    services.workflow_update(workflow=workflow, data={"steps": steps("z")}, partial=True)

    response = staff.get(f"{BASE}/{workflow.pk}/versions/diff/", {"from": 1, "to": 2})

    assert response.status_code == 200
    html = response.content.decode()
    assert "version-diff-unified" in html
    assert "-          &quot;" + "q" * 40 + "000479&quot;" in html
    assert "+          &quot;" + "q" * 40 + "000479z&quot;" in html
    assert "x.test/&lt;in&gt;" in html and "<in>" not in html


def test_the_diff_page_defaults_to_the_last_two_and_404s_unknown_versions(staff, workflow):
    assert "Version 1" in staff.get(f"{BASE}/{workflow.pk}/versions/diff/").content.decode()
    assert staff.get(f"{BASE}/{workflow.pk}/versions/diff/", {"from": 7, "to": 2}).status_code == 404
    assert staff.get(f"{BASE}/{workflow.pk}/versions/diff/", {"from": "x"}).status_code == 404


def test_restore_asks_then_rolls_back_through_the_service(staff, workflow):
    url = f"{BASE}/{workflow.pk}/versions/1/restore/"
    assert "Yes, restore version 1" in staff.get(url).content.decode()

    response = staff.post(url)

    assert response.status_code == 302
    workflow.refresh_from_db()
    assert (workflow.version, workflow.steps) == (3, STEPS)
    third = WorkflowVersion.objects.get(workflow=workflow, version=3)
    assert (third.comment, third.created_by.username) == ("Rolled back to version 1", "staff")
    messages = [str(m) for m in staff.get(response["Location"]).context["messages"]]
    assert "Restored version 1 as version 3." in messages


def test_restore_needs_the_change_permission(reader, workflow):
    assert reader.get(f"{BASE}/{workflow.pk}/versions/").status_code == 200
    assert "Restore version" not in reader.get(f"{BASE}/{workflow.pk}/versions/").content.decode()

    assert reader.post(f"{BASE}/{workflow.pk}/versions/1/restore/").status_code == 403
    assert Workflow.objects.get().version == 2


def test_version_pages_of_a_missing_workflow_are_404(staff, db):
    assert staff.get(f"{BASE}/00000000-0000-0000-0000-000000000000/versions/").status_code in (302, 404)


def test_the_admin_save_makes_a_version_by_the_signed_in_user(staff, workflow):
    data = {
        "name": "Versioned",
        "description": "",
        "status": "ACTIVE",
        "category": "t",
        "timeout": "1000",
        "steps": json.dumps(STEPS_V2),
        "triggers": "[]",
        "error_handlers": "[]",
        "metadata": "{}",
        "retry_policy": "null",
    }

    response = staff.post(f"{BASE}/{workflow.pk}/change/", data)

    assert response.status_code == 302
    latest = WorkflowVersion.objects.get(workflow=workflow, version=3)
    assert (latest.timeout, latest.created_by.username) == (1000, "staff")


def test_export_downloads_the_same_bytes_as_the_api(staff, workflow):
    response = staff.get(f"{BASE}/{workflow.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="versioned.json"'
    assert response.content == transfer.workflows_export([workflow]).encode()


def test_the_import_page_dry_runs_then_imports(staff, workflow):
    bundle = json.dumps({"workflows": [{"name": "Imported", "category": "t", "steps": []}]})

    dry = staff.post(f"{BASE}/import/", {"text": bundle, "on_conflict": "skip", "dry_run": "on"})
    assert dry.status_code == 200
    assert "Dry run" in dry.content.decode()
    assert not Workflow.objects.filter(name="Imported").exists()

    done = staff.post(f"{BASE}/import/", {"text": bundle, "on_conflict": "skip"})
    assert done.status_code == 200
    assert "Imported" in done.content.decode()
    assert Workflow.objects.filter(name="Imported").count() == 1


def test_the_import_page_shows_errors_and_writes_nothing(staff, workflow):
    bad = json.dumps(
        {"workflows": [{"name": "Bad", "category": "t", "steps": [{"id": "x", "type": "WAIT", "config": {}}]}]}
    )

    response = staff.post(f"{BASE}/import/", {"text": bad, "on_conflict": "skip"})

    assert response.status_code == 200
    assert "workflows[0].steps[0].config" in response.content.decode()
    assert not Workflow.objects.filter(name="Bad").exists()


@pytest.mark.parametrize("value", ['"a\\u0000b"', "NaN", '"\\ud800"'], ids=["NUL", "NaN", "unpaired surrogate"])
def test_the_import_page_refuses_json_the_database_cannot_store(staff, db, value):
    # The API's parser refuses these with a 400; pasted into the admin they must not be a 500.
    bad = '{"name": "Odd", "category": "t", "steps": [], "metadata": {"note": VALUE}}'.replace("VALUE", value)

    response = staff.post(f"{BASE}/import/", {"text": bad, "on_conflict": "skip"})

    assert response.status_code == 200
    assert "Not JSON" in response.content.decode()
    assert not Workflow.objects.filter(name="Odd").exists()


def test_the_import_page_accepts_an_uploaded_file(staff, workflow):
    from django.core.files.uploadedfile import SimpleUploadedFile

    exported = transfer.workflows_export([workflow]).encode()
    upload = SimpleUploadedFile("bundle.json", exported, content_type="application/json")

    response = staff.post(f"{BASE}/import/", {"file": upload, "on_conflict": "create"})

    assert response.status_code == 200
    assert Workflow.objects.filter(name="Versioned").count() == 2


def test_the_import_page_needs_the_add_permission(reader, db):
    assert reader.get(f"{BASE}/import/").status_code == 403


def test_the_templates_page_lists_the_library(staff):
    response = staff.get(f"{BASE}/from-template/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f"{BASE}/from-template/scheduled-health-check/" in html
    assert "Webhook relay" in html


def test_creating_from_a_template_in_the_admin(staff):
    url = f"{BASE}/from-template/scheduled-health-check/"
    assert 'name="parameters.healthUrl"' in staff.get(url).content.decode()

    response = staff.post(
        url,
        {
            "name": "Health",
            "status": "ACTIVE",
            "parameters.healthUrl": "https://svc.test/health",
            "parameters.alertUrl": "https://hooks.test/alert",
            "parameters.cron": "*/5 * * * *",
            "parameters.timezone": "UTC",
            "parameters.timeout": "700",
        },
    )

    assert response.status_code == 302
    workflow = Workflow.objects.get()
    assert response["Location"] == f"{BASE}/{workflow.pk}/change/"
    assert (workflow.name, workflow.status, workflow.steps[0]["config"]["timeout"]) == ("Health", "ACTIVE", 700)
    assert workflow.versions.get().created_by.username == "staff"


def test_a_template_form_missing_a_required_parameter_is_shown_again(staff):
    response = staff.post(f"{BASE}/from-template/scheduled-health-check/", {"status": "DRAFT"})

    assert response.status_code == 200
    assert "parameters.healthUrl" in response.context["form"].errors
    assert not Workflow.objects.exists()


def test_template_pages_need_the_add_permission_and_a_known_slug(reader, staff):
    assert reader.get(f"{BASE}/from-template/").status_code == 403
    assert staff.get(f"{BASE}/from-template/nope/").status_code == 404
