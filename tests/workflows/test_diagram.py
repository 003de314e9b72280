"""The editor's diagram: main sequence, CONDITIONAL branches, PARALLEL lanes, FOR_EACH bodies, handlers."""

from workflows.diagram import diagram_of


def ids(nodes):
    return [node.step_id for node in nodes]


def test_the_main_sequence_follows_order_and_leaves_nested_steps_inside():
    steps = [
        {"id": "last", "type": "WAIT", "order": 3, "config": {"duration": 1}},
        {"id": "first", "type": "HTTP_REQUEST", "order": 1, "config": {"url": "https://x.test/a"}},
        {"id": "group", "type": "PARALLEL", "order": 2, "config": {"steps": ["a", "b"]}},
        {"id": "a", "type": "WAIT", "config": {"duration": 1}},
        {"id": "b", "type": "WAIT", "config": {"duration": 1}},
    ]

    diagram = diagram_of({"steps": steps})

    assert ids(diagram.nodes) == ["first", "group", "last"]
    group = diagram.nodes[1]
    assert group.layout == "branches"
    assert [ids(branch.nodes) for branch in group.branches] == [["a"], ["b"]]
    assert diagram.nodes[0].summary == "GET https://x.test/a"
    assert diagram.unreached == []


def test_a_conditional_draws_its_true_and_false_branches():
    steps = [
        {
            "id": "check",
            "type": "CONDITIONAL",
            "config": {
                "conditions": [{"field": "score", "operator": "gt", "value": 10}],
                "trueStepId": "yes",
                "falseStepId": "no",
            },
        },
        {"id": "yes", "type": "WAIT", "config": {"duration": 1}},
        {"id": "no", "type": "WAIT", "config": {"duration": 1}},
    ]

    (check,) = diagram_of({"steps": steps}).nodes

    assert [(branch.label, ids(branch.nodes)) for branch in check.branches] == [("true", ["yes"]), ("false", ["no"])]
    assert check.summary == "score gt 10"


def test_a_for_each_body_is_one_lane_in_order():
    steps = [
        {"id": "loop", "type": "FOR_EACH", "config": {"items": "leads", "steps": ["enrich", "save"]}},
        {"id": "enrich", "type": "WAIT", "config": {"duration": 1}},
        {"id": "save", "type": "WAIT", "config": {"duration": 1}},
    ]

    (loop,) = diagram_of({"steps": steps}).nodes

    assert [(branch.label, ids(branch.nodes)) for branch in loop.branches] == [("each item", ["enrich", "save"])]
    assert loop.summary == "for each item of leads"


def test_error_handlers_hang_on_their_step():
    steps = [
        {"id": "call", "type": "HTTP_REQUEST", "config": {"url": "https://x.test"}},
        {"id": "fallback", "type": "WAIT", "config": {"duration": 1}},
    ]
    handlers = [{"stepId": "call", "handlerStepId": "fallback", "errorTypes": ["TIMEOUT"], "shouldContinue": True}]

    diagram = diagram_of({"steps": steps, "errorHandlers": handlers})

    assert ids(diagram.nodes) == ["call"]
    (handler,) = diagram.nodes[0].handlers
    assert (handler.node.step_id, handler.error_types, handler.should_continue) == ("fallback", ["TIMEOUT"], True)


def test_an_invalid_definition_is_drawn_without_failing():
    # Unknown ids, a step reached twice, steps without config: what an editor may hold mid-edit.
    steps = [
        {"id": "p", "type": "PARALLEL", "config": {"steps": ["x", "x", "ghost"]}},
        {"id": "x", "type": "WAIT"},
        {"id": "orphan", "type": "CONDITIONAL", "config": {"trueStepId": "p"}},
        "not a step",
    ]

    diagram = diagram_of({"steps": steps, "errorHandlers": [{"stepId": "p"}]})

    assert ids(diagram.nodes) == ["orphan"]  # p is orphan's branch target, so it is drawn inside it
    true_branch, false_branch = diagram.nodes[0].branches
    (group,) = true_branch.nodes
    assert false_branch.nodes == []
    lanes = group.branches
    assert [lane.nodes[0].repeated for lane in lanes] == [False, True, False]
    assert lanes[2].nodes[0].missing
    assert diagram.unreached == []


def test_an_empty_definition_has_no_nodes():
    assert diagram_of({}).nodes == []


def test_whatever_json_the_editor_holds_is_drawn_without_failing():
    garbage = [
        {"steps": "not a list", "errorHandlers": {"a": 1}},
        {"steps": [{"id": ["x"]}, {"id": "a", "type": "PARALLEL", "config": ["y"]}, {"id": "b", "order": "2"}]},
        {"steps": [{"id": "a", "type": "FOR_EACH", "config": {"steps": "a"}}], "errorHandlers": [{"stepId": 3}]},
    ]

    drawn = [ids(diagram_of(definition).nodes + diagram_of(definition).unreached) for definition in garbage]

    assert drawn == [[], ["a", "b"], ["a"]]
