"""WAIT holds no worker thread: it is a delayed message, and the step resumes when due."""

import time
from datetime import timedelta

from django.utils import timezone

from executions import services
from tests.support.workers import running_worker, wait_for_execution, wait_until


def test_one_hour_wait_leaves_the_only_thread_free(broker_kind, server, make_workflow):
    server.route("GET", "/ping", json={"pong": True})
    waiting = make_workflow(
        [
            {"id": "pause", "type": "WAIT", "config": {"duration": 1, "unit": "h"}},
            {"id": "after", "type": "HTTP_REQUEST", "config": {"url": server.url("/after")}},
        ],
        name="waits",
    )
    quick = make_workflow(
        [{"id": "ping", "type": "HTTP_REQUEST", "config": {"url": server.url("/ping")}}], name="quick"
    )

    with running_worker(broker_kind, threads=1):
        long_run = services.execution_start(workflow=waiting)
        wait_until(lambda: long_run.steps_executed.filter(key="pause", status="WAITING").exists(), what="the WAIT")
        other = wait_for_execution(services.execution_start(workflow=quick).pk, timeout=10)

    assert other.status == "COMPLETED"
    pause = long_run.steps_executed.get(key="pause")
    assert pause.status == "WAITING"
    assert pause.scheduled_at > timezone.now() + timedelta(minutes=59)
    long_run.refresh_from_db()
    assert long_run.status == "RUNNING"
    assert server.received(path="/after") == []


def test_short_wait_resumes_when_due(worker, server, run_workflow):
    server.route("GET", "/after", json={})
    started = time.monotonic()

    execution = run_workflow(
        [
            {"id": "pause", "type": "WAIT", "config": {"duration": 0.3, "unit": "s"}},
            {"id": "after", "type": "HTTP_REQUEST", "config": {"url": server.url("/after")}},
        ]
    )

    assert execution.status == "COMPLETED"
    assert time.monotonic() - started >= 0.3
    pause = execution.steps_executed.get(key="pause")
    assert pause.duration >= 300
    assert len(server.received(path="/after")) == 1


def test_wait_until_a_past_time_completes_at_once(worker, run_workflow):
    execution = run_workflow([{"id": "pause", "type": "WAIT", "config": {"until": "2020-01-01T00:00:00Z"}}])

    assert execution.status == "COMPLETED"
