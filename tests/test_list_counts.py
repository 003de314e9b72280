"""List counts are exact up to a bound; past it (on PostgreSQL) the planner's estimate, never a full scan."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from executions.models import WorkflowExecution
from orchestration_site import pagination
from tests.support.pages import follow_pages


def test_counts_below_the_bound_are_exact(api, db):
    WorkflowExecution.objects.bulk_create([WorkflowExecution() for _ in range(7)])

    assert api.get("/api/v1/executions", {"pageSize": 2}).json()["count"] == 7


def test_counts_past_the_bound_read_at_most_the_bound(api, db, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "_estimates", {})  # what is found past this bound stays here
    WorkflowExecution.objects.bulk_create([WorkflowExecution() for _ in range(7)])

    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/v1/executions", {"pageSize": 2}).json()

    assert len(body["results"]) == 2
    if connection.vendor == "postgresql":
        assert body["count"] >= 4  # the planner's estimate, never below what was counted
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
        assert counts and all("LIMIT 4" in sql for sql in counts)
        # The estimate is reused: the next request neither asks the planner nor counts again.
        with CaptureQueriesContext(connection) as again:
            assert api.get("/api/v1/executions", {"pageSize": 2}).json()["count"] == body["count"]
        assert not any("EXPLAIN" in q["sql"] or "COUNT(" in q["sql"] for q in again.captured_queries)
        assert len(again) == len(queries) - 2
    else:
        assert body["count"] == 7


def test_a_list_shrunk_below_the_bound_is_counted_again_once_its_estimate_is_stale(api, db, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "_estimates", {})
    monkeypatch.setattr(pagination, "ESTIMATE_SECONDS", 0.0)  # every estimate is stale at once
    WorkflowExecution.objects.bulk_create([WorkflowExecution() for _ in range(7)])
    assert api.get("/api/v1/executions", {"pageSize": 2}).json()["count"] >= 4

    WorkflowExecution.objects.filter(pk__in=WorkflowExecution.objects.values("pk")[:5]).delete()

    assert api.get("/api/v1/executions", {"pageSize": 2}).json()["count"] == 2


def walk(api, url, params):
    """The ids on every page, and the last page's body."""
    bodies = follow_pages(api, url, params)
    return [row["id"] for body in bodies for row in body["results"]], bodies[-1]


def test_pages_past_the_bound_reach_every_row_when_the_estimate_falls_short(api, db, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "_estimates", {})
    monkeypatch.setattr(pagination, "planner_estimate", lambda queryset: 4)  # statistics older than the rows
    rows = WorkflowExecution.objects.bulk_create([WorkflowExecution() for _ in range(9)])

    first = api.get("/api/v1/executions", {"pageSize": 2}).json()
    ids, last = walk(api, "/api/v1/executions", {"pageSize": 2})

    assert sorted(ids) == sorted(str(row.pk) for row in rows)  # every row once, none lost past page 2
    assert last["next"] is None
    if connection.vendor == "postgresql":
        assert first["count"] == 4  # the estimate
        assert last["count"] == 9  # never below the rows a page has shown
    assert api.get("/api/v1/executions", {"pageSize": 2, "page": 6}).status_code == 404


def test_pages_past_the_bound_end_with_the_rows_when_the_estimate_overshoots(api, db, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "_estimates", {})
    monkeypatch.setattr(pagination, "planner_estimate", lambda queryset: 100)
    WorkflowExecution.objects.bulk_create([WorkflowExecution() for _ in range(7)])

    ids, last = walk(api, "/api/v1/executions", {"pageSize": 2})

    assert len(set(ids)) == 7 and last["next"] is None  # no link to pages the estimate only imagines
    assert api.get("/api/v1/executions", {"pageSize": 2, "page": 5}).status_code == 404
    assert api.get("/api/v1/executions", {"pageSize": 2, "page": 0}).status_code == 404
    assert api.get("/api/v1/executions", {"pageSize": 2, "page": "x"}).status_code == 404
