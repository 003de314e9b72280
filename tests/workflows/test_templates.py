"""The templates library: every template makes a valid workflow; parameters are checked and filled in."""

import uuid

import pytest
from django.core.management import call_command

from workflows import library, services
from workflows.definition import DefinitionError, validate_definition
from workflows.demo_data import demo_workflows
from workflows.models import Workflow

SLUGS = [template["slug"] for template in library.template_list()]
# Values for the parameters a template requires.
REQUIRED_VALUES = {
    "listUrl": "https://api.example.test/items",
    "primaryUrl": "https://carrier-a.example.test/leads",
    "secondaryUrl": "https://carrier-b.example.test/leads",
    "healthUrl": "https://service.example.test/health",
    "alertUrl": "https://alerts.example.test/hook",
    "destinationUrl": "https://destination.example.test/hook",
}


def required_values(slug):
    template = library.template_get(slug)
    return {p["name"]: REQUIRED_VALUES[p["name"]] for p in template["parameters"] if p.get("required")}


def test_the_library_has_the_spec_examples_and_five_integration_patterns():
    assert set(SLUGS) >= {
        "lead-submission",
        "quote-comparison",
        "conditional-lead-routing",
        "paginate-and-collect",
        "fan-out-with-failure-tolerance",
        "carrier-fallback",
        "scheduled-health-check",
        "webhook-relay",
    }


@pytest.mark.parametrize("slug", SLUGS)
def test_each_template_declares_exactly_the_parameters_it_uses(slug):
    template = library.template_get(slug)
    declared = [p["name"] for p in template["parameters"]]

    assert library.placeholders(template["workflow"]) == set(declared)
    assert len(declared) == len(set(declared))
    for parameter in template["parameters"]:
        assert parameter["description"]
        assert parameter["type"] in library.TYPES
        assert parameter.get("required") or "default" in parameter, parameter["name"]
        if "default" in parameter:
            assert library._has_type(parameter["default"], parameter["type"]), parameter["name"]


@pytest.mark.parametrize("slug", SLUGS)
def test_each_template_instantiates_to_a_valid_workflow(db, slug):
    definition = library.template_render(slug, required_values(slug))

    validate_definition(definition)
    assert "[[" not in str(definition)
    workflow = services.workflow_create_from_template(slug=slug, parameters=required_values(slug))
    assert (workflow.version, workflow.status, workflow.metadata) == (1, "DRAFT", {"template": slug})


def test_a_template_parameter_keeps_its_type_and_runtime_placeholders_stay():
    definition = library.template_render(
        "conditional-lead-routing", {"minQualityScore": 70, "assignmentsUrl": "https://a.test/assign"}
    )

    check = definition["steps"][0]["config"]["conditions"]
    assert check[0]["value"] == 70
    assert check[1]["value"] == "auto"
    assert definition["steps"][1]["config"]["url"] == "https://a.test/assign"
    assert definition["steps"][1]["config"]["body"] == {"leadId": "{{leadId}}", "agentType": "premium"}


@pytest.mark.parametrize(
    ("value", "values", "expected"),
    [
        ("[[n]]", {"n": 3}, 3),
        ("[[ n ]]", {"n": [1, 2]}, [1, 2]),
        ("page=[[n]]", {"n": 3}, "page=3"),
        ("[[a]]/[[b]]", {"a": "x", "b": True}, "x/true"),
        ("{{config.[[key]]}}", {"key": "hook.secret"}, "{{config.hook.secret}}"),
        ("{{leadId}}", {"leadId": "never"}, "{{leadId}}"),
        ("[[unknown]]", {}, "[[unknown]]"),
        ({"[[k]]": "[[v]]"}, {"k": "page", "v": {"a": 1}}, {"page": {"a": 1}}),
        (["[[n]]", 1, None], {"n": "x"}, ["x", 1, None]),
    ],
)
def test_substitution(value, values, expected):
    assert library.substitute(value, values) == expected


@pytest.mark.parametrize(
    ("parameters", "path", "message"),
    [
        ({}, "parameters.listUrl", "This parameter is required."),
        ({"listUrl": 5}, "parameters.listUrl", "Expected string, got int."),
        ({"listUrl": "https://x.test", "pageSize": "100"}, "parameters.pageSize", "Expected integer, got str."),
        ({"listUrl": "https://x.test", "pageSize": True}, "parameters.pageSize", "Expected integer, got bool."),
        ({"listUrl": "https://x.test", "colour": "red"}, "parameters.colour", None),
    ],
)
def test_bad_parameters_name_the_parameter(parameters, path, message):
    with pytest.raises(DefinitionError) as error:
        library.template_render("paginate-and-collect", parameters)

    [problem] = error.value.errors
    assert problem["path"] == path
    if message:
        assert problem["message"] == message


