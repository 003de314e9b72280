"""FOR_EACH: items, body steps per item, concurrency and batches, continueOnError, ordered results."""

import json
import random

import pytest

from executions.engine.errors import HTTP_ERROR, STEP_ERROR, VARIABLE_ERROR, StepError
from executions.engine.outcomes import ChildResult, Completed, Fork
from executions.engine.steps.for_each import DEFAULT_CONCURRENCY, ForEach
from tests.support.invocations import invocation

HANDLER = ForEach()


def run(config, **context):
    return HANDLER.execute(invocation(config, type_name="FOR_EACH", step_id="loop", **context))


def fork(config, items):
    outcome = run(config, input={"items": items})
    assert isinstance(outcome, Fork)
    return outcome


def indexes(specs):
    return [spec.item_index for spec in specs]


def drive(config, items, *, fail=(), seed=0):
    """Run the join to the end, finishing in-flight children in a shuffled order.

    `fail` holds (item index, step id) pairs whose child fails. Return the last Join, the
    state, the finished ChildResults, and the largest number of items seen in flight.
    """
    rng = random.Random(seed)
    outcome = fork(config, items)
    state = json.loads(json.dumps(outcome.state))  # the runner keeps state as JSON
    in_flight = list(outcome.start)
    finished, peak, join = [], len(in_flight), None
    while in_flight:
        peak = max(peak, len({spec.item_index for spec in in_flight}))
        spec = in_flight.pop(rng.randrange(len(in_flight)))
        item = spec.item if spec.item is not None else items[spec.item_index]
        if (spec.item_index, spec.step_id) in fail:
            result = ChildResult(spec.step_id, spec.item_index, False, None, StepError(HTTP_ERROR, "boom", status=500))
        else:
            result = ChildResult(spec.step_id, spec.item_index, True, {"step": spec.step_id, "item": item}, item=item)
        finished.append(result)
        join = HANDLER.on_child_finished(config, state, result)
        for new in join.start:
            assert new.item_index is not None
            assert new.needs_item or new.item == item
        in_flight += join.start
        if join.done:
            break
    return join, state, finished, peak


# ---------------------------------------------------------------- execute


def test_starts_up_to_the_default_concurrency():
    outcome = fork({"items": "items", "steps": ["body"]}, list(range(25)))
    assert indexes(outcome.start) == list(range(DEFAULT_CONCURRENCY))
    assert all(spec.step_id == "body" and spec.needs_item for spec in outcome.start)
    assert outcome.items == list(range(25))
    assert outcome.detach is False


def test_max_concurrency_limits_the_first_wave():
    outcome = fork({"items": "items", "steps": ["body"], "maxConcurrency": 3}, list("abcdef"))
    assert indexes(outcome.start) == [0, 1, 2]


def test_batch_size_limits_the_first_wave():
    outcome = fork({"items": "items", "steps": ["body"], "batchSize": 2, "maxConcurrency": 5}, list("abcdef"))
    assert indexes(outcome.start) == [0, 1]


@pytest.mark.parametrize("path", ["lead.items", "{{lead.items}}", "$.lead.items", "steps.fetch.output.data"])
def test_items_path_spellings(path):
    outcome = run(
        {"items": path, "steps": ["body"]},
        input={"lead": {"items": [1, 2]}},
        results=[("fetch", {"data": [1, 2]}, None)],
    )
    assert outcome.items == [1, 2]


def test_empty_items_complete_at_once():
    outcome = run({"items": "items", "steps": ["body"], "outputVariable": "results"}, input={"items": []})
    assert isinstance(outcome, Completed)
    assert outcome.output == []
    assert outcome.variables == {"results": []}


def test_missing_items_names_the_path():
    with pytest.raises(StepError) as caught:
        run({"items": "{{lead.items}}", "steps": ["body"]})
    assert caught.value.error_type == VARIABLE_ERROR
    assert caught.value.details == {"variable": "lead.items"}


@pytest.mark.parametrize("value", [{"a": 1}, "text", 5, None])
def test_items_that_are_not_an_array_fail(value):
    with pytest.raises(StepError) as caught:
        run({"items": "items", "steps": ["body"]}, input={"items": value})
    assert caught.value.error_type == STEP_ERROR


# ---------------------------------------------------------------- join bookkeeping


def test_concurrency_refills_one_for_one():
    config = {"items": "items", "steps": ["body"], "maxConcurrency": 2}
    outcome = fork(config, list("abcde"))
    state = outcome.state
    join = HANDLER.on_child_finished(config, state, ChildResult("body", 1, True, "B"))
    assert indexes(join.start) == [2]
    assert join.done is False
    join = HANDLER.on_child_finished(config, state, ChildResult("body", 0, True, "A"))
    assert indexes(join.start) == [3]
    assert state["inFlight"] == 2
    assert state["completed"] == 2


