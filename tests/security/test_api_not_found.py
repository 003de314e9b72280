"""A URL under /api/ that no route matches answers a JSON 404, as every other API error does."""


def test_an_unknown_api_url_is_a_json_404(api):
    response = api.get("/api/v1/workflows/not-a-uuid/metrics")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_other_unknown_urls_keep_the_html_page(api):
    response = api.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
