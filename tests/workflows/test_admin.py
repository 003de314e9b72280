"""The workflow editor in the admin: it saves through the same validator as the API."""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from breakers.services import breaker_get_or_create
from executions.models import StepExecution, WorkflowExecution
from workflows import services
from workflows.models import ConfigEntry, Workflow

ADD_URL = "/admin/workflows/workflow/add/"
STEPS = [{"id": "ping", "name": "Ping", "type": "HTTP_REQUEST", "config": {"method": "GET", "url": "https://x.test"}}]


def change_url(workflow):
    return f"/admin/workflows/workflow/{workflow.pk}/change/"


@pytest.fixture
def staff(db):
    """A staff user holding every permission of the project's apps, signed in through the login form."""
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["workflows", "executions", "breakers"])
    )
    client = Client()
    response = client.post("/admin/login/", {"username": "staff", "password": "pw", "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    return client


def form_data(**overrides):
    data = {
        "name": "Admin workflow",
        "description": "",
        "status": "ACTIVE",
        "category": "admin",
        "timeout": "",
        "steps": json.dumps(STEPS),
        "triggers": json.dumps([{"type": "MANUAL", "config": {}, "isEnabled": True}]),
        "error_handlers": "[]",
        "metadata": "{}",
        "retry_policy": "null",
    }
    data.update(overrides)
    return data


def form_errors(response):
    assert response.status_code == 200, "the form is shown again"
    form = response.context["adminform"].form
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


def test_the_add_page_renders_with_json_editors(staff):
    response = staff.get(ADD_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "jsoneditor" in html.lower()
    assert 'name="steps"' in html


def test_adding_a_valid_workflow_saves_it(staff):
    response = staff.post(ADD_URL, form_data(timeout="60000"))

    assert response.status_code == 302, form_errors(response)
    workflow = Workflow.objects.get()
    assert (workflow.name, workflow.category, workflow.status, workflow.version) == (
        "Admin workflow",
        "admin",
        "ACTIVE",
        1,
    )
    assert workflow.steps == STEPS
    assert workflow.timeout == 60000
    assert workflow.triggers == [{"type": "MANUAL", "config": {}, "isEnabled": True}]


def test_a_saved_workflow_is_served_by_the_api(staff, api):
    staff.post(ADD_URL, form_data())

    body = api.get("/api/v1/workflows").json()["results"][0]

    assert (body["name"], body["steps"], body["errorHandlers"]) == ("Admin workflow", STEPS, [])


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("steps", [{"id": "a", "type": "TELEPORT", "config": {}}], "steps[0].type"),
        ("steps", [{"id": "a", "type": "HTTP_REQUEST", "config": {}}], "steps[0].config.url"),
        ("steps", [{"id": "p", "type": "PARALLEL", "config": {"steps": ["quote_a"]}}], "steps[0].config.steps[0]"),
        ("steps", STEPS + STEPS, "steps[1].id"),
        ("triggers", [{"type": "EVENT", "config": {}}], "triggers[0].config.eventType"),
        ("error_handlers", [{"stepId": "ping", "handlerStepId": "ghost"}], "errorHandlers[0].handlerStepId"),
    ],
)
def test_an_invalid_definition_shows_the_validator_error_at_its_field(staff, field, value, expected):
    response = staff.post(ADD_URL, form_data(**{field: json.dumps(value)}))

    errors = form_errors(response)
    assert any(message.startswith(f"{expected}:") for message in errors.get(field, [])), errors
    assert expected in response.content.decode()
    assert not Workflow.objects.exists()


def test_several_problems_are_shown_together(staff):
    steps = [{"id": "a", "type": "TELEPORT", "config": {}}, {"id": "b", "type": "HTTP_REQUEST", "config": {}}]

    errors = form_errors(staff.post(ADD_URL, form_data(steps=json.dumps(steps))))

    assert {message.split(":")[0] for message in errors["steps"]} == {"steps[0].type", "steps[1].config.url"}
    assert not Workflow.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("steps", "[{not json"),
        ("steps", '"a string"'),
        ("triggers", '{"type": "MANUAL"}'),
        ("name", ""),
        ("category", ""),
        ("timeout", "0"),
        ("timeout", "soon"),
    ],
)
def test_malformed_fields_are_refused_on_the_form(staff, field, value):
    errors = form_errors(staff.post(ADD_URL, form_data(**{field: value})))

    assert field in errors
    assert not Workflow.objects.exists()


