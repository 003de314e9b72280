"""A message delivered twice runs each step once: every step is claimed before it runs."""

import time

from executions import services
from tests.support.workers import bound_broker, wait_for_execution, worker_on


def test_each_message_delivered_twice_runs_each_step_once(broker_kind, server, make_workflow):
    server.route("POST", "/one", json={"n": 1})
    server.route("POST", "/two", json={"n": 2})
    workflow = make_workflow(
        [
            {"id": "one", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/one")}},
            {"id": "fan", "type": "PARALLEL", "config": {"steps": ["two_a", "two_b"]}},
            {"id": "two_a", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/two")}},
            {"id": "two_b", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/two")}},
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
    rows = list(execution.steps_executed.values_list("key", "attempt"))
    assert sorted(rows) == [("fan", 1), ("fan/two_a", 1), ("fan/two_b", 1), ("one", 1)]
