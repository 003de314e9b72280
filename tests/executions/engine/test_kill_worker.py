"""kill -9 every worker mid-step: the run still completes, the call is repeated with one key."""

import pytest

from executions import services
from tests.conftest import require_service
from tests.support.processes import WorkerGroup, worker_processes
from tests.support.workers import wait_for_execution, wait_until

pytestmark = pytest.mark.slow

# Quick recovery for the test: a lease of twice the call's 1.5 s timeout, swept every 0.3 s.
FAST_RECOVERY = {"LEASE_MARGIN_MS": "0", "RECOVERY_INTERVAL_MS": "300", "RECOVERY_STALE_MS": "1000"}


@pytest.mark.parametrize("kind", ["redis", "rabbitmq"])
def test_killed_worker_mid_step(transactional_db, server, make_workflow, kind):
    require_service(kind)
    server.route("POST", "/submit", json={"ok": True}, delay=1.0)
    server.route("POST", "/after", json={"ok": True})
    workflow = make_workflow(
        [
            {
                "id": "submit",
                "type": "HTTP_REQUEST",
                "order": 1,
                "config": {"method": "POST", "url": server.url("/submit"), "timeout": 1500, "body": {"lead": 7}},
            },
            {
                "id": "after",
                "type": "HTTP_REQUEST",
                "order": 2,
                "config": {"method": "POST", "url": server.url("/after")},
            },
        ]
    )

    with worker_processes(processes=1, threads=2, kind=kind, env=FAST_RECOVERY) as workers:
        execution = services.execution_start(workflow=workflow)
        wait_until(lambda: server.received("POST", "/submit"), timeout=30, what="the call")
        # Given the worker dies while the downstream service is answering,
        workers.kill()
        # when a new worker comes up,
        replacement = WorkerGroup(kind, 1, 2, FAST_RECOVERY).start()
        try:
            execution = wait_for_execution(execution.pk, timeout=60)
        finally:
            replacement.stop()

    # then the run completes, each step has one record, and the repeated call carried the same key.
    assert execution.status == "COMPLETED", execution.error
    submits = server.received("POST", "/submit")
    assert len(submits) == 2
    assert len({r["headers"]["Idempotency-Key"] for r in submits}) == 1
    assert len(server.received("POST", "/after")) == 1
    records = list(execution.steps_executed.values_list("key", "status", "attempt"))
    assert sorted(records) == [("after", "COMPLETED", 1), ("submit", "COMPLETED", 2)]
    logs = execution.steps_executed.get(key="submit").logs
    assert logs[0]["error"]["type"] == "WORKER_LOST"
