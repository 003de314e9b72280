"""Operations on executions: cancel, pause, resume, retry and rerun, in the API and the admin."""

import time

from django.contrib.auth.models import User
from django.test import Client

from executions import services
from tests.conftest import steps_of
from tests.support.workers import wait_for_execution, wait_until


def url(execution, operation):
    return f"/api/v1/executions/{execution.pk}/{operation}"


def test_cancel_stops_a_waiting_run(worker, server, api, make_workflow):
    workflow = make_workflow(
        [
            {"id": "pause", "type": "WAIT", "config": {"duration": 1, "unit": "h"}},
            {"id": "after", "type": "HTTP_REQUEST", "config": {"url": server.url("/after")}},
        ]
    )
    execution = services.execution_start(workflow=workflow)
    wait_until(lambda: execution.steps_executed.filter(key="pause", status="WAITING").exists())

    response = api.post(url(execution, "cancel"))

    assert response.status_code == 200
    assert response.data["status"] == "CANCELLED"
    assert steps_of(execution)["pause"].status == "CANCELLED"
    assert api.post(url(execution, "cancel")).status_code == 409


def test_pause_then_resume(worker, server, api, make_workflow):
    server.route("GET", "/after", json={})
    workflow = make_workflow(
        [
            {"id": "pause", "type": "WAIT", "config": {"duration": 300, "unit": "ms"}},
            {"id": "after", "type": "HTTP_REQUEST", "config": {"url": server.url("/after")}},
        ]
    )
    execution = services.execution_start(workflow=workflow)
    wait_until(lambda: execution.steps_executed.filter(key="pause", status="WAITING").exists())

    assert api.post(url(execution, "pause")).data["status"] == "PAUSED"
    time.sleep(0.6)  # the WAIT falls due while paused: nothing goes on
    assert server.received(path="/after") == []
    assert api.post(url(execution, "pause")).status_code == 409

    assert api.post(url(execution, "resume")).data["status"] == "RUNNING"
    execution = wait_for_execution(execution.pk)
    assert execution.status == "COMPLETED"
    assert len(server.received(path="/after")) == 1


def test_retry_resumes_from_the_failed_step(worker, server, api, run_workflow):
    server.route("POST", "/first", json={"id": 41})
    server.route("POST", "/second", status=500, json={})
    steps = [
        {"id": "first", "type": "HTTP_REQUEST", "order": 1, "config": {"method": "POST", "url": server.url("/first")}},
        {
            "id": "second",
            "type": "HTTP_REQUEST",
            "order": 2,
            "config": {"method": "POST", "url": server.url("/second"), "body": {"id": "{{first.output.body.id}}"}},
        },
    ]
    execution = run_workflow(steps)
    assert execution.status == "FAILED"

    # The downstream service is fixed; the operator retries.
    server.route("POST", "/second", json={"ok": True})
    response = api.post(url(execution, "retry"))

    assert response.status_code == 200
    execution = wait_for_execution(execution.pk)
    assert execution.status == "COMPLETED"
    assert len(server.received("POST", "/first")) == 1
    assert [r["body"] for r in server.received("POST", "/second")] == [{"id": 41}, {"id": 41}]
    assert any(entry.get("retriedByOperator") for entry in steps_of(execution)["second"].logs)
    assert api.post(url(execution, "retry")).status_code == 409


def test_rerun_from_a_step_keeps_earlier_outputs(worker, server, api, run_workflow):
    server.route("POST", "/first", json={"id": 7})
    server.route("POST", "/second", json={"ok": True})
    steps = [
        {"id": "first", "type": "HTTP_REQUEST", "order": 1, "config": {"method": "POST", "url": server.url("/first")}},
        {
            "id": "second",
            "type": "HTTP_REQUEST",
            "order": 2,
            "config": {"method": "POST", "url": server.url("/second"), "body": {"id": "{{first.output.body.id}}"}},
        },
    ]
    original = run_workflow(steps, input={"lead": 1})

    response = api.post(url(original, "rerun"), {"fromStepId": "second"}, format="json")

    assert response.status_code == 202
    rerun = wait_for_execution(response.data["id"])
    assert rerun.status == "COMPLETED"
    assert rerun.input == {"lead": 1}
    assert rerun.metadata["rerunOf"] == str(original.pk)
    assert len(server.received("POST", "/first")) == 1
    assert [r["body"] for r in server.received("POST", "/second")] == [{"id": 7}, {"id": 7}]
    bad = api.post(url(original, "rerun"), {"fromStepId": "nope"}, format="json")
    assert bad.status_code == 400
    assert bad.data["errors"][0]["path"] == "fromStepId"


