"""Admin pages stay fast with 100,000 executions stored: a fixed number of queries, and no slow counts.

The executions are inserted once for this module, inside a transaction rolled back at its end.
"""

import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from breakers import services as breaker_services
from executions.models import StepExecution, WorkflowExecution
from tests.support.admin import staff_client
from workflows.services import workflow_create

STORED = 100_000
STATUSES = ["COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "TIMED_OUT", "CANCELLED"]
EVERYTHING = (
    "executions.view_workflowexecution",
    "executions.operate_execution",
    "executions.start_execution",
    "executions.view_stepexecution",
    "breakers.view_circuitbreaker",
    "breakers.change_circuitbreaker",
)


def insert_executions(workflow, count):
    """Insert `count` finished executions in one statement (bulk_create of 100,000 takes ~20 s here)."""
    table = WorkflowExecution._meta.db_table
    columns = (
        "id, workflow_id, workflow_version, status, input, started_at, completed_at, duration, metadata, definition"
    )
    statuses = " ".join(f"WHEN {index} THEN '{status}'" for index, status in enumerate(STATUSES))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT gen_random_uuid(), %s, 1, CASE n %% {len(STATUSES)} "
                f"{statuses} END, '{{}}', now() - n * interval '86 seconds', now() - n * interval '86 seconds', "
                "n %% 5000, '{}', '{}' FROM generate_series(0, %s) AS n",
                [workflow.pk, count - 1],
            )
        else:
            cursor.execute(
                f"WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < %s) "
                f"INSERT INTO {table} ({columns}) SELECT lower(hex(randomblob(16))), %s, 1, CASE n %% {len(STATUSES)} "
                f"{statuses} END, '{{}}', strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || (n * 86) || ' seconds'), "
                "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || (n * 86) || ' seconds'), n %% 5000, '{}', '{}' "
                "FROM seq",
                [count - 1, workflow.pk.hex],
            )


@pytest.fixture(scope="module")
def stored(django_db_setup, django_db_blocker):
    """100,000 finished executions of one workflow, spread over the last 100 days.

    They live in one transaction around the whole module (each test's own transaction nests in
    it as a savepoint) and are rolled back at its end: nothing is ever committed, so no other
    module sees them, even if this one is interrupted or the database goes away meanwhile.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            steps = [{"id": "w", "type": "WAIT", "config": {"duration": 1}}]
            workflow = workflow_create(data={"name": "Bulk", "category": "scale", "status": "ACTIVE", "steps": steps})
            started = time.monotonic()
            insert_executions(workflow, STORED)
            assert WorkflowExecution.objects.filter(workflow=workflow).count() == STORED
            print(f"\nstored {STORED} executions in {time.monotonic() - started:.1f}s")
            yield workflow
        finally:
            transaction.set_rollback(True)


@pytest.fixture
def client(db, stored):
    return staff_client(*EVERYTHING)


def queries_of(client, url):
    client.get(url)  # once first: caches filled on a first visit (content types) are not what is measured
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in captured.captured_queries], response


def test_the_changelist_makes_a_few_queries_and_one_count_without_joins(client, stored):
    for url in (
        "/admin/executions/workflowexecution/",
        "/admin/executions/workflowexecution/?outcome=failed",
        f"/admin/executions/workflowexecution/?workflow__id__exact={stored.pk}&status__exact=COMPLETED",
    ):
        queries, response = queries_of(client, url)

        assert len(response.context["cl"].result_list) == 100
        assert len(queries) <= 8, queries
        counts = [sql for sql in queries if "COUNT(" in sql.upper()]
        # show_full_result_count is off: only the filtered rows are counted, once, on the executions table alone.
        assert len(counts) == 1, counts
        assert "JOIN" not in counts[0].upper(), counts[0]
        # The page's rows come with their workflow in the same query (no query per row).
        assert sum("workflows_workflow" in sql for sql in queries) <= 2, queries


def test_the_changelist_answers_quickly(client):
    client.get("/admin/executions/workflowexecution/")  # warm up templates and the session
    started = time.monotonic()
    response = client.get("/admin/executions/workflowexecution/?outcome=failed")
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed < 3.0, f"the changelist over {STORED} executions took {elapsed:.2f}s"


def execution_with_steps(workflow, count):
    execution = WorkflowExecution.objects.create(workflow=workflow, status="RUNNING", definition=workflow.definition())
    now = timezone.now()
    parent = StepExecution.objects.create(
        execution=execution, key="loop", step_id="loop", step_type="FOR_EACH", started_at=now
    )
    StepExecution.objects.bulk_create(
        [
            StepExecution(
                execution=execution,
                parent=parent,
                key=f"loop[{index}]/call",
                step_id="call",
                step_type="HTTP_REQUEST",
                item_index=index,
                status="FAILED" if index % 7 == 0 else "COMPLETED",
                started_at=now,
                completed_at=now + timedelta(milliseconds=index),
                duration=index,
                attempt=2,
                input={"index": index},
                output={"ok": True},
                logs=[{"attempt": 1, "at": now.isoformat(), "error": {"type": "HTTP_ERROR", "message": "503"}}],
            )
            for index in range(count)
        ]
    )
    return execution


def test_an_execution_page_with_many_steps_makes_as_many_queries_as_with_few(client, stored):
    few, many = execution_with_steps(stored, 3), execution_with_steps(stored, 400)

    for view in ("change", "live"):
        small, _ = queries_of(client, f"/admin/executions/workflowexecution/{few.pk}/{view}/")
        large, response = queries_of(client, f"/admin/executions/workflowexecution/{many.pk}/{view}/")

        assert len(large) == len(small), large
        assert len(large) <= 12, large
        assert response.content.decode().count('class="tl-row"') == 401


def test_the_active_page_makes_as_many_queries_for_many_runs_as_for_few(client, stored):
    execution_with_steps(stored, 2)
    small, _ = queries_of(client, "/admin/executions/workflowexecution/active/live/")
    for _ in range(40):
        execution_with_steps(stored, 2)
    large, response = queries_of(client, "/admin/executions/workflowexecution/active/live/")

    assert len(large) == len(small) and len(large) <= 6, large
    assert response.content.decode().count("data-execution=") == 41
    page, _ = queries_of(client, "/admin/executions/workflowexecution/active/")
    assert len(page) <= 6, page


def test_the_breaker_dashboard_makes_as_many_queries_for_many_breakers_as_for_few(client):
    def add_breakers(first, last):
        for number in range(first, last):
            service_id = f"service-{number}"
            breaker = breaker_services.breaker_get_or_create(service_id=service_id)
            for _ in range(4):  # open, then reset: two transitions a round
                breaker_services.breaker_configure(breaker=breaker, config={"threshold": 1})
                permit = breaker_services.breaker_acquire(service_id=service_id)
                breaker_services.breaker_record(permit=permit, success=False, reason="503")
                breaker_services.breaker_reset(breaker=breaker)

    add_breakers(0, 2)
    small, _ = queries_of(client, "/admin/breakers/circuitbreaker/dashboard/")
    add_breakers(2, 25)
    large, response = queries_of(client, "/admin/breakers/circuitbreaker/dashboard/")

    assert len(large) == len(small) and len(large) <= 6, large
    cards = response.context["breakers"]
    assert len(cards) == 25 and all(len(card.recent_transitions) == 5 for card in cards)
