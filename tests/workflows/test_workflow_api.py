"""/api/v1/workflows: create, list with filters, read, replace, patch and delete."""

from datetime import UTC, datetime, timedelta

import pytest

from audit.models import AuditEvent
from executions.models import WorkflowExecution
from workflows.demo_data import spec_examples
from workflows.models import Workflow

URL = "/api/v1/workflows"
FIELDS = {
    "id",
    "name",
    "description",
    "version",
    "status",
    "category",
    "triggers",
    "steps",
    "errorHandlers",
    "timeout",
    "retryPolicy",
    "metadata",
    "createdAt",
    "updatedAt",
}


def detail(pk):
    return f"{URL}/{pk}"


def http_step(step_id, url="https://example.test/api"):
    return {"id": step_id, "name": step_id, "type": "HTTP_REQUEST", "config": {"method": "GET", "url": url}}


def definition(**fields):
    data = {"name": "Ping", "category": "test", "status": "ACTIVE", "steps": [http_step("ping")]}
    data.update(fields)
    return data


def create(api, **fields):
    response = api.post(URL, definition(**fields), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def names(response):
    assert response.status_code == 200, response.json()
    return [item["name"] for item in response.json()["results"]]


def set_timestamps(workflow_id, **values):
    """Move created_at / updated_at (auto fields) to fixed instants."""
    Workflow.objects.filter(pk=workflow_id).update(**values)


# ---------------------------------------------------------------- create


@pytest.mark.parametrize("number", [1, 3])
def test_spec_example_is_created_and_read_back_with_the_same_fields(api, number):
    example = spec_examples()[number - 1]

    response = api.post(URL, example, format="json")

    assert response.status_code == 201, response.json()
    created = response.json()
    assert set(created) == FIELDS
    for key, value in example.items():
        assert created[key] == value, key
    assert created["version"] == 1
    fetched = api.get(detail(created["id"]))
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert Workflow.objects.filter(pk=created["id"], name=example["name"]).exists()


def test_spec_example_2_is_refused_naming_each_missing_step(api):
    response = api.post(URL, spec_examples()[1], format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    by_path = {error["path"]: error["message"] for error in errors}
    for index, step_id in enumerate(["quote_a", "quote_b", "quote_c"]):
        assert step_id in by_path[f"steps[0].config.steps[{index}]"]
    assert Workflow.objects.count() == 0


def test_create_fills_defaults_for_optional_fields(api):
    created = create(api, status="DRAFT")

    assert created["triggers"] == []
    assert created["errorHandlers"] == []
    assert created["description"] is None
    assert created["timeout"] is None
    assert created["status"] == "DRAFT"


def test_create_without_status_makes_a_draft(api):
    data = definition()
    del data["status"]

    response = api.post(URL, data, format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "DRAFT"


def test_create_ignores_read_only_fields_sent_by_the_client(api):
    created = create(api, id="00000000-0000-0000-0000-000000000001", version=99, createdAt="2000-01-01T00:00:00Z")

    assert created["id"] != "00000000-0000-0000-0000-000000000001"
    assert created["version"] == 1
    assert not created["createdAt"].startswith("2000")


def test_create_also_answers_on_the_trailing_slash_path(api):
    response = api.post(URL + "/", definition(), format="json")

    assert response.status_code == 201
    assert api.get(URL + "/").json()["count"] == 1


# ---------------------------------------------------------------- list and filters


def test_list_is_paginated_newest_first(api):
    for name in ["first", "second", "third"]:
        create(api, name=name)

    response = api.get(URL)

    body = response.json()
    assert body["count"] == 3
    assert body["next"] is None
    assert [item["name"] for item in body["results"]] == ["third", "second", "first"]
    assert set(body["results"][0]) == FIELDS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=ACTIVE", ["active-lead"]),
        ("status=DRAFT", ["draft-quote"]),
        ("status=ARCHIVED", []),
        ("category=lead", ["active-lead", "inactive-lead"]),
        ("category=quote", ["draft-quote"]),
        ("name=LEAD", ["active-lead", "inactive-lead"]),
        ("name=ive-l", ["active-lead", "inactive-lead"]),
        ("name=quo", ["draft-quote"]),
        ("status=INACTIVE&category=lead", ["inactive-lead"]),
    ],
)
def test_list_filters(api, query, expected):
    create(api, name="active-lead", category="lead", status="ACTIVE")
    create(api, name="inactive-lead", category="lead", status="INACTIVE")
    create(api, name="draft-quote", category="quote", status="DRAFT")

    assert sorted(names(api.get(f"{URL}?{query}&ordering=name"))) == expected


@pytest.mark.parametrize("field", ["created", "updated"])
def test_list_filters_by_time_range(api, field):
    january, february, march = (datetime(2025, month, 1, tzinfo=UTC) for month in (1, 2, 3))
    for name, instant in [("jan", january), ("feb", february), ("mar", march)]:
        set_timestamps(create(api, name=name)["id"], **{f"{field}_at": instant})

    def listed(params):
        return sorted(names(api.get(URL, params)))

    assert listed({f"{field}After": "2025-02-01T00:00:00Z"}) == ["feb", "mar"]
    assert listed({f"{field}Before": "2025-02-01T00:00:00Z"}) == ["jan"]
    assert listed({f"{field}After": "2025-01-15T00:00:00Z", f"{field}Before": "2025-02-15T00:00:00Z"}) == ["feb"]
    assert listed({f"{field}After": "2025-03-01T00:00:01Z"}) == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["alpha", "bravo", "charlie"]),
        ("-name", ["charlie", "bravo", "alpha"]),
        ("category", ["charlie", "bravo", "alpha"]),
        ("createdAt", ["bravo", "charlie", "alpha"]),
        ("-createdAt", ["alpha", "charlie", "bravo"]),
        ("-updatedAt", ["charlie", "bravo", "alpha"]),
        ("status,name", ["alpha", "charlie", "bravo"]),
    ],
)
def test_list_ordering(api, ordering, expected):
    base = datetime(2025, 1, 1, tzinfo=UTC)
    rows = [
        ("bravo", "b", "DRAFT", 0, 1),
        ("charlie", "a", "ACTIVE", 1, 2),
        ("alpha", "c", "ACTIVE", 2, 0),
    ]
    for name, category, status, created, updated in rows:
        workflow = create(api, name=name, category=category, status=status)
        set_timestamps(
            workflow["id"], created_at=base + timedelta(days=created), updated_at=base + timedelta(days=updated)
        )

    assert names(api.get(URL, {"ordering": ordering})) == expected


