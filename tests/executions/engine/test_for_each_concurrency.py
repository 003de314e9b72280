"""FOR_EACH over many items keeps at most maxConcurrency requests in flight, results in order."""

from executions import services
from tests.support.workers import running_worker, wait_for_execution


def test_thousand_items_never_exceed_max_concurrency(broker_kind, server, make_workflow):
    server.route("POST", "/items", json={"ok": True}, delay=0.01)
    workflow = make_workflow(
        [
            {"id": "loop", "type": "FOR_EACH", "config": {"items": "numbers", "steps": ["call"], "maxConcurrency": 10}},
            {
                "id": "call",
                "type": "HTTP_REQUEST",
                "config": {"method": "POST", "url": server.url("/items"), "body": {"n": "{{item}}", "i": "{{index}}"}},
            },
        ]
    )

    # Given more worker threads than the limit, so only the engine can hold it.
    with running_worker(broker_kind, threads=16):
        execution = services.execution_start(workflow=workflow, input={"numbers": list(range(1000))})
        execution = wait_for_execution(execution.pk, timeout=120)

    assert execution.status == "COMPLETED", execution.error
    received = server.received("POST", "/items")
    assert len(received) == 1000
    assert sorted(r["body"]["n"] for r in received) == list(range(1000))
    assert 2 <= server.max_in_flight <= 10
    loop = execution.steps_executed.get(key="loop")
    assert [result["status"] for result in loop.output] == [200] * 1000
    assert execution.steps_executed.filter(step_id="call", status="COMPLETED").count() == 1000
    # Results come back in input order, whatever order the items finished in.
    rows = execution.steps_executed.filter(step_id="call").order_by("item_index")
    assert [row.input["body"]["n"] for row in rows] == list(range(1000))
