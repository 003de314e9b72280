"""manage.py run_workflow: start a run, follow it with --wait, exit by its outcome."""

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from executions.models import TriggerFiring, WorkflowExecution
from tests.support import processes
from workflows import services


def make(server, path="/ok", status="ACTIVE", name="Ping"):
    steps = [
        {
            "id": "ping",
            "type": "HTTP_REQUEST",
            "config": {"method": "POST", "url": server.url(path), "body": "{{input}}"},
        }
    ]
    return services.workflow_create(data={"name": name, "category": "test", "status": status, "steps": steps})


def run(*args):
    out = io.StringIO()
    call_command("run_workflow", *args, stdout=out)
    return out.getvalue()


def test_wait_prints_progress_and_output_and_succeeds(worker, server):
    server.route("POST", "/ok", json={"accepted": True})
    make(server)

    output = run("Ping", "--input", '{"leadId": "lead_1"}', "--wait")

    assert "Started execution" in output and "(version 1)" in output
    assert "  ping COMPLETED (" in output
    assert '"accepted": true' in output
    assert "COMPLETED in" in output
    assert server.received("POST", "/ok")[0]["body"] == {"leadId": "lead_1"}
    assert WorkflowExecution.objects.get().metadata == {"source": "run_workflow"}


def test_a_failed_run_exits_non_zero_with_its_error(worker, server):
    server.route("POST", "/broken", status=500, json={"error": "down"})
    workflow = make(server, "/broken")

    with pytest.raises(CommandError) as error:
        run(str(workflow.pk), "--wait")

    assert error.value.returncode == 1
    assert "FAILED" in str(error.value) and "500" in str(error.value)


def test_without_wait_it_queues_and_returns(worker, server):
    server.route("POST", "/ok", json={})
    make(server)

    output = run("Ping")

    assert "Started execution" in output
    assert WorkflowExecution.objects.count() == 1


def test_a_command_run_is_recorded_as_a_manual_firing(worker, server):
    # Every start is recorded as a firing (README, Triggers), the command's too.
    server.route("POST", "/ok", json={})
    workflow = make(server)

    run("Ping", "--wait")

    firing = TriggerFiring.objects.get(workflow=workflow)
    assert firing.source == "MANUAL"
    assert firing.execution == WorkflowExecution.objects.get()


def test_a_workflow_whose_manual_triggers_are_disabled_is_refused(db, server):
    workflow = make(server)
    services.workflow_update(
        workflow=workflow, data={"triggers": [{"type": "MANUAL", "config": {}, "isEnabled": False}]}, partial=True
    )

    with pytest.raises(CommandError, match="disabled") as error:
        run("Ping")

    assert error.value.returncode == 2
    assert not WorkflowExecution.objects.exists()


def test_a_run_still_going_at_the_timeout_exits_3(worker, server):
    server.route("POST", "/slow", json={}, delay=2.0)
    make(server, "/slow")

    with pytest.raises(CommandError) as error:
        run("Ping", "--wait", "--timeout", "0.3")

    assert error.value.returncode == 3
    assert "still" in str(error.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Nope"], "No workflow with id or name 'Nope'"),
        (["Ping", "--input", "{nope"], "--input is not JSON"),
        (["Ping", "--input", "[1]"], "must be a JSON object"),
        # Python's json reads these, no database stores them: refused as the API refuses them.
        (["Ping", "--input", '{"n": NaN}'], "--input is not JSON"),
        (["Ping", "--input", '{"n": "a\\u0000b"}'], "--input is not JSON"),
        (["Draft"], "not ACTIVE"),
    ],
)
def test_bad_usage_exits_2_and_starts_nothing(db, server, args, message):
    make(server)
    make(server, status="DRAFT", name="Draft")

    with pytest.raises(CommandError, match=message) as error:
        run(*args)

    assert error.value.returncode == 2
    assert not WorkflowExecution.objects.exists()


def test_a_draft_runs_with_test_run(worker, server):
    server.route("POST", "/ok", json={})
    make(server, status="DRAFT", name="Draft")

    run("Draft", "--test-run", "--wait")

    assert WorkflowExecution.objects.get().metadata == {"source": "run_workflow", "testRun": True}


@pytest.mark.slow
def test_with_the_in_process_broker_the_command_runs_the_workflow_itself(transactional_db, server):
    """No broker URL: the command's own embedded worker runs it, as `make run`'s set-up does."""
    server.route("POST", "/ok", json={"accepted": True})
    server.route("POST", "/broken", status=500, json={})
    make(server)
    make(server, "/broken", name="Broken")
    env = {
        **os.environ,
        "DATABASE_URL": processes.test_database_url(),
        "DRAMATIQ_BROKER_URL": "",
        "EMBEDDED_WORKER": "1",
        "ALLOW_DEV_SECRET_KEY": "1",
        "OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "orchestration_site.settings",
    }

    def command(*args):
        return subprocess.run(
            [sys.executable, "manage.py", "run_workflow", *args],
            cwd=processes.PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    completed = command("Ping", "--input", json.dumps({"n": 1}))
    failed = command("Broken")

    assert completed.returncode == 0, completed.stderr
    assert "this command's worker runs it" in completed.stdout
    assert '"accepted": true' in completed.stdout
    assert server.received("POST", "/ok")[0]["body"] == {"n": 1}
    assert failed.returncode == 1
    assert "FAILED" in failed.stderr
