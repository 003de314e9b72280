"""Step retries through real workers (threads, and rundramatiq processes): delayed messages, one
record, one Idempotency-Key, attempts counted once."""

from itertools import pairwise

import pytest

from tests.conftest import steps_of


@pytest.fixture(params=["threads", pytest.param("processes", marks=pytest.mark.slow)])
def any_worker(request, transactional_db):
    """The in-process worker, then two `rundramatiq` processes on Redis sharing the database."""
    return request.getfixturevalue("worker" if request.param == "threads" else "worker_processes")


POLICY = {"maxAttempts": 3, "strategy": "EXPONENTIAL", "initialDelay": 100, "maxDelay": 1000, "backoffMultiplier": 2}


def call(server, policy=POLICY):
    return [
        {
            "id": "submit",
            "type": "HTTP_REQUEST",
            "retryPolicy": policy,
            "config": {"method": "POST", "url": server.url("/submit"), "body": {"lead": 1}},
        }
    ]


def test_503_503_200_completes_on_attempt_3(any_worker, server, run_workflow):
    server.route("POST", "/submit", sequence=[(503, {}), (503, {}), (200, {"ok": True})])

    execution = run_workflow(call(server))

    assert execution.status == "COMPLETED"
    received = server.received("POST", "/submit")
    assert len(received) == 3
    assert len({r["headers"]["Idempotency-Key"] for r in received}) == 1
    gaps = [later["at"] - earlier["at"] for earlier, later in pairwise(received)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2
    record = steps_of(execution)["submit"]
    assert record.attempt == 3
    assert [(entry["attempt"], entry["retryInMs"]) for entry in record.logs] == [(1, 100), (2, 200)]


def test_400_is_not_retried(any_worker, server, run_workflow):
    server.route("POST", "/submit", status=400, json={"error": "bad"})

    execution = run_workflow(call(server))

    assert execution.status == "FAILED"
    assert len(server.received("POST", "/submit")) == 1


def test_always_503_makes_exactly_max_attempts(any_worker, server, run_workflow):
    server.route("POST", "/submit", status=503, json={})

    execution = run_workflow(call(server))

    assert execution.status == "FAILED"
    assert len(server.received("POST", "/submit")) == 3
    assert steps_of(execution)["submit"].attempt == 3
