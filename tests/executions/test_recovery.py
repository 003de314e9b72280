"""The recovery sweep takes back work of dead workers and resends messages that were lost."""

from datetime import timedelta

import dramatiq
import pytest
from django.utils import timezone

from executions import services, tasks
from executions.engine import runner
from executions.engine.outcomes import Completed
from executions.models import StepExecution
from executions.recovery import recover
from tests.support.workers import running_worker, wait_for_execution


class Killed(BaseException):
    """Stands for kill -9: the worker stops in the middle of the step, recording nothing."""


@pytest.fixture
def one_call(server, make_workflow):
    server.route("POST", "/submit", json={"ok": True})
    return make_workflow(
        [{"id": "submit", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/submit")}}]
    )


@pytest.fixture
def quiet_broker(transactional_db):
    """The in-process broker with no worker: messages wait in its queue (emptied after)."""
    broker = dramatiq.get_broker()
    broker.flush_all()
    yield broker
    broker.flush_all()


def die_in_the_middle(monkeypatch):
    def killed(row):
        raise Killed

    monkeypatch.setattr(runner, "execute", killed)


def expire_leases():
    StepExecution.objects.filter(status="RUNNING").update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_message_lost_after_commit_is_sent_again(transactional_db, server, one_call, monkeypatch):
    # Given a process that died between the commit and sending the message,
    monkeypatch.setattr(tasks, "send", lambda *args, **kwargs: None)
    execution = services.execution_start(workflow=one_call)
    monkeypatch.undo()

    with running_worker("stub"):
        counts = recover(stale_ms=0)
        execution = wait_for_execution(execution.pk)

    assert counts["unsentExecutions"] == 1
    assert execution.status == "COMPLETED"
    assert len(server.received("POST", "/submit")) == 1


def test_step_of_a_dead_worker_runs_again(quiet_broker, server, one_call, monkeypatch):
    execution = services.execution_start(workflow=one_call)
    die_in_the_middle(monkeypatch)
    with pytest.raises(Killed):
        runner.start(execution.pk)
    monkeypatch.undo()
    quiet_broker.flush_all()
    row = StepExecution.objects.get(execution=execution)
    assert (row.status, row.attempt) == ("RUNNING", 1)

    # Nothing happens while the lease runs; after it, the sweep takes the step back.
    assert recover(stale_ms=60_000)["lostSteps"] == 0
    expire_leases()
    with running_worker("stub"):
        assert recover(stale_ms=60_000)["lostSteps"] == 1
        execution = wait_for_execution(execution.pk)

    assert execution.status == "COMPLETED"
    row.refresh_from_db()
    assert row.attempt == 2
    assert row.logs[0]["error"]["type"] == "WORKER_LOST"
    assert len(server.received("POST", "/submit")) == 1


def test_step_that_kills_its_worker_every_time_fails_after_its_attempts(quiet_broker, one_call, monkeypatch):
    execution = services.execution_start(workflow=one_call)
    die_in_the_middle(monkeypatch)
    with pytest.raises(Killed):
        runner.start(execution.pk)
    row = StepExecution.objects.get(execution=execution)
    for _ in range(5):
        expire_leases()
        recover(stale_ms=60_000)
        row.refresh_from_db()
        if row.status != "WAITING":
            break
        with pytest.raises(Killed):
            runner.run(row.pk)

    row.refresh_from_db()
    execution.refresh_from_db()
    assert (row.status, row.attempt, row.error_type) == ("FAILED", 3, "WORKER_LOST")
    assert execution.status == "FAILED"


def test_a_slow_worker_cannot_record_over_its_replacement(quiet_broker, one_call, monkeypatch):
    execution = services.execution_start(workflow=one_call)
    die_in_the_middle(monkeypatch)
    with pytest.raises(Killed):
        runner.start(execution.pk)
    slow = StepExecution.objects.select_related("execution").get(execution=execution)
    expire_leases()
    recover(stale_ms=60_000)

    # The first worker was only slow: its late result must not land on attempt 2.
    assert runner.record(slow, Completed({"late": True}), None) is None

    row = StepExecution.objects.get(pk=slow.pk)
    assert (row.status, row.attempt, row.output) == ("WAITING", 2, None)


def test_a_lost_worker_in_a_paused_run_waits_for_the_resume(quiet_broker, server, one_call, monkeypatch):
    execution = services.execution_start(workflow=one_call)
    die_in_the_middle(monkeypatch)
    with pytest.raises(Killed):
        runner.start(execution.pk)
    monkeypatch.undo()
    services.execution_pause(execution=execution)
    expire_leases()

    recover(stale_ms=60_000)

    row = StepExecution.objects.get(execution=execution)
    execution.refresh_from_db()
    assert (execution.status, row.status, row.attempt) == ("PAUSED", "WAITING", 2)
    with running_worker("stub"):
        services.execution_resume(execution=execution)
        execution = wait_for_execution(execution.pk)
    assert execution.status == "COMPLETED"
