"""PARALLEL: start children up to maxConcurrency, honour dependsOn, join, and fail on a failed child."""

import json

import pytest

from executions.engine.errors import HTTP_ERROR, STEP_ERROR, TIMEOUT, StepError
from executions.engine.outcomes import ChildResult, ChildSpec, Completed, Fork
from executions.engine.steps.parallel import Parallel
from tests.support.invocations import invocation

HANDLER = Parallel()


def child(step_id, depends_on=None):
    data = {"id": step_id, "type": "WAIT", "config": {"duration": 1}}
    if depends_on:
        data["dependsOn"] = depends_on
    return data


def fork(config, children=None):
    ids = config["steps"]
    definitions = children or [child(step_id) for step_id in ids]
    outcome = HANDLER.execute(invocation(config, type_name="PARALLEL", step_id="fan", steps=definitions))
    assert isinstance(outcome, Fork)
    return outcome


def started(specs):
    return [spec.step_id for spec in specs]


def ok(step_id, output=None):
    return ChildResult(step_id, None, True, output)


def failed(step_id, error):
    return ChildResult(step_id, None, False, None, error)


def test_all_children_start_at_once_by_default():
    outcome = fork({"steps": ["a", "b", "c"]})
    assert outcome.start == [ChildSpec("a"), ChildSpec("b"), ChildSpec("c")]
    assert outcome.detach is False
    assert outcome.output == {"started": ["a", "b", "c"]}
    assert outcome.state["running"] == ["a", "b", "c"]
    assert outcome.state["pending"] == []


def test_wait_for_all_true_joins():
    assert fork({"steps": ["a"], "waitForAll": True}).detach is False


def test_wait_for_all_false_detaches():
    outcome = fork({"steps": ["a", "b"], "waitForAll": False})
    assert outcome.detach is True
    assert started(outcome.start) == ["a", "b"]


def test_max_concurrency_holds_and_refills_in_order():
    config = {"steps": ["a", "b", "c", "d", "e"], "maxConcurrency": 2}
    outcome = fork(config)
    state = outcome.state
    assert started(outcome.start) == ["a", "b"]

    # When b finishes first, c takes its slot
    join = HANDLER.on_child_finished(config, state, ok("b"))
    assert started(join.start) == ["c"]
    assert join.done is False
    assert sorted(state["running"]) == ["a", "c"]

    join = HANDLER.on_child_finished(config, state, ok("a"))
    assert started(join.start) == ["d"]
    join = HANDLER.on_child_finished(config, state, ok("c"))
    assert started(join.start) == ["e"]
    join = HANDLER.on_child_finished(config, state, ok("d"))
    assert join.start == []
    assert join.done is False
    join = HANDLER.on_child_finished(config, state, ok("e"))
    assert join.start == []
    assert join.done is True
    assert join.error is None
    assert state["done"] == ["b", "a", "c", "d", "e"]


def test_running_never_exceeds_max_concurrency():
    config = {"steps": [f"s{i}" for i in range(20)], "maxConcurrency": 3}
    outcome = fork(config)
    state = outcome.state
    queue = started(outcome.start)
    finished = []
    while queue:
        assert len(state["running"]) <= 3
        step_id = queue.pop(0)
        join = HANDLER.on_child_finished(config, state, ok(step_id))
        finished.append(step_id)
        queue += started(join.start)
    assert finished == config["steps"]
    assert join.done is True


def test_depends_on_orders_children():
    # c needs a and b; b needs a.
    children = [child("a"), child("b", ["a"]), child("c", ["a", "b"]), child("d")]
    config = {"steps": ["a", "b", "c", "d"]}
    outcome = fork(config, children)
    state = outcome.state
    assert started(outcome.start) == ["a", "d"]

    join = HANDLER.on_child_finished(config, state, ok("d"))
    assert join.start == []
    assert join.done is False
    join = HANDLER.on_child_finished(config, state, ok("a"))
    assert started(join.start) == ["b"]
    join = HANDLER.on_child_finished(config, state, ok("b"))
    assert started(join.start) == ["c"]
    join = HANDLER.on_child_finished(config, state, ok("c"))
    assert join.done is True
    assert join.error is None


