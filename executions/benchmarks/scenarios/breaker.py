"""B7: calls through an OPEN circuit breaker fail fast, and none reaches the server."""

import time

from django.conf import settings
from django.utils import timezone

from breakers.models import CircuitBreaker, CircuitBreakerState
from executions.benchmarks.registry import Row, percentile, scenario
from executions.engine.context import Context
from executions.engine.errors import CIRCUIT_OPEN, StepError
from executions.engine.runner import _breaker_guard
from executions.engine.steps.base import Invocation
from executions.engine.steps.http_request import HttpRequest

SERVICE = "benchmark-open"


def _invocation(config):
    return Invocation(
        step={"id": "call", "type": "HTTP_REQUEST", "config": config},
        config=config,
        context=Context(),
        state={},
        attempt=1,
        idempotency_key="benchmark:call",
        now=timezone.now(),
        options=settings.ORCHESTRATION,
        guard=_breaker_guard(set()),
    )


@scenario("B7", "1,000 calls through an OPEN breaker")
def open_breaker(bench, sizes):
    calls = sizes["breaker_calls"]
    CircuitBreaker.objects.update_or_create(
        service_id=SERVICE,
        defaults={"state": CircuitBreakerState.OPEN, "opened_at": timezone.now(), "timeout": 3_600_000},
    )
    handler = HttpRequest()
    invocation = _invocation({"method": "GET", "url": bench.server.url("/open"), "serviceId": SERVICE})
    bench.server.reset(delay_ms=0)
    engine = []
    for _ in range(calls):
        started = time.perf_counter()
        try:
            handler.execute(invocation)
        except StepError as error:
            assert error.error_type == CIRCUIT_OPEN, error
        else:
            raise AssertionError("a call went through an OPEN breaker")
        engine.append((time.perf_counter() - started) * 1000)
    reached = bench.server.by_path["/open"]
    bare = []
    for _ in range(calls):
        started = time.perf_counter()
        bench.session.get(bench.server.url("/open"), timeout=30).json()
        bare.append((time.perf_counter() - started) * 1000)
    measured = f"p99 fast-fail of {calls} calls (bare: one real call)"
    fast = Row("B7", measured, percentile(engine, 99), percentile(bare, 99))
    fast.target, fast.passed = "≤ 2 ms", fast.engine <= 2
    sent = Row("B7", "requests that reached the server", float(reached), unit="")
    sent.target, sent.passed = "0", reached == 0
    return [fast, sent]
