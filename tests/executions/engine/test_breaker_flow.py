"""Circuit breakers around HTTP steps, through a real worker and a real loopback server."""

import time

from django.test import override_settings

from breakers.models import CircuitBreaker
from breakers.services import breaker_configure, breaker_get_or_create
from tests.conftest import steps_of

BREAKERS = "/api/v1/circuit-breakers"
TIMEOUT_MS = 300
QUICK_RETRIES = {"maxAttempts": 3, "strategy": "FIXED", "initialDelay": 50, "maxDelay": 1000}


def configure(service_id, **config):
    breaker_configure(breaker=breaker_get_or_create(service_id=service_id), config=config)


def call(server, service_id=None, retry_policy=None, path="/quote"):
    step = {"id": "quote", "type": "HTTP_REQUEST", "config": {"method": "POST", "url": server.url(path), "body": {}}}
    if service_id:
        step["config"]["serviceId"] = service_id
    if retry_policy:
        step["retryPolicy"] = retry_policy
    return [step]


def breaker(service_id):
    return CircuitBreaker.objects.get(service_id=service_id)


def history(api, service_id):
    body = api.get(f"{BREAKERS}/{service_id}").json()
    return [(item["fromState"], item["toState"]) for item in body["history"]]


def trip(server, run_workflow, service_id):
    """Open a threshold-1 breaker with one failing run (the route answers 503 meanwhile)."""
    server.route("POST", "/quote", status=503, json={})
    execution = run_workflow(call(server, service_id))
    assert (execution.status, execution.error_type) == ("FAILED", "HTTP_ERROR")
    assert breaker(service_id).state == "OPEN"


# ---------------------------------------------------------------- opening


def test_after_threshold_failing_runs_the_next_run_fails_with_circuit_open_and_no_request(worker, server, run_workflow):
    server.route("POST", "/quote", status=503, json={})
    configure("carrier-a", threshold=3, timeout=60_000)

    for number in range(3):
        execution = run_workflow(call(server, "carrier-a"))
        assert (execution.status, execution.error_type) == ("FAILED", "HTTP_ERROR")
        assert breaker("carrier-a").failure_count == number + 1
    assert breaker("carrier-a").state == "OPEN"

    execution = run_workflow(call(server, "carrier-a"))

    assert (execution.status, execution.error_type) == ("FAILED", "CIRCUIT_OPEN")
    assert "carrier-a" in execution.error
    record = steps_of(execution)["quote"]
    assert (record.status, record.error_type, record.attempt) == ("FAILED", "CIRCUIT_OPEN", 1)
    assert len(server.received("POST", "/quote")) == 3


def test_4xx_answers_do_not_count_as_failures(worker, server, run_workflow):
    server.route("POST", "/quote", status=400, json={"error": "bad lead"})
    configure("carrier-b", threshold=2)

    for _ in range(4):
        execution = run_workflow(call(server, "carrier-b"))
        assert (execution.status, execution.error_type) == ("FAILED", "HTTP_ERROR")

    assert (breaker("carrier-b").state, breaker("carrier-b").failure_count) == ("CLOSED", 0)
    assert len(server.received("POST", "/quote")) == 4


def test_a_4xx_between_5xx_breaks_the_run_of_consecutive_failures(worker, server, run_workflow):
    server.route("POST", "/quote", sequence=[(503, {}), (404, {}), (503, {}), (503, {})])
    configure("carrier-b", threshold=2)

    counts = []
    for _ in range(3):
        run_workflow(call(server, "carrier-b"))
        counts.append(breaker("carrier-b").failure_count)
    assert counts == [1, 0, 1]
    assert breaker("carrier-b").state == "CLOSED"

    run_workflow(call(server, "carrier-b"))

    assert breaker("carrier-b").state == "OPEN"


def test_a_request_that_cannot_be_built_does_not_count_against_the_service(worker, server, run_workflow):
    server.route("POST", "/quote", status=200, json={})
    configure("carrier-b", threshold=1)
    steps = call(server, "carrier-b")
    steps[0]["config"]["headers"] = {"X-Lead-Name": "{{input.name}}"}

    bad = run_workflow(steps, input={"name": "Ann\nSmith"})  # a line break cannot go in a header
    good = run_workflow(steps, input={"name": "Ann Smith"})

    assert (bad.status, bad.error_type) == ("FAILED", "NETWORK_ERROR")
    assert "header" in bad.error
    assert good.status == "COMPLETED"
    assert [r["headers"]["X-Lead-Name"] for r in server.received()] == ["Ann Smith"]
    assert (breaker("carrier-b").state, breaker("carrier-b").failure_count) == ("CLOSED", 0)


# ---------------------------------------------------------------- which breaker


def test_the_breaker_is_chosen_by_step_service_id_then_request_context_then_url(worker, server, run_workflow, api):
    server.route("POST", "/quote", status=503, json={})
    server.route("POST", "/other", status=503, json={})

    run_workflow(call(server, "step-named-api"))
    run_workflow(call(server))
    run_workflow(call(server, path="/other"))
    orchestrated = api.post(
        "/api/orchestration/execute",
        {"steps": call(server), "context": {"serviceId": "context-named-api"}},
        format="json",
    )
    overridden = api.post(
        "/api/orchestration/execute",
        {"steps": call(server, "step-wins-api"), "context": {"serviceId": "context-named-api"}},
        format="json",
    )

    assert orchestrated.data["status"] == overridden.data["status"] == "FAILED"
    listed = {item["serviceId"]: item["failureCount"] for item in api.get(BREAKERS).json()["results"]}
    assert listed == {
        "step-named-api": 1,
        "context-named-api": 1,
        "step-wins-api": 1,
        f"http://127.0.0.1:{server.port}": 2,  # scheme, host and port: every path of the server shares it
    }
    by_url = api.get(f"{BREAKERS}/http://127.0.0.1:{server.port}")
    assert (by_url.status_code, by_url.json()["failureCount"]) == (200, 2)