@pytest.mark.parametrize(
    ("config", "size", "peak"),
    [
        ({"maxConcurrency": 10}, 1000, 10),
        ({"maxConcurrency": 1}, 20, 1),
        ({"maxConcurrency": 4}, 3, 3),
        ({}, 50, DEFAULT_CONCURRENCY),
        ({"maxConcurrency": 10, "batchSize": 3}, 20, 3),
        ({"maxConcurrency": 2, "batchSize": 5}, 23, 2),
    ],
)
def test_never_more_in_flight_than_allowed_and_every_item_runs_once(config, size, peak):
    config = {"items": "items", "steps": ["body"], **config}
    items = [{"n": n} for n in range(size)]
    join, state, finished, observed = drive(config, items, seed=size)
    assert join.done is True
    assert join.error is None
    assert observed == peak
    assert sorted(result.item_index for result in finished) == list(range(size))
    assert state["inFlight"] == 0
    assert state["completed"] == size


def test_a_batch_finishes_before_the_next_starts():
    config = {"items": "items", "steps": ["body"], "batchSize": 3, "maxConcurrency": 10}
    outcome = fork(config, list(range(7)))
    state = outcome.state
    assert indexes(outcome.start) == [0, 1, 2]
    assert HANDLER.on_child_finished(config, state, ChildResult("body", 2, True)).start == []
    assert HANDLER.on_child_finished(config, state, ChildResult("body", 0, True)).start == []
    assert indexes(HANDLER.on_child_finished(config, state, ChildResult("body", 1, True)).start) == [3, 4, 5]
    for index in (5, 3):
        assert HANDLER.on_child_finished(config, state, ChildResult("body", index, True)).start == []
    assert indexes(HANDLER.on_child_finished(config, state, ChildResult("body", 4, True)).start) == [6]
    join = HANDLER.on_child_finished(config, state, ChildResult("body", 6, True))
    assert join.done is True


def test_body_steps_of_one_item_run_in_order():
    config = {"items": "items", "steps": ["fetch", "transform", "send"], "maxConcurrency": 1}
    outcome = fork(config, ["x", "y"])
    state = outcome.state
    assert [(s.step_id, s.item_index) for s in outcome.start] == [("fetch", 0)]
    join = HANDLER.on_child_finished(config, state, ChildResult("fetch", 0, True, 1, item="x"))
    assert [(s.step_id, s.item_index, s.item) for s in join.start] == [("transform", 0, "x")]
    assert join.done is False
    assert state["inFlight"] == 1
    join = HANDLER.on_child_finished(config, state, ChildResult("transform", 0, True, 2, item="x"))
    assert [(s.step_id, s.item_index) for s in join.start] == [("send", 0)]
    # Only the last body step finishes the item and frees its slot.
    join = HANDLER.on_child_finished(config, state, ChildResult("send", 0, True, 3, item="x"))
    assert [(s.step_id, s.item_index) for s in join.start] == [("fetch", 1)]
    assert state["completed"] == 1


def test_results_are_in_input_order_whatever_the_finish_order():
    config = {"items": "items", "steps": ["first", "last"], "maxConcurrency": 4}
    items = [f"item{n}" for n in range(12)]
    join, state, finished, _ = drive(config, items, seed=7)
    assert join.done is True
    completed = HANDLER.collect_output(config, state, finished)
    assert isinstance(completed, Completed)
    # Each item's result is its last body step's output.
    assert completed.output == [{"step": "last", "item": item} for item in items]
    assert completed.logs == []


def test_a_failed_item_fails_the_step():
    config = {"items": "items", "steps": ["body"], "maxConcurrency": 2}
    outcome = fork(config, list("abcd"))
    error = StepError(HTTP_ERROR, "answered 500", status=500)
    join = HANDLER.on_child_finished(config, outcome.state, ChildResult("body", 1, False, None, error))
    assert join.done is True
    assert join.start == []
    assert join.error.error_type == HTTP_ERROR
    assert join.error.status == 500
    assert "Item 1" in join.error.message
    assert "'body'" in join.error.message


def test_a_failure_in_an_early_body_step_fails_the_item():
    config = {"items": "items", "steps": ["fetch", "send"]}
    outcome = fork(config, ["a"])
    join = HANDLER.on_child_finished(config, outcome.state, ChildResult("fetch", 0, False, None, None))
    assert join.done is True
    assert join.error.error_type == STEP_ERROR
    assert "'fetch'" in join.error.message


def test_continue_on_error_goes_on_and_leaves_null_results():
    config = {
        "items": "items",
        "steps": ["fetch", "send"],
        "maxConcurrency": 3,
        "continueOnError": True,
        "outputVariable": "sent",
    }
    items = list("abcdef")
    join, state, finished, _ = drive(config, items, fail={(1, "fetch"), (4, "send")}, seed=3)
    assert join.done is True
    assert join.error is None
    assert sorted(state["failed"]) == [1, 4]
    completed = HANDLER.collect_output(config, state, finished)
    expected = [None if n in (1, 4) else {"step": "send", "item": item} for n, item in enumerate(items)]
    assert completed.output == expected
    assert completed.variables == {"sent": expected}
    assert completed.logs == [{"message": "Item 1 failed."}, {"message": "Item 4 failed."}]
    # The item that failed at fetch never ran send.
    assert (1, "send") not in {(r.item_index, r.step_id) for r in finished}