def test_operations_need_permission(worker, viewer_api, make_workflow):
    execution = services.execution_start(workflow=make_workflow([]))
    for operation in ("cancel", "pause", "resume", "retry", "rerun"):
        assert viewer_api.post(url(execution, operation)).status_code == 403


def test_admin_action_cancels(worker, make_workflow):
    workflow = make_workflow([{"id": "pause", "type": "WAIT", "config": {"duration": 1, "unit": "h"}}])
    execution = services.execution_start(workflow=workflow)
    wait_until(lambda: execution.steps_executed.filter(key="pause", status="WAITING").exists())
    User.objects.create_superuser("boss", password="pw")
    client = Client()
    client.login(username="boss", password="pw")

    response = client.post(
        "/admin/executions/workflowexecution/",
        {"action": "cancel", "_selected_action": [str(execution.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    execution.refresh_from_db()
    assert execution.status == "CANCELLED"


def test_cancel_while_a_step_is_in_flight_leaves_nothing_open(worker, server, api, make_workflow):
    server.route("POST", "/slow", json={"ok": True}, delay=0.4)
    server.route("POST", "/next", json={})
    workflow = make_workflow(
        [
            {
                "id": "slow",
                "type": "HTTP_REQUEST",
                "order": 1,
                "config": {"method": "POST", "url": server.url("/slow")},
            },
            {
                "id": "next",
                "type": "HTTP_REQUEST",
                "order": 2,
                "config": {"method": "POST", "url": server.url("/next")},
            },
        ]
    )
    execution = services.execution_start(workflow=workflow)
    wait_until(lambda: server.received("POST", "/slow"))

    assert api.post(url(execution, "cancel")).status_code == 200
    wait_until(lambda: execution.steps_executed.get(key="slow").status != "RUNNING")
    time.sleep(0.2)

    assert steps_of(execution)["slow"].status == "COMPLETED"  # it did complete; nothing followed it
    assert "next" not in steps_of(execution)
    assert server.received("POST", "/next") == []
    assert not execution.steps_executed.filter(status__in=["PENDING", "WAITING", "RUNNING"]).exists()


def test_retry_is_refused_when_the_run_went_on_past_failures(worker, server, api):
    body = {
        "requestId": "req_went_on",
        "options": {"stopOnFirstError": False},
        "steps": [
            {"id": "a", "type": "HTTP_REQUEST", "config": {"url": server.url("/missing")}},
            {"id": "b", "type": "HTTP_REQUEST", "config": {"url": server.url("/missing")}},
        ],
    }
    response = api.post("/api/orchestration/execute", body, format="json")
    assert response.data["status"] == "FAILED"

    retried = api.post(f"/api/v1/executions/{response.data['executionId']}/retry")

    assert retried.status_code == 409


def test_rerun_from_a_step_waits_for_the_run_to_end(worker, server, api, make_workflow):
    workflow = make_workflow(
        [
            {"id": "pause", "type": "WAIT", "order": 1, "config": {"duration": 1, "unit": "h"}},
            {"id": "after", "type": "WAIT", "order": 2, "config": {"duration": 1}},
        ]
    )
    execution = services.execution_start(workflow=workflow)
    wait_until(lambda: execution.steps_executed.filter(key="pause", status="WAITING").exists())

    response = api.post(url(execution, "rerun"), {"fromStepId": "after"}, format="json")

    assert response.status_code == 409


def test_a_failed_container_with_a_child_still_running_lets_the_run_end(worker, server, api):
    server.route("GET", "/slow", json={}, delay=0.4)
    server.route("GET", "/ok", json={})
    body = {
        "requestId": "req_container",
        "options": {"stopOnFirstError": False},
        "steps": [
            {"id": "fan", "type": "PARALLEL", "config": {"steps": ["slow", "bad"]}},
            {"id": "slow", "type": "HTTP_REQUEST", "config": {"url": server.url("/slow")}},
            {"id": "bad", "type": "HTTP_REQUEST", "config": {"url": server.url("/missing")}},
            {"id": "after", "type": "HTTP_REQUEST", "config": {"url": server.url("/ok")}},
        ],
    }

    response = api.post("/api/orchestration/execute", body, format="json")

    assert response.status_code == 200
    assert response.data["status"] == "FAILED"
    records = {s["key"]: s["status"] for s in response.data["stepsExecuted"]}
    assert records == {"fan": "FAILED", "fan/slow": "COMPLETED", "fan/bad": "FAILED", "after": "COMPLETED"}
