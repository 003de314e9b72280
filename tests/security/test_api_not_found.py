"""A URL under /api/ that no route matches answers a JSON 404, as every other API error does."""

import pytest
from rest_framework.test import APIClient


def test_an_unknown_api_url_is_a_json_404(api):
    response = api.get("/api/v1/workflows/not-a-uuid/metrics")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_other_unknown_urls_keep_the_html_page(api):
    response = api.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("url", ["/api/v1/orchestration/active", "/api/v1/nonexistent", "/api/nonexistent"])
def test_an_unknown_api_url_is_a_json_404_with_debug_on_too(api, settings, url):
    settings.DEBUG = True

    response = api.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("url", ["/api/schema", "/api/schema/", "/api/v1", "/api/v1/"])
def test_the_schema_and_the_api_root_answer_with_or_without_a_trailing_slash(api, url):
    assert api.get(url, follow=True).status_code == 200


def test_a_session_post_to_an_unknown_api_url_is_a_json_404_not_a_csrf_page(editor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)

    response = client.post("/api/v1/executions/0.5/cancel")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
