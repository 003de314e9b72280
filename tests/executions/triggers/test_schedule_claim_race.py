"""Schedulers racing for the same due time: the unique constraint lets exactly one start a run."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from executions.models import TriggerFiring, TriggerSource, WorkflowExecution
from executions.triggers.firings import firing_create
from executions.triggers.schedule import schedule_tick
from workflows.models import Workflow

THREADS = 8
DUE = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite serialises writers; the race needs concurrent transactions"
)


def race(target):
    """Run `target` in THREADS threads released at the same moment; return their results."""
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


@pytest.fixture
def workflow(transactional_db, make_workflow):
    workflow = make_workflow(
        [], triggers=[{"type": "SCHEDULE", "config": {"cron": "* * * * *", "missedRuns": "catchUp"}}]
    )
    Workflow.objects.filter(pk=workflow.pk).update(updated_at=DUE - timedelta(seconds=30))
    return Workflow.objects.get(pk=workflow.pk)


def test_one_claim_wins_a_due_time(workflow):
    results = race(lambda: firing_create(workflow=workflow, source=TriggerSource.SCHEDULE, trigger_index=0, due_at=DUE))

    assert len([r for r in results if r is not None]) == 1
    assert TriggerFiring.objects.count() == WorkflowExecution.objects.count() == 1


def test_racing_ticks_fire_each_due_time_once(workflow):
    race(lambda: schedule_tick(now=DUE + timedelta(minutes=4)))

    assert TriggerFiring.objects.count() == WorkflowExecution.objects.count() == 5
    assert TriggerFiring.objects.values("due_at").distinct().count() == 5
