"""Variable substitution end to end: input, step outputs, extracted variables, config, types."""

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