def test_depends_on_with_max_concurrency_skips_blocked_children():
    children = [child("a"), child("b", ["a"]), child("c"), child("d")]
    config = {"steps": ["a", "b", "c", "d"], "maxConcurrency": 2}
    outcome = fork(config, children)
    # b is blocked, so the second slot goes to c.
    assert started(outcome.start) == ["a", "c"]
    join = HANDLER.on_child_finished(config, outcome.state, ok("a"))
    assert started(join.start) == ["b"]


def test_a_failed_child_fails_the_join_with_its_error_type():
    config = {"steps": ["a", "b", "c"], "maxConcurrency": 2}
    outcome = fork(config)
    error = StepError(HTTP_ERROR, "POST /x answered 503: busy", status=503)
    join = HANDLER.on_child_finished(config, outcome.state, failed("a", error))
    assert join.done is True
    assert join.start == []
    assert join.error.error_type == HTTP_ERROR
    assert join.error.status == 503
    assert "'a'" in join.error.message
    assert "answered 503" in join.error.message
    assert outcome.state["failed"] == ["a"]
    # c was never started.
    assert outcome.state["pending"] == ["c"]


def test_a_failed_child_without_an_error_is_a_step_error():
    outcome = fork({"steps": ["a"]})
    join = HANDLER.on_child_finished({"steps": ["a"]}, outcome.state, ChildResult("a", None, False))
    assert join.done is True
    assert join.error.error_type == STEP_ERROR


def test_children_that_can_never_start_fail_the_step():
    # b depends on a step outside the PARALLEL (the validator forbids it; the handler must not hang).
    children = [child("a"), child("b", ["elsewhere"])]
    config = {"steps": ["a", "b"]}
    outcome = fork(config, children)
    assert started(outcome.start) == ["a"]
    join = HANDLER.on_child_finished(config, outcome.state, ok("a"))
    assert join.done is True
    assert join.error.error_type == STEP_ERROR
    assert "b" in join.error.message


def test_collect_output_maps_child_ids_to_outputs():
    config = {"steps": ["a", "b"]}
    children = [ok("b", {"status": 201}), ok("a", {"status": 200})]
    completed = HANDLER.collect_output(config, {}, children)
    assert isinstance(completed, Completed)
    assert completed.output == {"a": {"status": 200}, "b": {"status": 201}}
    assert completed.variables is None


def test_output_variable_lists_results_in_steps_order_preferring_extracted_values():
    config = {"steps": ["quote_a", "quote_b", "quote_c"], "outputVariable": "quotes"}
    children = [
        ok("quote_c", {"status": 200, "body": {}, "extracted": {"premium": 3}}),
        ok("quote_a", {"status": 200, "body": {}, "extracted": {"premium": 1}}),
        ok("quote_b", {"plain": True}),
    ]
    completed = HANDLER.collect_output(config, {}, children)
    assert completed.variables == {"quotes": [{"premium": 1}, {"plain": True}, {"premium": 3}]}


@pytest.mark.parametrize("error_type", [TIMEOUT, HTTP_ERROR])
def test_join_state_survives_a_json_round_trip(error_type):
    # The runner stores state as JSON between messages: it must hold only JSON types.
    children = [child("a"), child("b", ["a"])]
    outcome = fork({"steps": ["a", "b"], "maxConcurrency": 1}, children)
    state = json.loads(json.dumps(outcome.state))
    join = HANDLER.on_child_finished({"steps": ["a", "b"], "maxConcurrency": 1}, state, ok("a"))
    assert started(join.start) == ["b"]
    state = json.loads(json.dumps(join.state))
    join = HANDLER.on_child_finished(
        {"steps": ["a", "b"], "maxConcurrency": 1}, state, failed("b", StepError(error_type, "x"))
    )
    assert join.error.error_type == error_type
