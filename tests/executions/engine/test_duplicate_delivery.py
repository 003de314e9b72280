"""A message delivered twice runs each step once: every step is claimed before it runs."""

import dramatiq

from executions import services
from tests.support.workers import running_worker, wait_for_execution


def test_each_message_delivered_twice_runs_each_step_once(transactional_db, server, make_workflow):
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
    broker = dramatiq.get_broker()
    broker.flush_all()

    # Given the start message queued twice before any worker runs,
    execution = services.execution_start(workflow=workflow)
    queue = broker.queues["orchestration"]
    message = dramatiq.Message.decode(queue.get_nowait())
    queue.task_done()
    broker.enqueue(message)
    broker.enqueue(message)

    # and every step message delivered twice as well.
    original_enqueue = broker.enqueue

    def enqueue_twice(message, *, delay=None):
        original_enqueue(message, delay=delay)
        return original_enqueue(message.copy(), delay=delay)

    broker.enqueue = enqueue_twice
    try:
        with running_worker("stub", threads=8, flush=False):
            execution = wait_for_execution(execution.pk)
            broker.join("orchestration", timeout=10_000)
    finally:
        broker.enqueue = original_enqueue

    assert execution.status == "COMPLETED"
    assert len(server.received("POST", "/one")) == 1
    assert len(server.received("POST", "/two")) == 2
    rows = list(execution.steps_executed.values_list("key", "attempt"))
    assert sorted(rows) == [("fan", 1), ("fan/two_a", 1), ("fan/two_b", 1), ("one", 1)]
