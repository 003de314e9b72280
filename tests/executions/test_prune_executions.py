"""manage.py prune_executions: retention in batches, never touching active executions."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from executions.management.commands.prune_executions import parse_age
from executions.models import StepExecution, WorkflowExecution
from workflows import services


@pytest.fixture
def runs(db):
    """Executions of every status, 40 days old, plus recent ones; each with a step record."""
    workflow = services.workflow_create(data={"name": "W", "category": "t", "status": "ACTIVE", "steps": []})
    old = timezone.now() - timedelta(days=40)
    recent = timezone.now() - timedelta(days=2)
    made = {}
    for status in ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT", "RUNNING", "PENDING", "WAITING", "PAUSED"]:
        for age, when in (("old", old), ("recent", recent)):
            ended = when if status in ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT") else None
            run = WorkflowExecution.objects.create(
                workflow=workflow, status=status, started_at=when, completed_at=ended
            )
            parent = StepExecution.objects.create(execution=run, key="loop", step_id="loop", step_type="FOR_EACH")
            StepExecution.objects.create(
                execution=run, parent=parent, key="loop[0]/call", step_id="call", step_type="HTTP_REQUEST"
            )
            made[(status, age)] = run.pk
    return made


def prune(*args):
    out = io.StringIO()
    call_command("prune_executions", *args, stdout=out)
    return out.getvalue()


def test_deletes_old_ended_executions_and_their_steps_only(runs):
    output = prune("--older-than", "30d", "--batch-size", "3")

    left = set(WorkflowExecution.objects.values_list("pk", flat=True))
    for (status, age), pk in runs.items():
        gone = age == "old" and status in ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT")
        assert (pk not in left) == gone, (status, age)
    assert StepExecution.objects.count() == 2 * len(left)
    assert "Deleted 3/4 execution(s)…" in output
    assert "Deleted 4/4 execution(s)…" in output
    assert output.strip().splitlines()[-1].startswith("Deleted 4 execution(s) that ended before")


def test_a_dry_run_counts_and_deletes_nothing(runs):
    output = prune("--older-than", "30d", "--dry-run")

    assert output.startswith("Would delete 4 execution(s)")
    assert WorkflowExecution.objects.count() == len(runs)


def test_a_shorter_retention_takes_the_recent_ones_too(runs):
    prune("--older-than", "1d")

    assert set(WorkflowExecution.objects.values_list("status", flat=True)) == {
        "RUNNING",
        "PENDING",
        "WAITING",
        "PAUSED",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_ages(text, expected):
    assert parse_age(text) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["--older-than", "30"],
        ["--older-than", "soon"],
        ["--older-than", "1d", "--batch-size", "0"],
        ["--older-than", "99999999999w"],  # beyond any date: a clear error, not an OverflowError traceback
        ["--older-than", "1000000w"],  # a date before year 1
    ],
)
def test_bad_arguments_fail_clearly(runs, args):
    with pytest.raises(CommandError):
        prune(*args)

    assert WorkflowExecution.objects.count() == len(runs)
