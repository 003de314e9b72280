"""A message delivered twice runs each step once: every step is claimed before it runs."""

import time

from executions import services
from executions.engine import runner
from tests.support.workers import bound_broker, wait_for_execution, wait_until, worker_on


def test_each_message_delivered_twice_runs_each_step_once(broker_kind, server, make_workflow):
    server.route("POST", "/one", json={"n": 1})
    server.route("POST", "/two", json={"n": 2})
    server.route("POST", "/three", json={"n": 3})
    workflow = make_workflow(
        [
            {"id": "one", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/one")}},
            {"id": "fan", "type": "PARALLEL", "config": {"steps": ["two_a", "two_b", "inner"]}},
            {"id": "two_a", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/two")}},
            {"id": "two_b", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/two")}},
            # A container that gets messages of its own (it is not the first child).
            {"id": "inner", "type": "PARALLEL", "config": {"steps": ["three_a", "three_b"]}},
            {"id": "three_a", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/three")}},
            {"id": "three_b", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/three")}},
        ]
    )

    with bound_broker(broker_kind) as broker:
        # Given a broker that delivers every message twice (the start message included),
        original_enqueue = broker.enqueue

        def enqueue_twice(message, *, delay=None):
            original_enqueue(message.copy(), delay=delay)
            return original_enqueue(message.copy(), delay=delay)

        broker.enqueue = enqueue_twice
        execution = services.execution_start(workflow=workflow)
        # when workers with many threads take them all,
        with worker_on(broker, threads=8):
            execution = wait_for_execution(execution.pk)
            time.sleep(0.3)  # let the duplicates arrive after the run ended
        broker.enqueue = original_enqueue

    # then every call was made once and every step recorded once, on its first attempt.
    assert execution.status == "COMPLETED"
    assert len(server.received("POST", "/one")) == 1
    assert len(server.received("POST", "/two")) == 2
    assert len(server.received("POST", "/three")) == 2
    rows = list(execution.steps_executed.values_list("key", "attempt"))
    assert sorted(rows) == [
        ("fan", 1),
        ("fan/inner", 1),
        ("fan/inner/three_a", 1),
        ("fan/inner/three_b", 1),
        ("fan/two_a", 1),
        ("fan/two_b", 1),
        ("one", 1),
    ]


def test_a_second_message_for_a_waiting_container_does_nothing(worker, server, run_workflow, make_workflow):
    server.route("POST", "/slow", json={"ok": True}, delay=0.5)
    workflow = make_workflow(
        [
            {"id": "fan", "type": "PARALLEL", "config": {"steps": ["slow"]}},
            {"id": "slow", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/slow")}},
        ]
    )
    execution = services.execution_start(workflow=workflow)
    wait_until(lambda: execution.steps_executed.filter(key="fan", status="WAITING").exists())

    # A redelivered message for the container while it waits for its child:
    runner.run(execution.steps_executed.get(key="fan").pk)

    execution = wait_for_execution(execution.pk)
    assert execution.status == "COMPLETED", execution.error
    assert len(server.received("POST", "/slow")) == 1
    assert execution.steps_executed.count() == 2
