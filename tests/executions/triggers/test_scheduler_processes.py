"""Two real `run_scheduler` processes over five (fast) minutes of a one-minute cron: five runs."""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from executions.models import TriggerFiring, WorkflowExecution
from tests.support import processes
from workflows.models import Workflow

SPEED = 60  # one real second is one schedule minute


def scheduler(origin, until):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "orchestration_site.settings",
        "DATABASE_URL": processes.test_database_url(),
        # The in-process broker, as in CI: a URL from the shell would get the started runs' messages.
        "DRAMATIQ_BROKER_URL": "",
        "ALLOW_DEV_SECRET_KEY": "1",
        "EMBEDDED_WORKER": "0",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "manage.py", "run_scheduler", "--tick", "0.05", "--speed", str(SPEED)]
    command += ["--origin", str(origin), "--until", until.isoformat()]
    return subprocess.Popen(
        command, cwd=processes.PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def test_two_schedulers_fire_each_minute_exactly_once(transactional_db, make_workflow):
    # Given a one-minute cron whose counting starts where the schedulers' fast clock starts
    workflow = make_workflow(
        [], triggers=[{"type": "SCHEDULE", "config": {"cron": "* * * * *", "missedRuns": "catchUp"}}]
    )
    origin = time.time() + 3  # after both processes have booted
    start = datetime.fromtimestamp(origin, tz=UTC)
    Workflow.objects.filter(pk=workflow.pk).update(updated_at=start)

    # When two schedulers run at once over five schedule minutes
    schedulers = [scheduler(origin, start + timedelta(minutes=5)) for _ in range(2)]
    outputs = [process.communicate(timeout=120)[0].decode() for process in schedulers]

    # Then each of the five minutes started exactly one execution
    assert [process.returncode for process in schedulers] == [0, 0], outputs
    firings = TriggerFiring.objects.filter(workflow=workflow).order_by("due_at")
    expected = [start.replace(second=0, microsecond=0) + timedelta(minutes=n) for n in range(1, 6)]
    assert [firing.due_at for firing in firings] == expected, outputs
    assert WorkflowExecution.objects.filter(workflow=workflow).count() == 5
    assert {firing.execution_id for firing in firings} == set(
        WorkflowExecution.objects.filter(workflow=workflow).values_list("pk", flat=True)
    )
