"""How the steps of a definition relate: the main sequence, nested ids and cycles."""

import pytest

from workflows.definition.graph import child_ids, find_cycle, main_sequence, nested_ids


def step(step_id, kind="WAIT", order=None, **config):
    data = {"id": step_id, "type": kind, "config": config or {"duration": 1}}
    if order is not None:
        data["order"] = order
    return data


def parallel(step_id, children, order=None):
    return step(step_id, "PARALLEL", order, steps=children)


def for_each(step_id, children, order=None):
    return step(step_id, "FOR_EACH", order, items="items", steps=children)


def conditional(step_id, true=None, false=None, order=None):
    config = {"conditions": [{"field": "x", "operator": "eq", "value": 1}]}
    if true:
        config["trueStepId"] = true
    if false:
        config["falseStepId"] = false
    return step(step_id, "CONDITIONAL", order, **config)


# ---------------------------------------------------------------- main_sequence


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([], []),
        ([step("a", order=1), step("b", order=2), step("c", order=3)], ["a", "b", "c"]),
        ([step("c", order=3), step("a", order=1), step("b", order=2)], ["a", "b", "c"]),
        # Ties keep definition order, whatever the ids.
        ([step("z", order=1), step("m", order=1), step("a", order=1)], ["z", "m", "a"]),
        ([step("b", order=2), step("z", order=1), step("a", order=1)], ["z", "a", "b"]),
        # Without `order`, a step takes its 1-based position.
        ([step("a"), step("b"), step("c")], ["a", "b", "c"]),
        ([step("a"), step("b"), step("c", order=1)], ["a", "c", "b"]),
        ([step("a", order=5), step("b"), step("c")], ["b", "c", "a"]),
        ([step("a", order=0), step("b")], ["a", "b"]),
        # An order tie with a position: the earlier definition wins.
        ([step("a", order=2), step("b")], ["a", "b"]),
        ([step("a"), step("b", order=1)], ["a", "b"]),
    ],
)
def test_main_sequence_order(steps, expected):
    assert main_sequence(steps) == expected


def test_main_sequence_leaves_out_children_branches_and_handlers():
    steps = [
        step("first", order=1),
        parallel("fan", ["p1", "p2"], order=2),
        step("p1", order=2),
        step("p2", order=2),
        for_each("loop", ["body"], order=3),
        step("body", order=3),
        conditional("check", true="yes", false="no", order=4),
        step("yes", order=5),
        step("no", order=5),
        step("notify_support", order=6),
        step("last", order=7),
    ]
    handlers = [{"stepId": "first", "handlerStepId": "notify_support"}]
    assert main_sequence(steps, handlers) == ["first", "fan", "loop", "check", "last"]
    # Without the handler list, the handler step is an ordinary main-sequence step.
    assert "notify_support" in main_sequence(steps)


def test_spec_example_1_main_sequence():
    steps = [
        step("step_1", order=1),
        step("step_2", order=2),
        parallel("step_3", ["step_3a", "step_3b", "step_3c"], order=3),
        step("step_3a", order=3),
        step("step_3b", order=3),
        step("step_3c", order=3),
        step("step_4", order=4),
    ]
    assert main_sequence(steps) == ["step_1", "step_2", "step_3", "step_4"]


def test_conditional_with_one_branch_only_excludes_that_branch():
    steps = [conditional("check", true="yes", order=1), step("yes", order=2), step("after", order=3)]
    assert main_sequence(steps) == ["check", "after"]


def test_main_sequence_accepts_none_for_error_handlers():
    assert main_sequence([step("a")], None) == ["a"]


# ---------------------------------------------------------------- child_ids / nested_ids


@pytest.mark.parametrize(
    ("definition", "children"),
    [
        (parallel("p", ["a", "b"]), ["a", "b"]),
        (for_each("f", ["a"]), ["a"]),
        (conditional("c", true="t", false="f"), ["t", "f"]),
        (conditional("c", false="f"), ["f"]),
        (step("w"), []),
        ({"id": "p", "type": "PARALLEL", "config": {"steps": ["a", 5, None]}}, ["a"]),
        ({"id": "p", "type": "PARALLEL"}, []),
    ],
)
def test_child_ids(definition, children):
    assert child_ids(definition) == children


def test_nested_ids_collects_children_and_handler_targets():
    steps = [parallel("p", ["a"]), conditional("c", true="t")]
    assert nested_ids(steps, [{"stepId": "a", "handlerStepId": "h"}, {"stepId": "a"}]) == {"a", "t", "h"}


# ---------------------------------------------------------------- find_cycle


def test_no_cycle():
    steps = [parallel("p", ["a", "b"]), step("a"), for_each("b", ["c"]), step("c")]
    assert find_cycle(steps) is None


def test_a_shared_child_is_not_a_cycle():
    steps = [parallel("p", ["x"]), parallel("q", ["x"]), step("x")]
    assert find_cycle(steps) is None


def test_self_cycle():
    assert find_cycle([parallel("p", ["p"])]) == ["p", "p"]


def test_two_step_cycle():
    cycle = find_cycle([parallel("a", ["b"]), for_each("b", ["a"])])
    assert cycle in (["a", "b", "a"], ["b", "a", "b"])


def test_longer_cycle_through_a_branch():
    steps = [parallel("a", ["b"]), conditional("b", true="c"), for_each("c", ["a"]), step("d")]
    cycle = find_cycle(steps)
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"a", "b", "c"}


def test_cycle_through_an_error_handler():
    # b's handler is a, and a runs b: a → b → a.
    steps = [parallel("a", ["b"]), step("b")]
    cycle = find_cycle(steps, [{"stepId": "b", "handlerStepId": "a"}])
    assert cycle is not None
    assert set(cycle) == {"a", "b"}


def test_unknown_references_do_not_break_the_search():
    assert find_cycle([parallel("a", ["ghost"])]) is None
    assert find_cycle([step("a")], [{"stepId": "ghost", "handlerStepId": "a"}]) is None


def test_deep_chain_does_not_recurse():
    steps = [parallel(f"s{i}", [f"s{i + 1}"]) for i in range(3000)] + [step("s3000")]
    assert find_cycle(steps) is None
    steps[-1] = parallel("s3000", ["s0"])
    assert len(find_cycle(steps)) == 3002
