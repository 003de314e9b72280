"""A workflow timeout ends the run TIMED_OUT; nothing new starts after it."""

import time

from tests.conftest import steps_of


def test_timeout_stops_a_waiting_run(worker, server, run_workflow):
    server.route("GET", "/after", json={})
    started = time.monotonic()

    execution = run_workflow(
        [
            {"id": "pause", "type": "WAIT", "config": {"duration": 30, "unit": "s"}},
            {"id": "after", "type": "HTTP_REQUEST", "config": {"url": server.url("/after")}},
        ],
        wait=10,
        timeout=300,
    )

    assert execution.status == "TIMED_OUT"
    assert execution.error_type == "WORKFLOW_TIMEOUT"
    assert time.monotonic() - started < 5
    assert server.received(path="/after") == []
    assert steps_of(execution)["pause"].status == "CANCELLED"


def test_timeout_caps_a_slow_http_call(worker, server, run_workflow):
    server.route("GET", "/slow", json={}, delay=3)
    started = time.monotonic()

    execution = run_workflow(
        [{"id": "slow", "type": "HTTP_REQUEST", "config": {"url": server.url("/slow")}}], wait=10, timeout=500
    )

    assert execution.status == "TIMED_OUT"
    assert execution.error_type == "WORKFLOW_TIMEOUT"
    assert time.monotonic() - started < 2.5
