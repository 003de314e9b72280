"""Date filters take any ISO 8601 offset Python reads; one the database cannot hold is a 400, never a 500."""

import pytest

from executions.models import WorkflowExecution


@pytest.mark.parametrize(
    "url",
    ["/api/v1/executions?startedAfter={}", "/api/v1/workflows?createdAfter={}", "/api/v1/audit?createdBefore={}"],
)
@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("2026-01-01T00:00:00-19:03", 200),  # PostgreSQL refuses offsets past ±15:59: sent as UTC
        ("0441-11-11T04:57:58.8676-19:03", 200),
        ("0001-01-01T00:00:00+10:00", 400),  # before year 1 in UTC
        ("9999-12-31T23:59:59-10:00", 400),  # after year 9999 in UTC
        ("yesterday", 400),
    ],
)
def test_date_filters(api, url, value, status):
    WorkflowExecution.objects.create(status="RUNNING")

    response = api.get(url.format(value.replace("+", "%2B")))

    assert response.status_code == status, response.content
    if status == 400:
        assert response.json()["errors"][0]["path"]