def test_list_page_size_and_pages(api):
    for index in range(5):
        create(api, name=f"wf-{index}")

    first = api.get(URL, {"pageSize": 2, "ordering": "name"}).json()
    last = api.get(URL, {"pageSize": 2, "ordering": "name", "page": 3}).json()

    assert first["count"] == 5
    assert [item["name"] for item in first["results"]] == ["wf-0", "wf-1"]
    assert "pageSize=2" in first["next"]
    assert "page=2" in first["next"]
    assert first["previous"] is None
    assert [item["name"] for item in last["results"]] == ["wf-4"]
    assert last["next"] is None


@pytest.mark.parametrize("page_size", ["0", "-1", "many"])
def test_list_ignores_a_page_size_that_is_not_a_positive_number(api, page_size):
    for index in range(3):
        create(api, name=f"wf-{index}")

    response = api.get(URL, {"pageSize": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_list_caps_the_page_size(api):
    for index in range(501):
        Workflow.objects.create(name=f"wf-{index}", category="bulk", steps=[])

    body = api.get(URL, {"pageSize": 10_000}).json()

    assert body["count"] == 501
    assert len(body["results"]) == 500


def test_list_page_past_the_end_is_404(api):
    create(api)

    assert api.get(URL, {"page": 9}).status_code == 404


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"status": "RUNNING"}, "status"),
        ({"createdAfter": "yesterday"}, "createdAfter"),
        ({"updatedBefore": "2025-13-01"}, "updatedBefore"),
        ({"ordering": "secret"}, "ordering"),
    ],
)
def test_list_rejects_invalid_filter_values_naming_the_parameter(api, params, path):
    response = api.get(URL, params)

    assert response.status_code == 400
    assert path in [error["path"] for error in response.json()["errors"]]


# ---------------------------------------------------------------- read one


def test_get_one(api):
    created = create(api, description="Pings the API.", metadata={"owner": "ops"}, timeout=5000)

    response = api.get(detail(created["id"]))

    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "Pings the API."
    assert body["metadata"] == {"owner": "ops"}
    assert body["timeout"] == 5000
    assert body["steps"] == definition()["steps"]


@pytest.mark.parametrize("pk", ["5f0c6a70-2d69-4a4f-9a34-0f5b6b7c0d1e", "not-a-uuid"])
def test_get_unknown_workflow_is_404(api, pk):
    assert api.get(detail(pk)).status_code == 404


# ---------------------------------------------------------------- PUT