# ---------------------------------------------------------------- waiting for an OPEN breaker


def test_a_retrying_step_waits_for_the_breaker_without_spending_attempts(worker, server, run_workflow, api):
    configure("carrier-d", threshold=1, timeout=TIMEOUT_MS)
    trip(server, run_workflow, "carrier-d")
    server.route("POST", "/quote", status=200, json={"price": 42})  # the service has recovered

    execution = run_workflow(call(server, "carrier-d", QUICK_RETRIES))

    assert execution.status == "COMPLETED"
    record = steps_of(execution)["quote"]
    assert record.output["body"] == {"price": 42}
    assert record.attempt == 1  # three 50 ms retries would have run out long before the breaker half-opened
    assert record.logs, "the wait is logged"
    assert all(entry["error"]["type"] == "CIRCUIT_OPEN" and "retryInMs" not in entry for entry in record.logs)
    waits = [entry["waitForBreakerMs"] for entry in record.logs]
    assert 0 < waits[0] <= TIMEOUT_MS
    first, second = server.received("POST", "/quote")
    assert second["at"] - first["at"] >= TIMEOUT_MS / 1000
    assert breaker("carrier-d").state == "CLOSED"
    assert api.get(f"{BREAKERS}/carrier-d").json()["state"] == "CLOSED"


def test_a_step_without_retries_fails_at_once_on_an_open_breaker(worker, server, run_workflow):
    configure("carrier-d", threshold=1, timeout=60_000)
    trip(server, run_workflow, "carrier-d")

    for policy in [None, {"strategy": "NONE"}, {"maxAttempts": 1}]:
        started = time.monotonic()
        execution = run_workflow(call(server, "carrier-d", policy))
        assert time.monotonic() - started < 2
        assert (execution.status, execution.error_type) == ("FAILED", "CIRCUIT_OPEN"), policy
        record = steps_of(execution)["quote"]
        assert not any("waitForBreakerMs" in entry for entry in record.logs)

    assert len(server.received("POST", "/quote")) == 1


def test_waits_are_free_but_failed_probes_spend_attempts(worker, server, run_workflow):
    configure("carrier-d", threshold=1, timeout=TIMEOUT_MS)
    trip(server, run_workflow, "carrier-d")  # and the service stays down

    execution = run_workflow(call(server, "carrier-d", QUICK_RETRIES))

    assert (execution.status, execution.error_type) == ("FAILED", "HTTP_ERROR")
    record = steps_of(execution)["quote"]
    assert record.attempt == 3
    assert len(server.received("POST", "/quote")) == 1 + 3  # the tripping run, then one probe per attempt
    assert sum("waitForBreakerMs" in entry for entry in record.logs) >= 3


# ---------------------------------------------------------------- half-open probes


def test_a_successful_probe_closes_the_breaker(worker, server, run_workflow, api):
    configure("carrier-e", threshold=1, timeout=TIMEOUT_MS)
    trip(server, run_workflow, "carrier-e")
    server.route("POST", "/quote", status=200, json={"ok": True})
    time.sleep(TIMEOUT_MS / 1000 + 0.05)

    execution = run_workflow(call(server, "carrier-e"))

    assert execution.status == "COMPLETED"
    body = api.get(f"{BREAKERS}/carrier-e").json()
    assert (body["state"], body["failureCount"], body["halfOpenCalls"]) == ("CLOSED", 0, 0)
    assert history(api, "carrier-e") == [("HALF_OPEN", "CLOSED"), ("OPEN", "HALF_OPEN"), ("CLOSED", "OPEN")]


def test_a_failed_probe_reopens_the_breaker(worker, server, run_workflow, api):
    configure("carrier-e", threshold=1, timeout=TIMEOUT_MS)
    trip(server, run_workflow, "carrier-e")
    first_opening = breaker("carrier-e").opened_at
    time.sleep(TIMEOUT_MS / 1000 + 0.05)

    probe = run_workflow(call(server, "carrier-e"))
    after = run_workflow(call(server, "carrier-e"))

    assert (probe.status, probe.error_type) == ("FAILED", "HTTP_ERROR")
    assert (after.status, after.error_type) == ("FAILED", "CIRCUIT_OPEN")
    assert len(server.received("POST", "/quote")) == 2
    assert breaker("carrier-e").opened_at > first_opening
    assert history(api, "carrier-e") == [("HALF_OPEN", "OPEN"), ("OPEN", "HALF_OPEN"), ("CLOSED", "OPEN")]


def test_a_probe_the_guard_refused_neither_closes_nor_reopens_the_breaker(worker, server, run_workflow):
    breaker = breaker_get_or_create(service_id="guarded")
    breaker_configure(breaker=breaker, config={"timeout": 1, "halfOpenMaxCalls": 1})
    CircuitBreaker.objects.filter(pk=breaker.pk).update(state="OPEN", opened_at="2020-01-01T00:00:00Z")
    step = {"id": "call", "type": "HTTP_REQUEST", "config": {"url": server.url("/x"), "serviceId": "guarded"}}

    with override_settings(OUTBOUND_ALLOW_NETWORKS=""):
        execution = run_workflow([step])

    assert execution.error_type == "DESTINATION_BLOCKED"
    breaker.refresh_from_db()
    # It became HALF_OPEN for the probe, and the probe's slot came back unused.
    assert (breaker.state, breaker.half_open_calls) == ("HALF_OPEN", 0)
