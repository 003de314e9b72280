"""The integration-pattern templates run as their descriptions say, on a real worker and server."""

from executions import services as execution_services
from tests.support.workers import wait_for_execution
from workflows import services


def run(slug, parameters, input):
    workflow = services.workflow_create_from_template(slug=slug, parameters=parameters, status="ACTIVE")
    return wait_for_execution(execution_services.execution_start(workflow=workflow, input=input).pk, timeout=30)


def test_carrier_fallback_submits_to_the_second_carrier_when_the_first_fails(worker, server):
    server.route("POST", "/a/leads", status=503, json={"down": True})
    server.route("POST", "/b/leads", status=201, json={"ok": True})

    execution = run(
        "carrier-fallback",
        {"primaryUrl": server.url("/a/leads"), "secondaryUrl": server.url("/b/leads"), "maxAttempts": 1},
        {"lead": {"id": "lead_1"}},
    )

    assert execution.status == "COMPLETED", execution.error
    [fallback] = server.received("POST", "/b/leads")
    assert fallback["body"] == {"id": "lead_1"}
    assert fallback["headers"]["X-Fallback-Reason"] == "HTTP_ERROR"


def test_fan_out_tolerates_failures_down_to_the_minimum(worker, server):
    server.route("POST", "/ok", json={"ok": True})
    server.route("POST", "/broken", status=500, json={"ok": False})
    targets = [{"url": server.url("/ok")}, {"url": server.url("/broken")}, {"url": server.url("/ok")}]

    tolerated = run("fan-out-with-failure-tolerance", {"minDelivered": 2}, {"targets": targets, "payload": {"n": 1}})
    refused = run("fan-out-with-failure-tolerance", {"minDelivered": 3}, {"targets": targets, "payload": {"n": 1}})

    assert tolerated.status == "COMPLETED", tolerated.error
    assert tolerated.output["variables"]["summary"]["delivered"] == 2
    assert refused.status == "FAILED"
    assert "summary.delivered" in refused.error
    assert [r["body"] for r in server.received("POST", "/ok")] == [{"n": 1}] * 4


def test_paginate_and_collect_fetches_every_page(worker, server):
    server.route("GET", "/items", json={"data": ["a", "b"]})

    execution = run("paginate-and-collect", {"listUrl": server.url("/items"), "pageSize": 2}, {"pages": [1, 2, 3]})

    assert execution.status == "COMPLETED", execution.error
    requests = server.received("GET", "/items")
    assert sorted(r["query"]["page"][0] for r in requests) == ["1", "2", "3"]
    assert {r["query"]["pageSize"][0] for r in requests} == {"2"}
    assert execution.output["variables"]["collected"]["pageCount"] == 3
    assert execution.output["variables"]["pages"] == [["a", "b"]] * 3
