"""Retries across real worker processes: delays kept, attempts counted once, one Idempotency-Key."""

from itertools import pairwise

import pytest

from tests.conftest import steps_of

pytestmark = pytest.mark.slow

POLICY = {"maxAttempts": 3, "strategy": "EXPONENTIAL", "initialDelay": 100, "maxDelay": 1000, "backoffMultiplier": 2}


def submit(server):
    return [
        {
            "id": "submit",
            "type": "HTTP_REQUEST",
            "retryPolicy": POLICY,
            "config": {"method": "POST", "url": server.url("/submit"), "body": {"lead": 1}},
        }
    ]


def test_503_503_200_across_processes(worker_processes, server, run_workflow):
    server.route("POST", "/submit", sequence=[(503, {}), (503, {}), (200, {"ok": True})])

    execution = run_workflow(submit(server), wait=30)

    assert execution.status == "COMPLETED"
    received = server.received("POST", "/submit")
    assert len(received) == 3
    assert len({r["headers"]["Idempotency-Key"] for r in received}) == 1
    gaps = [later["at"] - earlier["at"] for earlier, later in pairwise(received)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2
    assert steps_of(execution)["submit"].attempt == 3


@pytest.mark.parametrize(("status", "requests"), [(400, 1), (503, 3)])
def test_no_retry_on_400_and_exactly_max_attempts_on_503(worker_processes, server, run_workflow, status, requests):
    server.route("POST", "/submit", status=status, json={})

    execution = run_workflow(submit(server), wait=30)

    assert execution.status == "FAILED"
    assert len(server.received("POST", "/submit")) == requests
