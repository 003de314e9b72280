"""SIGTERM lets the step in flight finish and hands the next one to another worker."""

import os
import signal

import pytest

from executions import services
from tests.conftest import require_service
from tests.support.processes import WorkerGroup, worker_processes
from tests.support.workers import wait_for_execution, wait_until

pytestmark = pytest.mark.slow


def test_sigterm_finishes_the_step_and_hands_over_the_next(transactional_db, server, make_workflow):
    require_service("redis")
    server.route("POST", "/slow", json={"ok": True}, delay=1.0)
    server.route("POST", "/next", json={"ok": True})
    workflow = make_workflow(
        [
            {
                "id": "slow",
                "type": "HTTP_REQUEST",
                "order": 1,
                "config": {"method": "POST", "url": server.url("/slow")},
            },
            {
                "id": "next",
                "type": "HTTP_REQUEST",
                "order": 2,
                "config": {"method": "POST", "url": server.url("/next")},
            },
        ]
    )

    with worker_processes(processes=1, threads=1) as workers:
        execution = services.execution_start(workflow=workflow)
        wait_until(lambda: server.received("POST", "/slow"), timeout=30, what="the call")
        # Given a deploy stops the worker while its step waits for the downstream answer (TERM to
        # the main process, which passes it on; a second TERM would kill the children at once),
        os.kill(workers.process.pid, signal.SIGTERM)
        workers.process.wait(timeout=30)
        slow = execution.steps_executed.get(key="slow")
        assert slow.status == "COMPLETED"  # it finished before the worker exited
        # then a new worker takes the step that follows.
        replacement = WorkerGroup("redis", 1, 1, None).start()
        try:
            execution = wait_for_execution(execution.pk, timeout=30)
        finally:
            replacement.stop()

    assert execution.status == "COMPLETED"
    assert len(server.received("POST", "/slow")) == 1
    assert len(server.received("POST", "/next")) == 1
    assert execution.steps_executed.get(key="slow").attempt == 1
