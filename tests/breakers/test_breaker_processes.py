"""One breaker shared by every worker process: one transition, and OPEN stops the calls."""

import pytest

from breakers.models import BreakerTransition, CircuitBreaker
from breakers.services import breaker_configure, breaker_get_or_create

pytestmark = pytest.mark.slow


def fan_out(server, count, service_id):
    return [
        {
            "id": "loop",
            "type": "FOR_EACH",
            "config": {"items": "ids", "steps": ["call"], "maxConcurrency": count, "continueOnError": True},
        },
        {
            "id": "call",
            "type": "HTTP_REQUEST",
            "config": {"method": "POST", "url": server.url("/leads"), "serviceId": service_id, "body": "{{item}}"},
        },
    ]


def test_threshold_opens_once_for_200_concurrent_calls(worker_processes, server, run_workflow):
    server.route("POST", "/leads", status=503, json={}, delay=0.02)
    breaker = breaker_get_or_create(service_id="carrier-x")
    breaker_configure(breaker=breaker, config={"threshold": 5, "timeout": 600_000})

    # 200 calls from 2 worker processes × 8 threads to a service that always answers 503.
    execution = run_workflow(fan_out(server, 200, "carrier-x"), input={"ids": list(range(200))}, wait=120)

    transitions = list(BreakerTransition.objects.filter(breaker__service_id="carrier-x"))
    assert [(t.from_state, t.to_state) for t in transitions] == [("CLOSED", "OPEN")]
    reached = len(server.received("POST", "/leads"))
    print(f"\n{reached} calls reached the server (threshold 5; the rest were admitted before the transition)")
    rows = execution.steps_executed.filter(step_id="call")
    assert rows.filter(error_type="HTTP_ERROR").count() == reached
    assert rows.filter(error_type="CIRCUIT_OPEN").count() == 200 - reached
    assert 5 <= reached <= 5 + 16  # at most one call in flight per worker thread when it opened
    assert CircuitBreaker.objects.get(service_id="carrier-x").state == "OPEN"


def test_half_open_lets_at_most_max_calls_probe(worker_processes, server, run_workflow):
    # Given a breaker whose timeout elapsed long ago, allowing 2 probes, and a service still down
    # (so the probes fail and the breaker opens again for another ten minutes):
    server.route("POST", "/leads", status=503, json={}, delay=0.3)
    breaker = breaker_get_or_create(service_id="carrier-y")
    breaker_configure(breaker=breaker, config={"threshold": 1, "timeout": 600_000, "halfOpenMaxCalls": 2})
    CircuitBreaker.objects.filter(pk=breaker.pk).update(state="OPEN", opened_at="2020-01-01T00:00:00Z")

    # when 50 callers arrive at once,
    execution = run_workflow(fan_out(server, 50, "carrier-y"), input={"ids": list(range(50))}, wait=60)

    # then at most 2 probes reached the server and every other call failed fast.
    probes = len(server.received("POST", "/leads"))
    assert 1 <= probes <= 2
    rows = execution.steps_executed.filter(step_id="call")
    assert rows.filter(error_type="CIRCUIT_OPEN").count() == 50 - probes
    assert CircuitBreaker.objects.get(service_id="carrier-y").state == "OPEN"
    history = [
        (t.from_state, t.to_state) for t in BreakerTransition.objects.filter(breaker=breaker).order_by("at", "id")
    ]
    assert history == [("OPEN", "HALF_OPEN"), ("HALF_OPEN", "OPEN")]
