"""The OpenAPI 3 document at /api/schema/ and Swagger UI at /api/docs/, with assets served locally."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders

# The spec's paths, with the methods each must document.
SPEC_PATHS = {
    "/api/v1/workflows": {"get", "post"},
    "/api/v1/workflows/{id}": {"get", "put", "patch", "delete"},
    "/api/v1/workflows/{id}/execute": {"post"},
    "/api/v1/workflows/{id}/metrics": {"get"},
    "/api/v1/executions": {"get"},
    "/api/v1/executions/{id}": {"get"},
    "/api/v1/circuit-breakers": {"get"},
    "/api/v1/circuit-breakers/{serviceId}": {"get", "delete"},
    "/api/v1/circuit-breakers/{serviceId}/config": {"put"},
    "/api/v1/circuit-breakers/{serviceId}/reset": {"post"},
    "/api/orchestration/execute": {"post"},
    "/api/orchestration/active": {"get"},
    "/api/orchestration/active/{requestId}": {"get"},
}
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def schema(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def documented(schema):
    """{path without trailing slash: set of methods} over every documented path."""
    paths = {}
    for path, operations in schema["paths"].items():
        paths.setdefault(path.rstrip("/") or "/", set()).update(set(operations) & HTTP_METHODS)
    return paths


def test_schema_is_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"]


def test_schema_is_served_as_yaml_by_default(api):
    response = api.get("/api/schema/")

    assert response.status_code == 200
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


def test_schema_lists_every_path_of_the_spec(schema):
    paths = documented(schema)

    for path, methods in SPEC_PATHS.items():
        assert path in paths, path
        assert methods <= paths[path], (path, paths[path])


def test_schema_uses_the_spec_paths_without_trailing_slashes(schema):
    for path in SPEC_PATHS:
        assert path in schema["paths"]
    assert not [path for path in schema["paths"] if path.endswith("/")]


def test_workflow_list_documents_its_filters_and_pagination(schema):
    path = next(p for p in schema["paths"] if p.rstrip("/") == "/api/v1/workflows")
    names = {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}

    assert names >= {
        "status",
        "category",
        "name",
        "createdAfter",
        "createdBefore",
        "updatedAfter",
        "updatedBefore",
        "ordering",
        "page",
        "pageSize",
    }


def test_execution_list_documents_its_filters(schema):
    path = next(p for p in schema["paths"] if p.rstrip("/") == "/api/v1/executions")
    names = {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}

    assert names >= {"workflowId", "status", "startedAfter", "startedBefore"}


def test_execute_documents_its_202(schema):
    path = next(p for p in schema["paths"] if p.rstrip("/") == "/api/v1/workflows/{id}/execute")

    assert "202" in schema["paths"][path]["post"]["responses"]


def test_components_use_the_spec_camel_case_names(schema):
    components = schema["components"]["schemas"]

    assert {"errorHandlers", "createdAt", "updatedAt", "steps", "triggers"} <= set(components["Workflow"]["properties"])
    assert {"serviceId", "failureCount", "halfOpenMaxCalls"} <= set(components["CircuitBreaker"]["properties"])
    assert "stepsExecuted" in components["ExecutionDetail"]["properties"]


def test_schema_documents_token_and_session_authentication(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["tokenAuth"]["in"] == "header"
    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert "cookieAuth" in schemes


def test_swagger_ui_renders_with_local_assets_only(api):
    response = api.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page loads its scripts and styles"
    for asset in assets:
        assert not re.match(r"^(https?:)?//", asset), asset
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not in any static folder"
    # No CDN host name (cdn.jsdelivr.net, unpkg.com, cdnjs.cloudflare.com): the letters alone
    # may turn up in the page's random CSRF token, a host name's dot may not.
    assert not re.search(r"(?:cdn|unpkg|jsdelivr|cdnjs)\.", html, re.IGNORECASE)
    assert "/api/schema/" in html
