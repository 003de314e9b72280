"""The database work of one inline HTTP step stays small and fixed (queries are most of a step's cost)."""

import dramatiq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from executions import services
from executions.engine import runner
from executions.models import WorkflowExecution


@pytest.fixture
def quiet_broker(transactional_db):
    """The in-process broker with no worker: the test runs the steps itself, inline."""
    broker = dramatiq.get_broker()
    broker.flush_all()
    runner.STOPPING.clear()  # a worker stopped by an earlier test must not hand steps over
    yield broker
    broker.flush_all()


def queries_of_a_run(make_workflow, server, steps, refer_back=False):
    url = server.route("GET", "/step", json={"ok": True})
    # With refer_back, each step after the first sends the previous one's status in its query.
    urls = [f"{url}?previous={{{{s{i - 1}.output.status}}}}" if refer_back and i else url for i in range(steps)]
    workflow = make_workflow(
        [{"id": f"s{i}", "type": "HTTP_REQUEST", "config": {"url": urls[i]}} for i in range(steps)]
    )
    execution = services.execution_start(workflow=workflow)
    with CaptureQueriesContext(connection) as queries:
        runner.start(execution.pk)
    assert WorkflowExecution.objects.get(pk=execution.pk).status == "COMPLETED"
    return [query["sql"] for query in queries.captured_queries]


def step_cost(make_workflow, server, refer_back=False):
    """Queries per further step: the difference between a 12-step and a 2-step run, over 10."""
    short = queries_of_a_run(make_workflow, server, 2, refer_back)
    long = queries_of_a_run(make_workflow, server, 12, refer_back)
    return (len(long) - len(short)) / 10, long


def test_each_further_step_costs_one_statement_on_postgresql(quiet_broker, make_workflow, server):
    # A warm-up run creates the service's breaker and records its first success.
    queries_of_a_run(make_workflow, server, 1)
    per_step, queries = step_cost(make_workflow, server)

    if connection.vendor == "postgresql":
        # One statement, its own transaction: the outcome (with the run's status checked in
        # it), the next record inserted already claimed, the execution's current step, and the
        # next step's first reads (config values, its breaker). A breaker refresh at most once
        # a second may add one. (Before: 7, and before that 13 with three commits.)
        assert per_step <= 1.1
        # A statement prepared once per connection (planning it cost as much as running it);
        # the last step's also completes the run, and the start reads the run and then
        # inserts its first step.
        assert sum(sql.startswith("EXECUTE orchestration_") for sql in queries) == 14
    else:
        # Config (1) and the breaker (1), then one transaction (BEGIN … COMMIT): the outcome,
        # the next record inserted already claimed, and the execution's current step.
        assert per_step <= 7
    # A step whose config names no earlier step never reads them.
    assert not any('"executions_stepexecution"."output"' in sql and sql.startswith("SELECT") for sql in queries[:-8])
    assert len(server.received("GET", "/step")) == 15


def test_a_step_that_refers_to_earlier_results_reads_them_once(quiet_broker, make_workflow, server):
    queries_of_a_run(make_workflow, server, 1)
    per_step, _ = step_cost(make_workflow, server, refer_back=True)
    assert per_step <= (2.1 if connection.vendor == "postgresql" else 8)
    sent = [request["query"].get("previous") for request in server.received("GET", "/step")]
    # The warm-up's step and each run's first step name none; the 1 + 11 others name theirs.
    assert sent.count(["200"]) == 12 and sent.count(None) == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement step is PostgreSQL's")
def test_a_connection_that_lost_its_prepared_statements_runs_them_unprepared(quiet_broker, make_workflow, server):
    queries_of_a_run(make_workflow, server, 3)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's DISCARD ALL, or another server connection

    queries = queries_of_a_run(make_workflow, server, 3)

    # The first EXECUTE fails; from then on this connection runs the same statements unprepared,
    # and the run completed all the same (queries_of_a_run checks it).
    assert [sql.split(" ")[0] for sql in queries if "orchestration_" in sql] == ["EXECUTE"]
    assert sum(sql.startswith("WITH done AS") for sql in queries) == 3
    assert sum(sql.startswith("WITH moved AS") for sql in queries) == 1  # the start's, run again
    connection.close()  # a new connection prepares again
    again = queries_of_a_run(make_workflow, server, 3)
    # The start's read of the run and its insert, and each step's record.
    assert sum(sql.startswith("EXECUTE orchestration_") for sql in again) == 5


def parallel_run_queries(make_workflow, server, children):
    url = server.route("GET", "/child", json={"ok": True})
    steps = [{"id": f"c{i}", "type": "HTTP_REQUEST", "config": {"url": url}} for i in range(children)]
    fan = {"id": "fan", "type": "PARALLEL", "config": {"steps": [s["id"] for s in steps], "maxConcurrency": 1}}
    execution = services.execution_start(workflow=make_workflow([fan, *steps]))
    with CaptureQueriesContext(connection) as queries:
        runner.start(execution.pk)
    assert WorkflowExecution.objects.get(pk=execution.pk).status == "COMPLETED"
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement join is PostgreSQL's")
def test_each_further_child_of_a_container_costs_at_most_five_queries(quiet_broker, make_workflow, server):
    parallel_run_queries(make_workflow, server, 1)
    short = parallel_run_queries(make_workflow, server, 2)
    long = parallel_run_queries(make_workflow, server, 12)

    # One transaction: BEGIN, the child's outcome, the container's row locked, its new state and
    # the next child (inserted claimed, its config and breaker read ahead) in one statement,
    # COMMIT. (Before: 8, with the next child's config and breaker read apart.)
    assert (len(long) - len(short)) / 10 <= 5
    assert len(server.received("GET", "/child")) == 15