@pytest.mark.parametrize("field", ["triggers", "error_handlers", "metadata"])
@pytest.mark.parametrize("value", ["", "null"])
def test_an_emptied_optional_json_field_saves_as_empty(staff, api, field, value):
    response = staff.post(ADD_URL, form_data(**{field: value}))

    assert response.status_code == 302, form_errors(response)
    workflow = Workflow.objects.get()
    assert getattr(workflow, field) in ([], {}, None)
    # What the admin stored goes back through the API unchanged.
    url = f"/api/v1/workflows/{workflow.pk}"
    assert api.put(url, api.get(url).json(), format="json").status_code == 200


def test_editing_steps_increments_the_version(staff):
    workflow = services.workflow_create(data={"name": "W", "category": "admin", "status": "ACTIVE", "steps": STEPS})
    new_steps = [{**STEPS[0], "config": {"method": "GET", "url": "https://y.test"}}]

    response = staff.post(change_url(workflow), form_data(name="W", steps=json.dumps(new_steps)))

    assert response.status_code == 302, form_errors(response)
    workflow.refresh_from_db()
    assert (workflow.version, workflow.steps) == (2, new_steps)


def test_editing_only_the_name_keeps_the_version(staff):
    workflow = services.workflow_create(
        data={
            "name": "W",
            "category": "admin",
            "status": "ACTIVE",
            "steps": STEPS,
            "triggers": [{"type": "MANUAL", "config": {}, "isEnabled": True}],
        }
    )

    response = staff.post(change_url(workflow), form_data(name="Renamed"))

    assert response.status_code == 302, form_errors(response)
    workflow.refresh_from_db()
    assert (workflow.name, workflow.version) == ("Renamed", 1)


def test_an_invalid_edit_changes_nothing(staff):
    workflow = services.workflow_create(data={"name": "W", "category": "admin", "status": "ACTIVE", "steps": STEPS})

    errors = form_errors(
        staff.post(change_url(workflow), form_data(steps='[{"id": "a", "type": "NOPE", "config": {}}]'))
    )

    assert "steps" in errors
    workflow.refresh_from_db()
    assert (workflow.name, workflow.steps, workflow.version) == ("W", STEPS, 1)


