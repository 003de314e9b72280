"""FOR_EACH through a real worker: multi-step bodies, item scope, continueOnError, nesting."""

from tests.conftest import steps_of


def test_body_steps_see_their_item_and_earlier_outputs(worker, server, run_workflow):
    server.route("POST", "/enrich", json={"score": 5})
    server.route("POST", "/save", json={"saved": True})
    steps = [
        {
            "id": "loop",
            "type": "FOR_EACH",
            "config": {"items": "leads", "steps": ["enrich", "save"], "maxConcurrency": 2, "outputVariable": "saved"},
        },
        {
            "id": "enrich",
            "type": "HTTP_REQUEST",
            "config": {"method": "POST", "url": server.url("/enrich"), "body": {"id": "{{item.id}}"}},
        },
        {
            "id": "save",
            "type": "HTTP_REQUEST",
            "config": {
                "method": "POST",
                "url": server.url("/save"),
                "body": {"id": "{{item.id}}", "position": "{{index}}", "score": "{{enrich.output.body.score}}"},
            },
        },
    ]

    execution = run_workflow(steps, input={"leads": [{"id": "x"}, {"id": "y"}, {"id": "z"}]})

    assert execution.status == "COMPLETED", execution.error
    saved = sorted(
        (r["body"]["position"], r["body"]["id"], r["body"]["score"]) for r in server.received("POST", "/save")
    )
    assert saved == [(0, "x", 5), (1, "y", 5), (2, "z", 5)]
    loop = steps_of(execution)["loop"]
    assert [result["body"] for result in loop.output] == [{"saved": True}] * 3
    assert execution.output["variables"]["saved"] == loop.output


def test_continue_on_error_keeps_going(worker, server, run_workflow):
    server.route("POST", "/ok", json={"ok": True})
    steps = [
        {
            "id": "loop",
            "type": "FOR_EACH",
            "config": {"items": "paths", "steps": ["call"], "continueOnError": True, "maxConcurrency": 1},
        },
        {"id": "call", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/{{item}}")}},
    ]

    execution = run_workflow(steps, input={"paths": ["ok", "missing", "ok"]})

    assert execution.status == "COMPLETED"
    loop = steps_of(execution)["loop"]
    assert [result and result["status"] for result in loop.output] == [200, None, 200]
    assert steps_of(execution)["loop[1]/call"].status == "FAILED"


def test_failed_item_fails_the_loop_without_continue_on_error(worker, server, run_workflow):
    steps = [
        {"id": "loop", "type": "FOR_EACH", "config": {"items": "paths", "steps": ["call"], "maxConcurrency": 1}},
        {"id": "call", "type": "HTTP_REQUEST", "config": {"url": server.url("/{{item}}")}},
    ]

    execution = run_workflow(steps, input={"paths": ["missing", "also-missing"]})

    assert execution.status == "FAILED"
    assert "Item 0" in execution.error
    assert len(server.requests) == 1


def test_parallel_inside_for_each_and_batches(worker, server, run_workflow):
    server.route("POST", "/a", json={"a": True})
    server.route("POST", "/b", json={"b": True})
    steps = [
        {
            "id": "loop",
            "type": "FOR_EACH",
            "config": {"items": "ids", "steps": ["both"], "batchSize": 2, "maxConcurrency": 5},
        },
        {"id": "both", "type": "PARALLEL", "config": {"steps": ["a", "b"]}},
        {"id": "a", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/a"), "body": "{{item}}"}},
        {"id": "b", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url("/b"), "body": "{{index}}"}},
    ]

    execution = run_workflow(steps, input={"ids": [10, 20, 30]})

    assert execution.status == "COMPLETED", execution.error
    assert sorted(r["body"] for r in server.received("POST", "/a")) == [10, 20, 30]
    assert sorted(r["body"] for r in server.received("POST", "/b")) == [0, 1, 2]
    loop = steps_of(execution)["loop"]
    assert [sorted(result) for result in loop.output] == [["a", "b"]] * 3


def test_empty_list_completes_with_empty_output(worker, run_workflow):
    steps = [
        {"id": "loop", "type": "FOR_EACH", "config": {"items": "ids", "steps": ["w"]}},
        {"id": "w", "type": "WAIT", "config": {"duration": 1}},
    ]

    execution = run_workflow(steps, input={"ids": []})

    assert execution.status == "COMPLETED"
    assert steps_of(execution)["loop"].output == []


def test_too_many_items_is_a_clear_error(worker, run_workflow, settings):
    settings.ORCHESTRATION = {**settings.ORCHESTRATION, "MAX_FOR_EACH_ITEMS": 3}
    steps = [
        {"id": "loop", "type": "FOR_EACH", "config": {"items": "ids", "steps": ["w"]}},
        {"id": "w", "type": "WAIT", "config": {"duration": 1}},
    ]

    execution = run_workflow(steps, input={"ids": [1, 2, 3, 4]})

    assert execution.status == "FAILED"
    assert execution.error_type == "LIMIT_EXCEEDED"
    assert "MAX_FOR_EACH_ITEMS" in execution.error


def test_a_rendered_config_too_large_is_refused(worker, server, run_workflow, settings):
    settings.ORCHESTRATION = {**settings.ORCHESTRATION, "MAX_RENDERED_BYTES": 1000}
    steps = [
        {
            "id": "send",
            "type": "HTTP_REQUEST",
            "config": {"method": "POST", "url": server.url("/x"), "body": ["{{big}}", "{{big}}", "{{big}}"]},
        }
    ]

    execution = run_workflow(steps, input={"big": "x" * 400})

    assert execution.status == "FAILED"
    assert execution.error_type == "LIMIT_EXCEEDED"
    assert server.requests == []
