"""Limits, each a setting: request and response bodies, steps per workflow, nesting depth."""

import pytest
from django.conf import settings
from django.test import override_settings

from tests.conftest import steps_of
from workflows.services import config_set


def limits(**values):
    return override_settings(ORCHESTRATION={**settings.ORCHESTRATION, **values})


def test_a_request_body_over_the_limit_fails_before_sending(worker, server, run_workflow):
    server.route("POST", "/in", json={})

    with limits(MAX_REQUEST_BODY_BYTES=100):
        execution = run_workflow(
            [
                {
                    "id": "post",
                    "type": "HTTP_REQUEST",
                    "config": {"url": server.url("/in"), "method": "POST", "body": {"x": "y" * 200}},
                }
            ]
        )

    assert execution.status == "FAILED"
    assert execution.error_type == "LIMIT_EXCEEDED"
    assert "MAX_REQUEST_BODY_BYTES" in steps_of(execution)["post"].error
    assert server.requests == []


def test_a_response_over_the_limit_is_stored_cut_and_marked(worker, server, run_workflow):
    server.route("GET", "/big", text="z" * 5000)

    with limits(MAX_RESPONSE_BYTES=1000):
        execution = run_workflow([{"id": "get", "type": "HTTP_REQUEST", "config": {"url": server.url("/big")}}])

    assert execution.status == "COMPLETED", execution.error
    output = steps_of(execution)["get"].output
    assert output["body"] == "z" * 1000
    assert output["truncated"] == {"keptBytes": 1000, "totalBytes": 5000}


def test_a_secret_cut_by_the_response_limit_is_masked_whole(worker, server, run_workflow):
    config_set(key="token", value="T0KEN-abcdef-123", is_secret=True)
    server.route("GET", "/big", text="z" * 995 + "T0KEN-abcdef-123" + "z" * 100)

    with limits(MAX_RESPONSE_BYTES=1000):
        execution = run_workflow(
            [
                {
                    "id": "get",
                    "type": "HTTP_REQUEST",
                    "config": {"url": server.url("/big"), "headers": {"X": "{{config.token}}"}},
                }
            ]
        )

    body = steps_of(execution)["get"].output["body"]
    assert body.startswith("z" * 995) and "T0KEN" not in body and "T0K" not in body[-5:]


def test_a_json_response_within_the_limit_is_parsed_without_a_marker(worker, server, run_workflow):
    server.route("GET", "/small", json={"ok": True})

    execution = run_workflow([{"id": "get", "type": "HTTP_REQUEST", "config": {"url": server.url("/small")}}])

    assert "truncated" not in steps_of(execution)["get"].output


@pytest.mark.parametrize(
    "body",
    [{"text": "{{big}}" * 5000}, {"copies": ["{{big}}"] * 5000}],
    ids=["inside one text", "whole values in a list"],
)
def test_one_large_value_substituted_in_many_places_stops_while_rendering(worker, server, run_workflow, body):
    # 5,000 copies of 200 kB would be a 1 GB config (3 GB of memory at its peak): rendering stops
    # once the copies pass the limit. Here the limit is 10 kB and the value 2 kB.
    server.route("POST", "/in", json={})

    with limits(MAX_RENDERED_BYTES=10_000):
        execution = run_workflow(
            [
                {
                    "id": "post",
                    "type": "HTTP_REQUEST",
                    "config": {"url": server.url("/in"), "method": "POST", "body": body},
                }
            ],
            input={"big": "x" * 2000},
        )

    assert execution.status == "FAILED"
    assert execution.error_type == "LIMIT_EXCEEDED"
    assert "substituted values pass 10000 bytes" in steps_of(execution)["post"].error
    assert server.requests == []


def copy(step_id, path):
    return {"id": step_id, "type": "DATA_TRANSFORM", "config": {"inputVariable": path, "transformations": []}}


def test_a_step_output_over_the_limit_fails_the_step_and_is_not_stored(worker, run_workflow):
    with limits(MAX_OUTPUT_BYTES=10_000):
        execution = run_workflow([copy("copy", "input.blob")], input={"blob": "b" * 20_000})

    assert execution.status == "FAILED"
    assert execution.error_type == "LIMIT_EXCEEDED"
    record = steps_of(execution)["copy"]
    assert (record.status, record.output) == ("FAILED", None)
    assert "The output of 'copy' is 20002 bytes of JSON; at most 10000 (MAX_OUTPUT_BYTES)" in record.error


def test_a_loop_whose_items_outputs_add_up_past_the_limit_fails_without_loading_them(worker, run_workflow):
    # Each item's output (4 kB) is within the limit; the 20 of them (80 kB) are not.
    loop = {"id": "loop", "type": "FOR_EACH", "config": {"items": "input.items", "steps": ["copy"]}}
    with limits(MAX_OUTPUT_BYTES=50_000):
        execution = run_workflow(
            [loop, copy("copy", "input.blob")], input={"items": list(range(20)), "blob": "b" * 4000}
        )

    assert execution.status == "FAILED"
    assert execution.error_type == "LIMIT_EXCEEDED"
    records = steps_of(execution)
    assert records["loop"].status == "FAILED"
    assert "The outputs of 'loop''s steps come to" in records["loop"].error
    assert "MAX_OUTPUT_BYTES" in records["loop"].error
    assert execution.steps_executed.filter(step_id="copy", status="COMPLETED").count() == 20