def test_put_replaces_the_whole_definition(api):
    example_1, _, example_3 = spec_examples()
    created = api.post(URL, {**example_1, "description": "old", "metadata": {"a": 1}}, format="json").json()

    response = api.put(detail(created["id"]), example_3, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    for key, value in example_3.items():
        assert body[key] == value
    # Fields the replacement leaves out go back to their defaults.
    assert body["triggers"] == []
    assert body["description"] is None
    assert body["metadata"] == {}
    assert body["timeout"] is None
    assert body["version"] == 2
    assert body["createdAt"] == created["createdAt"]
    stored = Workflow.objects.get(pk=created["id"])
    assert stored.name == example_3["name"]
    assert stored.steps == example_3["steps"]


def test_put_of_a_fetched_body_with_only_the_name_changed_keeps_the_version(api):
    created = create(api)
    body = api.get(detail(created["id"])).json()
    body["name"] = "Renamed"

    response = api.put(detail(created["id"]), body, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Renamed"
    assert response.json()["version"] == 1


TWO_STEPS = [http_step("ping"), http_step("pong")]


@pytest.mark.parametrize(
    "change",
    [
        {"steps": [http_step("ping"), http_step("pong", "https://example.test/other")]},
        {"triggers": [{"type": "MANUAL", "config": {}, "isEnabled": True}]},
        {"timeout": 60000},
        {"errorHandlers": [{"stepId": "ping", "handlerStepId": "pong"}]},
    ],
    ids=["steps", "triggers", "timeout", "errorHandlers"],
)
def test_put_changing_what_runs_increments_the_version(api, change):
    created = create(api, steps=TWO_STEPS)

    response = api.put(detail(created["id"]), definition(**{"steps": TWO_STEPS, **change}), format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    assert Workflow.objects.get(pk=created["id"]).version == 2


def test_put_twice_with_new_steps_counts_up(api):
    created = create(api)
    for version, url in [(2, "https://example.test/b"), (3, "https://example.test/c")]:
        response = api.put(detail(created["id"]), definition(steps=[http_step("ping", url)]), format="json")
        assert response.json()["version"] == version


def test_put_with_missing_required_fields_is_refused_and_changes_nothing(api):
    created = create(api, name="Keep me")

    response = api.put(detail(created["id"]), {"steps": []}, format="json")

    assert response.status_code == 400
    paths = {error["path"] for error in response.json()["errors"]}
    assert {"name", "category"} <= paths
    stored = Workflow.objects.get(pk=created["id"])
    assert (stored.name, stored.version, stored.steps) == ("Keep me", 1, created["steps"])


def test_put_of_an_invalid_definition_changes_nothing(api):
    created = create(api)
    bad = definition(steps=[{"id": "x", "type": "TELEPORT", "config": {}}])

    response = api.put(detail(created["id"]), bad, format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == ["steps[0].type"]
    assert Workflow.objects.get(pk=created["id"]).steps == created["steps"]


def test_put_unknown_workflow_is_404(api):
    response = api.put(detail("5f0c6a70-2d69-4a4f-9a34-0f5b6b7c0d1e"), definition(), format="json")

    assert response.status_code == 404
    assert Workflow.objects.count() == 0


# ---------------------------------------------------------------- PATCH


def test_patch_changes_only_the_given_fields(api):
    created = create(api, description="before", metadata={"owner": "ops"})

    response = api.patch(detail(created["id"]), {"status": "INACTIVE", "description": "after"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["description"]) == ("INACTIVE", "after")
    assert body["metadata"] == {"owner": "ops"}
    assert body["steps"] == created["steps"]
    assert body["name"] == created["name"]
    assert body["version"] == 1


def test_patch_archives_a_workflow(api):
    created = create(api)

    response = api.patch(detail(created["id"]), {"status": "ARCHIVED"}, format="json")

    assert response.json()["status"] == "ARCHIVED"
    assert Workflow.objects.get(pk=created["id"]).status == "ARCHIVED"


def test_patch_of_steps_increments_the_version(api):
    created = create(api)
    steps = [http_step("ping", "https://example.test/v2")]

    response = api.patch(detail(created["id"]), {"steps": steps}, format="json")

    assert response.json()["version"] == 2
    assert response.json()["steps"] == steps


def test_patch_with_the_same_steps_keeps_the_version(api):
    created = create(api)

    response = api.patch(detail(created["id"]), {"steps": created["steps"], "name": "Same steps"}, format="json")

    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_patch_is_validated_against_the_merged_definition(api):
    """errorHandlers alone is valid JSON, but it names a step the stored workflow lacks."""
    created = create(api)

    response = api.patch(
        detail(created["id"]), {"errorHandlers": [{"stepId": "ping", "handlerStepId": "notify"}]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "errorHandlers[0].handlerStepId", "message": "Unknown step id 'notify'."}
    ]
    assert Workflow.objects.get(pk=created["id"]).error_handlers == []


def test_patch_that_removes_a_referenced_step_is_refused(api):
    steps = [
        {"id": "fan", "name": "fan", "type": "PARALLEL", "config": {"steps": ["a", "b"]}},
        http_step("a"),
        http_step("b"),
    ]
    created = create(api, steps=steps)

    response = api.patch(detail(created["id"]), {"steps": steps[:2]}, format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == ["steps[0].config.steps[1]"]
    assert Workflow.objects.get(pk=created["id"]).steps == steps


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": ""}, "name"),
        ({"status": "PAUSED"}, "status"),
        ({"timeout": 0}, "timeout"),
        ({"colour": "blue"}, "colour"),
        ({"steps": None}, "steps"),
        ({"triggers": None}, "triggers"),
        ({"version": 1, "createdAt": "2000-01-01T00:00:00Z", "name": 3}, "name"),
    ],
)
def test_patch_with_an_invalid_field_is_refused(api, body, path):
    created = create(api)

    response = api.patch(detail(created["id"]), body, format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == [path]
    stored = Workflow.objects.get(pk=created["id"])
    assert (stored.name, stored.status, stored.timeout) == ("Ping", "ACTIVE", None)


def test_updated_at_moves_on_change(api):
    created = create(api)
    set_timestamps(created["id"], updated_at=datetime(2020, 1, 1, tzinfo=UTC))

    response = api.patch(detail(created["id"]), {"description": "touched"}, format="json")

    assert not response.json()["updatedAt"].startswith("2020")


# ---------------------------------------------------------------- DELETE


def test_delete_a_workflow_that_never_ran(api):
    created = create(api)

    response = api.delete(detail(created["id"]))

    assert response.status_code == 204
    assert not Workflow.objects.filter(pk=created["id"]).exists()
    assert api.get(detail(created["id"])).status_code == 404


def test_delete_a_workflow_with_executions_is_refused_and_keeps_its_history(api):
    created = create(api)
    workflow = Workflow.objects.get(pk=created["id"])
    WorkflowExecution.objects.create(workflow=workflow, status="COMPLETED")

    response = api.delete(detail(created["id"]))

    assert response.status_code == 409
    assert "archive" in response.json()["detail"].lower()
    assert Workflow.objects.filter(pk=created["id"]).exists()
    assert WorkflowExecution.objects.filter(workflow=workflow).count() == 1


def test_delete_unknown_workflow_is_404(api):
    assert api.delete(detail("5f0c6a70-2d69-4a4f-9a34-0f5b6b7c0d1e")).status_code == 404


@pytest.mark.parametrize(
    ("change", "path"), [({"version": 7}, "version"), ({"id": "00000000-0000-0000-0000-000000000001"}, "id")]
)
def test_changing_a_read_only_field_is_refused_and_changes_nothing(api, change, path):
    created = create(api)
    events = AuditEvent.objects.count()

    response = api.patch(detail(created["id"]), {**change, "name": "Renamed"}, format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == [path]
    stored = Workflow.objects.get(pk=created["id"])
    assert (stored.name, stored.version) == (created["name"], 1)
    assert AuditEvent.objects.count() == events


def test_a_patch_that_changes_nothing_writes_no_audit_event(api):
    created = create(api)
    events = AuditEvent.objects.count()

    response = api.patch(detail(created["id"]), {"version": 1, "name": created["name"]}, format="json")

    assert response.status_code == 200
    assert response.json()["updatedAt"] == created["updatedAt"]
    assert AuditEvent.objects.count() == events


def test_a_workflow_saved_under_older_rules_stays_editable_but_gains_no_new_problem(api):
    # Stored before dependsOn outside a PARALLEL and relative URLs were refused.
    steps = [http_step("a") | {"dependsOn": ["b"]}, http_step("b")]
    workflow = Workflow.objects.create(name="Old", category="test", status="ACTIVE", steps=steps)

    archived = api.patch(detail(workflow.pk), {"status": "ARCHIVED"}, format="json")
    worse = api.patch(detail(workflow.pk), {"steps": [*steps, http_step("c", url="relative/path")]}, format="json")

    assert archived.status_code == 200, archived.json()
    assert worse.status_code == 400
    assert [error["path"] for error in worse.json()["errors"]] == ["steps[2].config.url"]
    workflow.refresh_from_db()
    assert (workflow.status, len(workflow.steps)) == ("ARCHIVED", 2)