def test_a_workflow_with_executions_cannot_be_deleted(staff):
    workflow = services.workflow_create(data={"name": "W", "category": "admin", "status": "ACTIVE", "steps": STEPS})
    WorkflowExecution.objects.create(workflow=workflow, status="COMPLETED")

    response = staff.post(f"/admin/workflows/workflow/{workflow.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Workflow.objects.filter(pk=workflow.pk).exists()


def test_bulk_delete_keeps_workflows_with_executions(staff):
    kept = services.workflow_create(data={"name": "Ran", "category": "admin", "status": "ACTIVE", "steps": STEPS})
    WorkflowExecution.objects.create(workflow=kept, status="COMPLETED")

    response = staff.post(
        "/admin/workflows/workflow/",
        {"action": "delete_selected", "_selected_action": [str(kept.pk)], "post": "yes"},
    )

    assert response.status_code == 200
    assert "Cannot delete workflow" in response.content.decode()
    assert Workflow.objects.filter(pk=kept.pk).exists()


def test_a_workflow_that_never_ran_can_be_deleted(staff):
    workflow = services.workflow_create(data={"name": "W", "category": "admin", "status": "ACTIVE", "steps": STEPS})

    response = staff.post(f"/admin/workflows/workflow/{workflow.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Workflow.objects.exists()


def test_the_changelist_searches_and_filters(staff):
    for name, status in [("Lead routing", "ACTIVE"), ("Quote compare", "DRAFT")]:
        services.workflow_create(data={"name": name, "category": "admin", "status": status, "steps": STEPS})

    searched = staff.get("/admin/workflows/workflow/", {"q": "lead"}).content.decode()
    filtered = staff.get("/admin/workflows/workflow/", {"status__exact": "DRAFT"}).content.decode()

    assert "Lead routing" in searched and "Quote compare" not in searched
    assert "Quote compare" in filtered and "Lead routing" not in filtered


def test_every_model_has_a_working_list_and_detail_page(staff):
    workflow = services.workflow_create(data={"name": "W", "category": "admin", "status": "ACTIVE", "steps": STEPS})
    run = WorkflowExecution.objects.create(workflow=workflow, status="FAILED", input={"leadId": "x"})
    step = StepExecution.objects.create(execution=run, key="ping", step_id="ping", step_type="HTTP_REQUEST")
    breaker = breaker_get_or_create(service_id="carrier-a-api")
    entry = services.config_set(key="region", value="eu")

    for model, obj in [
        ("workflows/workflow", workflow),
        ("executions/workflowexecution", run),
        ("executions/stepexecution", step),
        ("breakers/circuitbreaker", breaker),
        ("workflows/configentry", entry),
    ]:
        assert staff.get(f"/admin/{model}/").status_code == 200, model
        assert staff.get(f"/admin/{model}/{obj.pk}/change/").status_code == 200, model


def test_a_secret_config_value_is_never_sent_to_the_browser(staff):
    entry = services.config_set(key="carrierA", value={"apiKey": "key-A-123"}, is_secret=True)

    listing = staff.get("/admin/workflows/configentry/").content.decode()
    page = staff.get(f"/admin/workflows/configentry/{entry.pk}/change/").content.decode()

    assert "key-A-123" not in listing
    assert "key-A-123" not in page


def test_saving_a_secret_with_an_empty_value_keeps_it(staff):
    entry = services.config_set(key="carrierA", value={"apiKey": "key-A-123"}, is_secret=True)

    response = staff.post(
        f"/admin/workflows/configentry/{entry.pk}/change/",
        {"key": "carrierA", "value": "", "is_secret": "on", "description": "Carrier A"},
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.value, entry.description) == ({"apiKey": "key-A-123"}, "Carrier A")


def test_a_secret_cannot_be_unmasked_in_the_admin_without_a_new_value(staff):
    entry = services.config_set(key="carrierA", value={"apiKey": "key-A-123"}, is_secret=True)

    response = staff.post(
        f"/admin/workflows/configentry/{entry.pk}/change/", {"key": "carrierA", "value": "", "description": ""}
    )

    assert "value" in form_errors(response)
    entry.refresh_from_db()
    assert entry.is_secret is True
    assert "key-A-123" not in staff.get("/admin/workflows/configentry/").content.decode()


def test_non_staff_users_are_sent_to_the_login_page(db):
    User.objects.create_user("plain", password="pw")
    client = Client()
    client.login(username="plain", password="pw")

    for url in [ADD_URL, "/admin/workflows/workflow/", "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")
    response = client.post(ADD_URL, form_data())
    assert response.status_code == 302
    assert not Workflow.objects.exists()


def test_the_login_form_refuses_non_staff_users(db):
    User.objects.create_user("plain", password="pw")

    response = Client().post("/admin/login/", {"username": "plain", "password": "pw", "next": "/admin/"})

    assert response.status_code == 200
    assert "staff account" in response.content.decode()


def test_staff_without_permissions_cannot_add(db):
    User.objects.create_user("bare", password="pw", is_staff=True)
    client = Client()
    client.login(username="bare", password="pw")

    assert client.get(ADD_URL).status_code == 403
    assert client.post(ADD_URL, form_data()).status_code == 403
    assert not Workflow.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(db):
    response = Client().get(ADD_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not ConfigEntry.objects.exists()


def test_a_secret_config_value_is_not_shown_to_a_view_only_staff_user(db):
    # Without the change permission the admin renders every field read-only, from the decrypted value.
    entry = services.config_set(key="carrierA", value={"apiKey": "key-A-123"}, is_secret=True)
    viewer = User.objects.create_user("config-viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_configentry"))
    client = Client()
    client.force_login(viewer)

    page = client.get(f"/admin/workflows/configentry/{entry.pk}/change/")

    assert page.status_code == 200
    assert "key-A-123" not in page.content.decode()
    assert "***" in page.content.decode()
