"""B6: the workflow and execution lists over many rows, through Django's test client with a token.

The test client runs the whole stack (middleware, authentication, DRF, serialisation) in this
process without a socket; queries are counted with CaptureQueriesContext. Like a server process
(wsgi.py), this one has its start-up objects frozen while it serves them. The bare baseline is
the page's rows read with one plain SQL query and dumped as JSON.
"""

import contextlib
import gc
import json
import time
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from executions.benchmarks.harness import API_USER, NAMESPACE, delete_executions, settle
from executions.benchmarks.registry import Row, percentile, scenario
from executions.models import WorkflowExecution
from executions.statuses import ExecutionStatus
from orchestration_site.roles import roles_refresh
from orchestration_site.startup import freeze_start_up_objects, load_views
from workflows.models import Workflow, WorkflowStatus

BATCH = 5000
PAGE = 50


def _workflows(count):
    steps = [{"id": "s1", "name": "Call", "type": "HTTP_REQUEST", "config": {"url": "https://example.com/{{id}}"}}]
    rows = [
        Workflow(name=f"benchmark list {i}", category=NAMESPACE, status=WorkflowStatus.ACTIVE, steps=steps)
        for i in range(count)
    ]
    Workflow.objects.bulk_create(rows, batch_size=BATCH)
    return rows[0]


def _executions(workflow, count, offset):
    now = timezone.now()
    for start in range(0, count, BATCH):
        WorkflowExecution.objects.bulk_create(
            [
                WorkflowExecution(
                    workflow=workflow,
                    status=ExecutionStatus.COMPLETED,
                    input={"leadId": f"lead_{offset + i}"},
                    output={"steps": {"s1": {"status": 200}}, "variables": {}},
                    started_at=now - timedelta(seconds=offset + i),
                    completed_at=now - timedelta(seconds=offset + i) + timedelta(milliseconds=40),
                    duration=40,
                    definition={"steps": workflow.steps},
                )
                for i in range(start, min(start + BATCH, count))
            ]
        )


@contextlib.contextmanager
def _as_served():
    """As in a server process, whose wsgi.py froze its start-up objects; undone after, for tests."""
    load_views()
    freeze_start_up_objects()
    try:
        yield
    finally:
        gc.unfreeze()


def _measure(client, path, headers, requests_count):
    for _ in range(5):
        assert client.get(path, **headers).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(path, **headers)
    count = len(queries)  # now: the next request's request_started empties the log
    times = []
    for _ in range(requests_count):
        started = time.perf_counter()
        response = client.get(path, **headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:200]
    return percentile(times, 99), count


def _bare(sql, requests_count):
    times = []
    for _ in range(requests_count):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} LIMIT {PAGE}")
            columns = [column[0] for column in cursor.description]
            json.dumps([dict(zip(columns, row, strict=True)) for row in cursor.fetchall()], default=str)
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 99)


def _row(measured, p99, baseline, queries):
    row = Row("B6", f"{measured}: p99, {queries} queries/request", p99, baseline)
    row.target, row.passed = "p99 ≤ 15 ms, ≤ 3 queries", p99 <= 15 and queries <= 3
    return row


@scenario("B6", "GET /api/v1/workflows and /api/v1/executions over many rows")
def list_endpoints(bench, sizes):
    workflows, executions, count = sizes["api_workflows"], sizes["api_executions"], sizes["api_requests"]
    user = User.objects.create_user(API_USER)
    user.groups.add(roles_refresh()["viewer"])  # reads need the view permission
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}
    client = Client()
    # The lists' first pages must show this scenario's rows only: a run of an earlier scenario
    # started in the last minute (B5's holds 10 000 item results) would sit among them.
    delete_executions()
    workflow = _workflows(workflows)
    settle()
    flows, runs = Workflow._meta.db_table, WorkflowExecution._meta.db_table
    bare_flows = f"SELECT id, name, status, category, steps, created_at FROM {flows} ORDER BY created_at DESC"  # noqa: S608
    bare_runs = f"SELECT id, status, input, output, started_at FROM {runs} ORDER BY started_at DESC"  # noqa: S608
    rows = []
    with override_settings(ALLOWED_HOSTS=["testserver"]), _as_served():
        p99, queries = _measure(client, "/api/v1/workflows", headers, count)
        rows.append(_row(f"workflows list, {workflows} workflows", p99, _bare(bare_flows, count), queries))
        first = executions // 10
        _executions(workflow, first, 0)
        settle((Workflow, WorkflowExecution))
        small, queries = _measure(client, "/api/v1/executions", headers, count)
        rows.append(_row(f"executions list, {first} executions", small, _bare(bare_runs, count), queries))
        _executions(workflow, executions - first, first)
        settle((Workflow, WorkflowExecution))
        large, queries = _measure(client, "/api/v1/executions", headers, count)
        row = _row(f"executions list, {executions} executions (baseline: at {first})", large, small, queries)
        row.target = "p99 ≤ 15 ms, ≤ 3 queries, ≤ 1.3× at 1/10 the rows"
        row.passed = row.passed and row.ratio <= 1.3
        rows.append(row)
    return rows
