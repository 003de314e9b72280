"""With 100,000 executions stored, the metrics pages and /metrics run a few queries, however many workflows."""

import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from breakers.models import CircuitBreaker
from executions.models import StepExecution, WorkflowExecution
from tests.support.admin import staff_client
from tests.support.charts import charts_in, shapes
from workflows.models import Workflow

EXECUTIONS = 100_000
WORKFLOWS = 20
# Session and user of the signed-in staff member, on top of the page's own queries.
SESSION_QUERIES = 2


# Executions n = 0, 1, 2…: workflow n % WORKFLOWS; started n × 7 minutes ago, wrapped within 29 days (all inside
# "Last 30 days"); n % 10 = 6 failed, 7 timed out, 8 cancelled, 9 running, else completed; every other one
# has a step record. The database generates the rows (one INSERT … SELECT each): seconds, where building
# 150,000 model instances for bulk_create took over half a minute on this machine.
STATUS_SQL = """CASE n %% 10 WHEN 6 THEN 'FAILED' WHEN 7 THEN 'TIMED_OUT' WHEN 8 THEN 'CANCELLED'
                WHEN 9 THEN 'RUNNING' ELSE 'COMPLETED' END"""
DURATION_SQL = "CASE n %% 10 WHEN 9 THEN NULL ELSE 50 + n %% 950 END"
ERROR_SQL = "CASE n %% 10 WHEN 6 THEN 'HTTP_ERROR' WHEN 7 THEN 'TIMEOUT' END"
MINUTES_SQL = "((n * 7) %% (29 * 24 * 60))"
EXECUTION_COLUMNS = (
    "id, workflow_id, workflow_version, status, input, definition, metadata, started_at, duration, error_type"
)
STEP_COLUMNS = (
    "id, execution_id, key, scope, step_id, step_name, step_type, status, state, logs, attempt, created_at, duration"
)
GENERATE = {
    "postgresql": (
        f"""INSERT INTO executions_workflowexecution ({EXECUTION_COLUMNS})
            SELECT gen_random_uuid(), (%(ids)s::uuid[])[n %% %(workflows)s + 1], 1, {STATUS_SQL},
                   '{{}}', '{{}}', '{{}}', now() - make_interval(mins => {MINUTES_SQL}), {DURATION_SQL}, {ERROR_SQL}
            FROM generate_series(%(first)s, %(last)s) AS n""",
        "gen_random_uuid()",
        "(SELECT unnest(%(ids)s::uuid[]))",
    ),
    "sqlite": (
        f"""WITH RECURSIVE series(n) AS (SELECT %(first)s UNION ALL SELECT n + 1 FROM series WHERE n < %(last)s)
            INSERT INTO executions_workflowexecution ({EXECUTION_COLUMNS})
            SELECT lower(hex(randomblob(16))), json_extract(%(ids)s, '$[' || (n %% %(workflows)s) || ']'), 1,
                   {STATUS_SQL}, '{{}}', '{{}}', '{{}}',
                   strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || {MINUTES_SQL} || ' minutes'),
                   {DURATION_SQL}, {ERROR_SQL}
            FROM series""",
        "lower(hex(randomblob(16)))",
        "(SELECT value FROM json_each(%(ids)s))",
    ),
}


def _add_history(workflows, count, start=0):
    """Store executions number `start` to `start + count - 1` of `workflows` (see above)."""
    insert_executions, new_id, ids = GENERATE[connection.vendor]
    if connection.vendor == "postgresql":
        workflow_ids = [str(workflow.pk) for workflow in workflows]
    else:
        workflow_ids = json.dumps([workflow.pk.hex for workflow in workflows])
    params = {"ids": workflow_ids, "workflows": len(workflows), "first": start, "last": start + count - 1}
    with connection.cursor() as cursor:
        cursor.execute(insert_executions, params)
        cursor.execute(
            f"""INSERT INTO executions_stepexecution ({STEP_COLUMNS})
                SELECT {new_id}, id, 'call', '', 'call_' || (number %% 3), '', 'HTTP_REQUEST', status, '{{}}', '[]', 1,
                       started_at, duration
                FROM (SELECT *, row_number() OVER () AS number FROM executions_workflowexecution
                      WHERE workflow_id IN {ids}) AS runs
                WHERE number %% 2 = 0""",
            params,
        )


