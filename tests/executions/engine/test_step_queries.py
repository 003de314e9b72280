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


def queries_of_a_run(make_workflow, server, steps):
    url = server.route("GET", "/step", json={"ok": True})
    workflow = make_workflow([{"id": f"s{i}", "type": "HTTP_REQUEST", "config": {"url": url}} for i in range(steps)])
    execution = services.execution_start(workflow=workflow)
    with CaptureQueriesContext(connection) as queries:
        runner.start(execution.pk)
    assert WorkflowExecution.objects.get(pk=execution.pk).status == "COMPLETED"
    return len(queries)


def test_each_further_step_costs_at_most_nine_queries(quiet_broker, make_workflow, server):
    # A warm-up run creates the service's breaker and records its first success.
    queries_of_a_run(make_workflow, server, 1)
    short = queries_of_a_run(make_workflow, server, 2)
    long = queries_of_a_run(make_workflow, server, 12)

    # Config and earlier results (2), the breaker (1), then one transaction (BEGIN … COMMIT, the
    # only commit): the run's status, the outcome, the next record inserted already claimed, and
    # the execution's current step. (Before: 13, with a claim read and three commits.)
    assert (long - short) / 10 <= 9
    assert len(server.received("GET", "/step")) == 15
