"""CONDITIONAL through a real worker: the branch runs, the run goes on after the CONDITIONAL."""

from tests.conftest import steps_of


def routing(server, conditions, **targets):
    return [
        {"id": "check", "type": "CONDITIONAL", "order": 1, "config": {"conditions": conditions, **targets}},
        {"id": "yes", "type": "HTTP_REQUEST", "order": 2, "config": {"url": server.url("/yes")}},
        {"id": "no", "type": "HTTP_REQUEST", "order": 2, "config": {"url": server.url("/no")}},
        {"id": "finally", "type": "HTTP_REQUEST", "order": 3, "config": {"url": server.url("/finally")}},
    ]


def test_branch_then_next_main_step(worker, server, run_workflow):
    for path in ("/yes", "/no", "/finally"):
        server.route("GET", path, json={"path": path})
    steps = routing(server, [{"field": "score", "operator": "gt", "value": 10}], trueStepId="yes", falseStepId="no")

    execution = run_workflow(steps, input={"score": 11})

    assert execution.status == "COMPLETED"
    assert [r["path"] for r in server.requests] == ["/yes", "/finally"]
    records = steps_of(execution)
    assert records["check"].output == {"result": True, "nextStepId": "yes"}
    assert records["check/no"].status == "SKIPPED"


def test_or_conditions_and_missing_branch(worker, server, run_workflow):
    server.route("GET", "/yes", json={})
    server.route("GET", "/finally", json={})
    conditions = [
        {"field": "tier", "operator": "eq", "value": "gold"},
        {"field": "score", "operator": "gte", "value": 90, "logic": "OR"},
    ]
    steps = routing(server, conditions, falseStepId="no")

    execution = run_workflow(steps, input={"tier": "silver", "score": 95})

    # True, and no trueStepId: nothing extra runs; "yes" is not a branch target, so it is
    # an ordinary main-sequence step.
    assert execution.status == "COMPLETED"
    assert [r["path"] for r in server.requests] == ["/yes", "/finally"]
    assert steps_of(execution)["check/no"].status == "SKIPPED"


def test_bad_comparison_is_a_condition_error(worker, server, run_workflow):
    steps = routing(server, [{"field": "score", "operator": "gt", "value": 10}], trueStepId="yes")

    execution = run_workflow(steps, input={"score": {"not": "a number"}})

    assert execution.status == "FAILED"
    assert execution.error_type == "CONDITION_ERROR"