def _add_breakers(count, prefix):
    CircuitBreaker.objects.bulk_create(
        CircuitBreaker(service_id=f"{prefix}-{n}", state=["CLOSED", "OPEN", "HALF_OPEN"][n % 3]) for n in range(count)
    )


def _clear():
    tables = [model._meta.db_table for model in (StepExecution, WorkflowExecution, CircuitBreaker, Workflow)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):
    """100,000 executions over 20 workflows and 29 days, created once for this module."""
    with django_db_blocker.unblock():
        started = time.monotonic()
        workflows = Workflow.objects.bulk_create(
            Workflow(name=f"workflow {n:02}", category="load", status="ACTIVE") for n in range(WORKFLOWS)
        )
        _add_history(workflows, EXECUTIONS)
        _add_breakers(30, "carrier")
        seconds = time.monotonic() - started
        assert WorkflowExecution.objects.count() == EXECUTIONS
        yield {"workflows": workflows, "seconds": seconds}
        _clear()


@pytest.fixture
def staff(db, history):
    return staff_client("executions.view_workflowexecution", "workflows.view_workflow")


def queries_of(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def page_urls(history):
    workflow = history["workflows"][0]
    return [
        "/admin/metrics/",
        "/admin/metrics/?range=30d",
        f"/admin/metrics/workflows/{workflow.pk}/",
        f"/admin/metrics/workflows/{workflow.pk}/?range=30d",
        "/metrics",
    ]


# PostgreSQL takes percentiles in one query; elsewhere a count and one query per percentile.
PERCENTILE_QUERIES = 1 if connection.vendor == "postgresql" else 4
# The admin's navigation reads the user's permissions (user and group) once per page.
ADMIN_CHROME_QUERIES = 2
LIMITS = {
    "/admin/metrics/workflows/": ADMIN_CHROME_QUERIES + 6 + PERCENTILE_QUERIES,
    "/admin/metrics/": ADMIN_CHROME_QUERIES + 7,
    "/metrics": 5 + 1,  # a session scrape checks the view permission: one read of the user's permissions
}


def limit_for(url):
    return SESSION_QUERIES + next(n for prefix, n in LIMITS.items() if url.startswith(prefix))


def test_each_page_runs_a_few_queries(staff, history):
    for url in page_urls(history):
        count, _ = queries_of(staff, url)
        assert count <= limit_for(url), url


def test_query_counts_do_not_grow_with_workflows_or_breakers(staff, history):
    before = {url: queries_of(staff, url)[0] for url in page_urls(history)}

    more = Workflow.objects.bulk_create(
        Workflow(name=f"extra {n}", category="load", status="ACTIVE") for n in range(15)
    )
    _add_history(more, 3_000, start=EXECUTIONS)
    _add_breakers(40, "extra")

    after = {url: queries_of(staff, url)[0] for url in page_urls(history)}
    assert after == before


def test_the_figures_cover_every_stored_execution(staff, history):
    _, html = queries_of(staff, "/admin/metrics/?range=30d")

    assert f'data-figure="total">{EXECUTIONS}<' in html
    completed = WorkflowExecution.objects.filter(status="COMPLETED").count()
    assert f'data-figure="completed">{completed}<' in html
    per_day = charts_in(html)["Executions per day"]
    assert len({bar.get("x") for bar in shapes(per_day, "bar")}) == 30

    _, text = queries_of(staff, "/metrics")
    started = [line for line in text.splitlines() if line.startswith("orchestration_executions_started_total{")]
    assert len(started) == WORKFLOWS
    assert sum(float(line.rsplit(" ", 1)[1]) for line in started) == EXECUTIONS


def test_the_history_was_stored_in_seconds(db, history):
    # Keeps this module fast: inserts in bulk, never one INSERT per row.
    assert history["seconds"] < 60