def test_the_demo_workflows_are_the_spec_templates_pointed_at_the_demo():
    lead, quotes, routing = demo_workflows("http://127.0.0.1:9000/")

    assert lead["steps"][0]["config"]["url"] == "http://127.0.0.1:9000/demo/leads/{{leadId}}"
    assert lead["steps"][3]["config"]["serviceId"] == "carrier-a-api"
    assert quotes["steps"][3]["config"]["url"] == "http://127.0.0.1:9000/demo/quotes/a"
    assert routing["steps"][1]["config"]["url"] == "http://127.0.0.1:9000/demo/assignments"
    for workflow in (lead, quotes, routing):
        validate_definition(workflow)
        assert workflow["status"] == "ACTIVE"


def test_load_demo_is_idempotent_and_makes_one_version_each(db):
    call_command("load_demo", base_url="http://127.0.0.1:8000")
    call_command("load_demo", base_url="http://127.0.0.1:8000")

    assert Workflow.objects.count() == 3
    assert sorted(Workflow.objects.values_list("version", flat=True)) == [1, 1, 1]


# ---------------------------------------------------------------- API


def test_list_templates(api):
    response = api.get("/api/v1/templates")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(SLUGS)
    first = body["results"][0]
    assert set(first) == {"slug", "name", "description", "category", "parameters"}
    assert [t["slug"] for t in body["results"]] == sorted(SLUGS)


def test_one_template_shows_its_parameters_and_workflow(api):
    response = api.get("/api/v1/templates/paginate-and-collect")

    assert response.status_code == 200
    body = response.json()
    assert body["workflow"]["steps"]
    list_url = next(p for p in body["parameters"] if p["name"] == "listUrl")
    page_size = next(p for p in body["parameters"] if p["name"] == "pageSize")
    assert (list_url["required"], "default" in list_url) == (True, False)
    assert (page_size["required"], page_size["default"], page_size["type"]) == (False, 100, "integer")


def test_a_missing_template_is_404(api):
    assert api.get("/api/v1/templates/nope").status_code == 404
    assert api.post("/api/v1/templates/nope/instantiate", {}, format="json").status_code == 404


def test_instantiate_creates_the_workflow(api):
    response = api.post(
        "/api/v1/templates/scheduled-health-check/instantiate",
        {
            "name": "Check the carrier API",
            "status": "ACTIVE",
            "parameters": {
                "healthUrl": "https://carrier.test/health",
                "alertUrl": "https://hooks.test/a",
                "timeout": 800,
            },
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["status"], body["version"]) == ("Check the carrier API", "ACTIVE", 1)
    assert body["triggers"] == [
        {"type": "SCHEDULE", "config": {"cron": "*/5 * * * *", "timezone": "UTC"}, "isEnabled": True}
    ]
    assert body["steps"][0]["config"] == {"method": "GET", "url": "https://carrier.test/health", "timeout": 800}
    stored = Workflow.objects.get(pk=body["id"])
    assert stored.versions.get().created_by.username == "editor"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"parameters": {"alertUrl": "https://hooks.test/a"}}, "parameters.healthUrl"),
        (
            {"parameters": {"healthUrl": "https://a.test", "alertUrl": "https://b.test", "timeout": "fast"}},
            "parameters.timeout",
        ),
        ({"parameters": []}, "parameters"),
        ({"parameters": {}, "colour": "red"}, "colour"),
        (
            {"parameters": {"healthUrl": "https://a.test", "alertUrl": "https://b.test"}, "status": "LIVE"},
            "status",
        ),
    ],
)
def test_instantiate_with_bad_input_is_400_and_stores_nothing(api, body, path):
    response = api.post("/api/v1/templates/scheduled-health-check/instantiate", body, format="json")

    assert response.status_code == 400
    assert path in [error["path"] for error in response.json()["errors"]]
    assert not Workflow.objects.exists()


def test_templates_need_credentials(anon_api):
    assert anon_api.get("/api/v1/templates").status_code == 401
    assert anon_api.get("/api/v1/templates/webhook-relay").status_code == 401
    response = anon_api.post("/api/v1/templates/webhook-relay/instantiate", {}, format="json")
    assert response.status_code == 401


def test_instantiate_needs_the_add_permission(viewer_role_api):
    assert viewer_role_api.get("/api/v1/templates").status_code == 200

    response = viewer_role_api.post(
        "/api/v1/templates/webhook-relay/instantiate",
        {"parameters": {"destinationUrl": "https://d.test"}},
        format="json",
    )

    assert response.status_code == 403
    assert not Workflow.objects.exists()


def test_instantiate_keeps_template_names_distinct_from_ids(api):
    response = api.post(
        "/api/v1/templates/webhook-relay/instantiate",
        {"parameters": {"destinationUrl": "https://d.test"}},
        format="json",
    )

    assert response.status_code == 201
    uuid.UUID(response.json()["id"])
    assert response.json()["name"] == "Webhook relay"
    assert response.json()["steps"][1]["config"]["signingSecret"] == "{{config.webhookRelay.signingSecret}}"
