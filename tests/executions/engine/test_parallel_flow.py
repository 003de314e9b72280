"""PARALLEL through a real worker: concurrency limit, dependsOn, waitForAll, failures."""

from tests.conftest import steps_of


def children(server, count, path="/work"):
    return [
        {
            "id": f"c{i}",
            "type": "HTTP_REQUEST",
            "config": {"method": "POST", "url": server.url(path), "body": {"child": i}},
        }
        for i in range(count)
    ]


def test_max_concurrency_holds(worker, server, run_workflow):
    server.route("POST", "/work", json={"ok": True}, delay=0.1)
    steps = [
        {"id": "fan", "type": "PARALLEL", "config": {"steps": [f"c{i}" for i in range(6)], "maxConcurrency": 2}},
        *children(server, 6),
    ]

    execution = run_workflow(steps)

    assert execution.status == "COMPLETED"
    assert len(server.received("POST", "/work")) == 6
    assert server.max_in_flight == 2
    assert set(steps_of(execution)["fan"].output) == {f"c{i}" for i in range(6)}


def test_depends_on_orders_children(worker, server, run_workflow):
    server.route("POST", "/work", json={"ok": True}, delay=0.05)
    steps = [{"id": "fan", "type": "PARALLEL", "config": {"steps": ["c0", "c1", "c2"]}}, *children(server, 3)]
    steps[1]["dependsOn"] = ["c2"]  # c0 waits for c2

    execution = run_workflow(steps)

    assert execution.status == "COMPLETED"
    order = [r["body"]["child"] for r in server.received("POST", "/work")]
    assert order.index(2) < order.index(0)


def test_wait_for_all_false_goes_on_and_ends_after_children(worker, server, run_workflow):
    server.route("POST", "/work", json={"ok": True}, delay=0.4)
    server.route("GET", "/next", json={})
    steps = [
        {"id": "fan", "type": "PARALLEL", "order": 1, "config": {"steps": ["c0", "c1"], "waitForAll": False}},
        *children(server, 2),
        {"id": "next", "type": "HTTP_REQUEST", "order": 2, "config": {"url": server.url("/next")}},
    ]

    execution = run_workflow(steps)

    assert execution.status == "COMPLETED"
    next_call = server.received("GET", "/next")[0]["at"]
    child_calls = [r["at"] for r in server.received("POST", "/work")]
    assert next_call < max(child_calls) + 0.4  # went on before the children answered
    records = steps_of(execution)
    assert records["fan/c0"].status == records["fan/c1"].status == "COMPLETED"
    assert execution.completed_at >= max(records["fan/c0"].completed_at, records["fan/c1"].completed_at)


def test_failed_child_fails_the_run(worker, server, run_workflow):
    server.route("POST", "/work", json={"ok": True})
    server.route("POST", "/broken", status=400, json={"error": "bad lead"})
    steps = [
        {"id": "fan", "type": "PARALLEL", "config": {"steps": ["c0", "bad"]}},
        *children(server, 1),
        {"id": "bad", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/broken")}},
    ]

    execution = run_workflow(steps)

    assert execution.status == "FAILED"
    assert "bad" in execution.error and "400" in execution.error
    assert steps_of(execution)["fan"].status == "FAILED"
    assert steps_of(execution)["fan/bad"].status == "FAILED"
