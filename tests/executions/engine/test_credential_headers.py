"""Credential headers are sent as given but never recorded, even when no config secret fills them."""

import json


def test_credential_headers_are_sent_but_masked_in_the_step_record(worker, server, run_workflow, api):
    server.route("GET", "/carrier", json={"ok": True})
    headers = {
        "Authorization": "Bearer LiteralTokenNotInConfig42",
        "Proxy-Authorization": "Basic {{proxyCredentials}}",
        "Cookie": "session=InputCookieABC123",
        "X-Api-Key": "{{apiKey}}",
        "X-Request-Source": "lead-intake",
    }
    step = {"id": "call", "type": "HTTP_REQUEST", "config": {"url": server.url("/carrier"), "headers": headers}}

    execution = run_workflow([step], input={"apiKey": "InputKey987654", "proxyCredentials": "dXNlcjpwYXNz"})

    assert execution.status == "COMPLETED", execution.error
    sent = server.received("GET", "/carrier")[0]["headers"]
    assert sent["Authorization"] == "Bearer LiteralTokenNotInConfig42"
    assert sent["X-Api-Key"] == "InputKey987654"
    recorded = execution.steps_executed.get(key="call").input["headers"]
    assert recorded == {
        "Authorization": "Bearer ***",
        "Proxy-Authorization": "Basic ***",
        "Cookie": "***",
        "X-Api-Key": "***",
        "X-Request-Source": "lead-intake",
    }
    steps_answer = json.dumps(api.get(f"/api/v1/executions/{execution.pk}").json()["stepsExecuted"])
    for value in ("LiteralTokenNotInConfig42", "InputCookieABC123", "InputKey987654", "dXNlcjpwYXNz"):
        assert value not in steps_answer
