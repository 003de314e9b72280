"""Every worker process (the embedded one of `make run` too) runs a scheduler: schedules fire without run_scheduler."""

import time
from datetime import timedelta

from django.utils import timezone

from executions.models import TriggerFiring, WorkflowExecution
from executions.statuses import ExecutionStatus
from tests.support.workers import running_worker, wait_until
from workflows.models import Workflow


def test_a_worker_fires_due_schedules_and_runs_them(transactional_db, settings, make_workflow):
    settings.TRIGGERS = {**settings.TRIGGERS, "SCHEDULER_IN_WORKERS": True, "SCHEDULER_TICK_MS": 50}
    workflow = make_workflow([], triggers=[{"type": "SCHEDULE", "config": {"interval": 1}}])
    Workflow.objects.filter(pk=workflow.pk).update(updated_at=timezone.now() - timedelta(milliseconds=500))

    with running_worker("stub"):
        wait_until(
            lambda: WorkflowExecution.objects.filter(workflow=workflow, status=ExecutionStatus.COMPLETED).exists(),
            what="a scheduled run completing",
        )

    assert TriggerFiring.objects.filter(workflow=workflow, source="SCHEDULE").exists()


def test_workers_run_no_scheduler_when_it_is_turned_off(transactional_db, settings, make_workflow):
    settings.TRIGGERS = {**settings.TRIGGERS, "SCHEDULER_IN_WORKERS": False, "SCHEDULER_TICK_MS": 50}
    workflow = make_workflow([], triggers=[{"type": "SCHEDULE", "config": {"interval": 1}}])
    Workflow.objects.filter(pk=workflow.pk).update(updated_at=timezone.now() - timedelta(seconds=5))

    with running_worker("stub"):
        time.sleep(0.5)  # ten ticks' worth, had there been a scheduler

    assert not TriggerFiring.objects.exists()