@pytest.mark.parametrize("last", ["copy", "loop"], ids=["a step ends it", "a container ends it"])
def test_a_run_whose_results_add_up_past_the_limit_keeps_them_in_the_step_records(worker, run_workflow, last):
    # Each result (about 4 kB) is within MAX_OUTPUT_BYTES; the run's output would hold all of them.
    steps = [copy("first", "input.blob"), copy("second", "input.blob")]
    if last == "loop":
        steps += [
            {"id": "loop", "type": "FOR_EACH", "config": {"items": "input.items", "steps": ["pick"]}},
            copy("pick", "item"),
        ]
    with limits(MAX_RUN_OUTPUT_BYTES=5_000):
        execution = run_workflow(steps, input={"blob": "b" * 4000, "items": [1]})

    assert execution.status == "COMPLETED", execution.error
    assert (execution.output["steps"], execution.output["variables"]) == ({}, {})
    assert execution.output["omitted"]["limitBytes"] == 5_000
    assert execution.output["omitted"]["totalBytes"] > 8_000
    assert steps_of(execution)["second"].output == "b" * 4000


def nested_loops():
    return [
        {"id": "outer", "type": "FOR_EACH", "config": {"items": "input.carriers", "steps": ["inner"]}},
        {"id": "inner", "type": "FOR_EACH", "config": {"items": "input.leads", "steps": ["pick"]}},
        {
            "id": "pick",
            "type": "DATA_TRANSFORM",
            "config": {"inputVariable": "item", "transformations": []},
        },
    ]


@pytest.mark.parametrize(("limit", "status"), [(25, "COMPLETED"), (24, "FAILED")])
def test_loops_inside_loops_are_limited_by_the_product_of_their_items(worker, run_workflow, limit, status):
    with limits(MAX_NESTED_ITEMS=limit):
        execution = run_workflow(nested_loops(), input={"carriers": [1, 2, 3, 4, 5], "leads": [1, 2, 3, 4, 5]})

    assert execution.status == status, execution.error
    picks = execution.steps_executed.filter(step_id="pick").count()
    if status == "COMPLETED":
        assert picks == 25
    else:
        assert execution.error_type == "LIMIT_EXCEEDED"
        assert "this FOR_EACH makes 25 items; at most 24 (MAX_NESTED_ITEMS)" in execution.error
        assert picks == 0


def workflow(steps):
    return {"name": "x", "category": "c", "steps": steps}


def wait(step_id):
    return {"id": step_id, "type": "WAIT", "config": {"duration": 1}}


@limits(MAX_WORKFLOW_STEPS=3)
def test_more_steps_than_allowed_is_a_400_naming_steps(api):
    response = api.post("/api/v1/workflows", workflow([wait(f"s{i}") for i in range(4)]), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "steps", "message": "4 steps; a workflow has at most 3 (MAX_WORKFLOW_STEPS)."}
    ]


@limits(MAX_WORKFLOW_STEPS=3)
def test_an_orchestration_request_with_too_many_steps_is_a_400(api):
    body = {"steps": [wait(f"s{i}") for i in range(4)], "context": {}}

    response = api.post("/api/orchestration/execute", body, format="json")

    assert response.status_code == 400
    assert "MAX_WORKFLOW_STEPS" in response.json()["errors"][0]["message"]


@limits(MAX_NESTING_DEPTH=2)
def test_containers_nested_deeper_than_allowed_are_a_400_naming_the_step(api):
    steps = [
        {"id": "outer", "type": "PARALLEL", "config": {"steps": ["loop"]}},
        {"id": "loop", "type": "FOR_EACH", "config": {"items": "items", "steps": ["call"]}},
        {"id": "call", "type": "HTTP_REQUEST", "config": {"url": "https://api.test/x"}},
    ]

    response = api.post("/api/v1/workflows", workflow(steps), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "path": "steps[2]",
            "message": "Nested 3 levels deep (outer → loop → call); at most 2 (MAX_NESTING_DEPTH).",
        }
    ]


@limits(MAX_NESTING_DEPTH=2)
@pytest.mark.parametrize(
    "steps",
    [
        [{"id": "loop", "type": "FOR_EACH", "config": {"items": "items", "steps": ["call"]}}],
        [
            {
                "id": "cond",
                "type": "CONDITIONAL",
                "config": {"conditions": [{"field": "a", "operator": "eq"}], "trueStepId": "call"},
            },
        ],
    ],
)
def test_nesting_within_the_limit_is_accepted(api, steps):
    steps = [*steps, {"id": "call", "type": "HTTP_REQUEST", "config": {"url": "https://api.test/x"}}]

    response = api.post("/api/v1/workflows", workflow(steps), format="json")

    assert response.status_code == 201, response.json()


def test_the_default_nesting_depth_allows_ten_levels(api):
    steps = [{"id": f"p{i}", "type": "PARALLEL", "config": {"steps": [f"p{i + 1}"]}} for i in range(9)] + [wait("p9")]

    assert api.post("/api/v1/workflows", workflow(steps), format="json").status_code == 201
    steps[-1] = {"id": "p9", "type": "PARALLEL", "config": {"steps": ["p10"]}}
    response = api.post("/api/v1/workflows", workflow([*steps, wait("p10")]), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "steps[10]"
