"""The scheduler's tick fires each due time of each enabled schedule once, honouring its workflow."""

from datetime import UTC, datetime, timedelta

import pytest

from executions.models import TriggerFiring, WorkflowExecution
from executions.triggers.schedule import schedule_tick
from workflows.models import Workflow

START = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)


@pytest.fixture
def scheduled(make_workflow):
    """Return a factory of ACTIVE workflows with one schedule, counting from a fixed instant."""

    def make(config, *, enabled=True, **fields):
        workflow = make_workflow([], triggers=[{"type": "SCHEDULE", "config": config, "isEnabled": enabled}], **fields)
        Workflow.objects.filter(pk=workflow.pk).update(updated_at=START)
        workflow.refresh_from_db()
        return workflow

    return make


def minutes(n):
    return START + timedelta(minutes=n)


def test_each_due_time_fires_once_however_often_it_ticks(scheduled):
    workflow = scheduled({"cron": "* * * * *", "input": {"source": "timer"}})

    for second in range(0, 5 * 60 + 1, 7):
        schedule_tick(now=START + timedelta(seconds=second))

    firings = TriggerFiring.objects.order_by("due_at")
    assert [f.due_at for f in firings] == [minutes(n) - timedelta(seconds=30) for n in range(1, 6)]
    assert WorkflowExecution.objects.filter(workflow=workflow).count() == 5
    assert {e.input["source"] for e in WorkflowExecution.objects.all()} == {"timer"}
    assert all(f.source == "SCHEDULE" and f.trigger_index == 0 for f in firings)


def test_skip_drops_runs_missed_while_no_scheduler_ran(scheduled):
    scheduled({"cron": "* * * * *"})

    schedule_tick(now=minutes(10))

    assert list(TriggerFiring.objects.values_list("due_at", flat=True)) == [minutes(10) - timedelta(seconds=30)]


def test_catch_up_fires_every_missed_run(scheduled):
    scheduled({"cron": "* * * * *", "missedRuns": "catchUp"})

    schedule_tick(now=minutes(10))

    assert TriggerFiring.objects.count() == WorkflowExecution.objects.count() == 10


def test_interval_schedule(scheduled):
    scheduled({"interval": 120})

    for minute in range(0, 7):
        schedule_tick(now=minutes(minute))

    assert sorted(TriggerFiring.objects.values_list("due_at", flat=True)) == [minutes(2), minutes(4), minutes(6)]


@pytest.mark.parametrize(
    ("enabled", "status"),
    [(False, "ACTIVE"), (True, "INACTIVE"), (True, "DRAFT")],
    ids=["disabled", "inactive", "draft"],
)
def test_disabled_schedules_and_inactive_workflows_never_fire(scheduled, enabled, status):
    scheduled({"cron": "* * * * *"}, enabled=enabled, status=status)

    schedule_tick(now=minutes(1))

    assert not TriggerFiring.objects.exists()
    assert not WorkflowExecution.objects.exists()


def test_a_workflow_saved_later_counts_from_then(scheduled):
    workflow = scheduled({"cron": "* * * * *", "missedRuns": "catchUp"})
    schedule_tick(now=minutes(2))
    Workflow.objects.filter(pk=workflow.pk).update(updated_at=minutes(5))

    schedule_tick(now=minutes(7))

    assert TriggerFiring.objects.count() == 2 + 2  # 00:01, 00:02, then 00:06, 00:07 (not 00:03-00:05)


def test_each_schedule_of_a_workflow_fires_on_its_own(make_workflow):
    workflow = make_workflow(
        [],
        triggers=[
            {"type": "SCHEDULE", "config": {"interval": 60}},
            {"type": "MANUAL"},
            {"type": "SCHEDULE", "config": {"interval": 120}},
        ],
    )
    Workflow.objects.filter(pk=workflow.pk).update(updated_at=START)

    for minute in range(0, 5):
        schedule_tick(now=minutes(minute))

    by_trigger = {index: TriggerFiring.objects.filter(trigger_index=index).count() for index in (0, 2)}
    assert by_trigger == {0: 4, 2: 2}


def test_a_broken_schedule_does_not_stop_the_others(scheduled):
    broken = scheduled({"cron": "* * * * *"}, name="broken")
    # Stored before validation knew about cron expressions, say: never through the API.
    Workflow.objects.filter(pk=broken.pk).update(triggers=[{"type": "SCHEDULE", "config": {"cron": "nonsense"}}])
    healthy = scheduled({"cron": "* * * * *"}, name="healthy")

    schedule_tick(now=minutes(1))

    assert list(TriggerFiring.objects.values_list("workflow", flat=True)) == [healthy.pk]
