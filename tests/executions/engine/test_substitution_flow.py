"""Variable substitution end to end: input, step outputs, extracted variables, config, types."""

import json

import pytest

from tests.conftest import steps_of
from workflows import services


def test_values_flow_from_step_to_step(worker, server, run_workflow, db):
    services.config_set(key="crm", value={"token": "t0k3n", "region": "eu"}, is_secret=True)
    services.config_set(key="crm.timeoutMs", value=5000)
    server.route("GET", "/leads/L1", json={"data": {"id": "L1", "tags": ["a", "b"], "score": 7}})
    server.route("POST", "/out", json={"ok": True})
    steps = [
        {
            "id": "fetch",
            "type": "HTTP_REQUEST",
            "config": {
                "url": server.url("/leads/{{leadId}}"),
                "queryParams": {"region": "{{config.crm.region}}", "n": "{{input.count}}"},
                "extractResponse": {"type": "JSON_PATH", "path": "$.data", "variableName": "lead"},
            },
        },
        {
            "id": "send",
            "type": "HTTP_REQUEST",
            "config": {
                "method": "POST",
                "url": server.url("/out"),
                "headers": {"Authorization": "Bearer {{config.crm.token}}", "X-Score": "{{lead.score}}"},
                "body": {
                    "lead": "{{lead}}",
                    "firstTag": "{{fetch.output.body.data.tags.0}}",
                    "viaSteps": "{{steps.fetch.output.status}}",
                    "text": "id={{lead.id}};tags={{lead.tags}}",
                    "timeout": "{{config.crm.timeoutMs}}",
                },
            },
        },
    ]

    execution = run_workflow(steps, input={"leadId": "L1", "count": 3})

    assert execution.status == "COMPLETED", execution.error
    fetch = server.received("GET", "/leads/L1")[0]
    assert fetch["query"] == {"region": ["eu"], "n": ["3"]}
    sent = server.received("POST", "/out")[0]
    assert sent["headers"]["Authorization"] == "Bearer t0k3n"
    assert sent["headers"]["X-Score"] == "7"
    assert sent["body"] == {
        "lead": {"id": "L1", "tags": ["a", "b"], "score": 7},
        "firstTag": "a",
        "viaSteps": 200,
        "text": 'id=L1;tags=["a","b"]',
        "timeout": 5000,
    }
    record = steps_of(execution)["send"]
    assert record.input["headers"]["Authorization"] == "Bearer ***"
    assert execution.output["variables"]["lead"]["id"] == "L1"


def test_missing_variable_fails_naming_it(worker, server, run_workflow):
    execution = run_workflow([{"id": "x", "type": "HTTP_REQUEST", "config": {"url": server.url("/{{nope.id}}")}}])

    assert execution.status == "FAILED"
    assert execution.error_type == "VARIABLE_ERROR"
    assert "nope.id" in execution.error
    assert server.requests == []


def test_secrets_are_masked_in_variables_outputs_and_numbers(worker, server, run_workflow, db):
    services.config_set(key="pin", value=987654, is_secret=True)
    services.config_set(key="token", value="SUPERSECRET123", is_secret=True)
    server.route("GET", "/echo", json={"echo": "SUPERSECRET123", "pin": 987654})
    steps = [
        {
            "id": "call",
            "type": "HTTP_REQUEST",
            "config": {
                "url": server.url("/echo"),
                "queryParams": {"key": "{{config.token}}"},
                "extractResponse": {"type": "JSON_PATH", "path": "echo", "variableName": "leak"},
            },
        },
        {
            "id": "copy",
            "type": "DATA_TRANSFORM",
            "config": {"inputVariable": "call.output.body", "outputVariable": "copied", "transformations": []},
        },
    ]

    execution = run_workflow(steps)

    assert execution.status == "COMPLETED", execution.error
    text = json.dumps([execution.output, list(execution.steps_executed.values("input", "output", "variables"))])
    assert "SUPERSECRET123" not in text
    assert "987654" not in text
    assert execution.output["variables"]["leak"] == "***"


def test_a_nul_character_in_a_response_is_stored(worker, server, run_workflow):
    server.route("GET", "/nul", json={"name": "a\u0000b"})

    execution = run_workflow([{"id": "nul", "type": "HTTP_REQUEST", "config": {"url": server.url("/nul")}}])

    assert execution.status == "COMPLETED", execution.error
    assert execution.steps_executed.get(key="nul").output["body"] == {"name": "a\ufffdb"}


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["NaN", "Infinity"])
def test_a_response_with_nan_or_infinity_is_stored_as_text(worker, server, run_workflow, value):
    # Not JSON, and no database stores it as JSON: the body is kept as the text the service sent.
    server.route("GET", "/odd", json={"price": value})

    execution = run_workflow([{"id": "odd", "type": "HTTP_REQUEST", "config": {"url": server.url("/odd")}}])

    assert execution.status == "COMPLETED", execution.error
    assert execution.steps_executed.get(key="odd").output["body"] == json.dumps({"price": value})


def test_an_unpaired_surrogate_in_a_response_is_stored_and_listed(worker, server, run_workflow, api):
    server.route("GET", "/surrogate", json={"name": "a\ud800b", "\udfffkey": 1})

    execution = run_workflow([{"id": "odd", "type": "HTTP_REQUEST", "config": {"url": server.url("/surrogate")}}])

    assert execution.status == "COMPLETED", execution.error
    assert execution.steps_executed.get(key="odd").output["body"] == {"name": "a\ufffdb", "\ufffdkey": 1}
    assert api.get("/api/v1/executions").status_code == 200
    assert api.get(f"/api/v1/executions/{execution.pk}").status_code == 200


def test_a_response_nested_too_deeply_to_decode_is_kept_as_text(worker, server, run_workflow):
    deep = "[" * 5000 + "]" * 5000
    server.route("GET", "/deep", text=deep, headers={"Content-Type": "application/json"})

    execution = run_workflow([{"id": "deep", "type": "HTTP_REQUEST", "config": {"url": server.url("/deep")}}])

    assert execution.status == "COMPLETED", execution.error
    assert execution.steps_executed.get(key="deep").output["body"] == deep


def test_the_specs_output_path_reads_the_previous_response_body(worker, server, run_workflow):
    server.route("GET", "/lead", json={"data": {"id": "lead_9"}, "recommendedAgent": "agent_4"})
    server.route("POST", "/assign", json={"ok": True})
    steps = [
        {"id": "step_1", "type": "HTTP_REQUEST", "config": {"url": server.url("/lead")}},
        {
            "id": "step_2",
            "type": "HTTP_REQUEST",
            "config": {
                "method": "POST",
                "url": server.url("/assign"),
                "body": {"leadId": "{{step_1.output.data.id}}", "agentId": "{{step_1.output.recommendedAgent}}"},
            },
        },
    ]

    execution = run_workflow(steps)

    assert execution.status == "COMPLETED", execution.error
    assert server.received("POST", "/assign")[0]["body"] == {"leadId": "lead_9", "agentId": "agent_4"}
