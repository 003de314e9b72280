"""Prometheus exposition at /metrics, computed from the database when it is scraped.

Workers run as many processes on many machines, so counters kept in one process's memory would
each see a fraction of the work: every figure here is read from the shared database instead, in a
handful of aggregate queries whatever the number of workflows, steps or breakers. Labels carry
only ids, names, types and statuses, never inputs, outputs or errors.
"""

import logging

import dramatiq
from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from breakers.models import CircuitBreaker, CircuitBreakerState
from executions.models import VIEW_PERMISSION, StepExecution, WorkflowExecution
from executions.statuses import ACTIVE, ExecutionStatus

logger = logging.getLogger(__name__)

S = ExecutionStatus
# Upper bounds (seconds) of the step duration histogram's buckets; steps store milliseconds.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
BREAKER_STATE_VALUES = {CircuitBreakerState.CLOSED: 0, CircuitBreakerState.HALF_OPEN: 1, CircuitBreakerState.OPEN: 2}
QUEUED_STEP_STATUSES = (S.PENDING, S.WAITING, S.RUNNING)
AD_HOC = ("", "(orchestration request)")


def _execution_counters():
    started = CounterMetricFamily(
        "orchestration_executions_started", "Executions started, per workflow.", labels=["workflow_id", "workflow"]
    )
    completed = CounterMetricFamily(
        "orchestration_executions_completed",
        "Executions that completed, per workflow.",
        labels=["workflow_id", "workflow"],
    )
    failed = CounterMetricFamily(
        "orchestration_executions_failed",
        "Executions that failed or timed out, per workflow.",
        labels=["workflow_id", "workflow"],
    )
    cancelled = CounterMetricFamily(
        "orchestration_executions_cancelled", "Executions cancelled, per workflow.", labels=["workflow_id", "workflow"]
    )
    rows = (
        WorkflowExecution.objects.values("workflow_id", "workflow__name")
        .annotate(
            started=Count("id"),
            completed=Count("id", filter=Q(status=S.COMPLETED)),
            failed=Count("id", filter=Q(status__in=[S.FAILED, S.TIMED_OUT])),
            cancelled=Count("id", filter=Q(status=S.CANCELLED)),
        )
        .order_by()
    )
    for row in rows:
        labels = [str(row["workflow_id"]), row["workflow__name"]] if row["workflow_id"] else list(AD_HOC)
        for family in (started, completed, failed, cancelled):
            family.add_metric(labels, row[family.name.removeprefix("orchestration_executions_")])
    return [started, completed, failed, cancelled]


def _step_duration_histogram():
    """Cumulative bucket counts per step type from one grouped query (COUNT … FILTER per bucket)."""
    family = HistogramMetricFamily(
        "orchestration_step_duration_seconds", "Duration of finished step runs, per step type.", labels=["step_type"]
    )
    buckets = {
        f"le_{index}": Count("id", filter=Q(duration__lte=bound * 1000)) for index, bound in enumerate(DURATION_BUCKETS)
    }
    rows = (
        StepExecution.objects.filter(duration__isnull=False)
        .values("step_type")
        .annotate(count=Count("id"), total=Sum("duration"), **buckets)
        .order_by("step_type")
    )
    for row in rows:
        cumulative = [(repr(float(bound)), row[f"le_{index}"]) for index, bound in enumerate(DURATION_BUCKETS)]
        family.add_metric([row["step_type"]], [*cumulative, ("+Inf", row["count"])], (row["total"] or 0) / 1000)
    return [family]


def _breaker_gauges():
    state = GaugeMetricFamily(
        "orchestration_circuit_breaker_state",
        "Circuit breaker state per serviceId: 0 closed, 1 half-open, 2 open.",
        labels=["service_id"],
    )
    failures = GaugeMetricFamily(
        "orchestration_circuit_breaker_failures", "Consecutive failures a breaker has counted.", labels=["service_id"]
    )
    for service_id, current, failure_count in CircuitBreaker.objects.values_list(
        "service_id", "state", "failure_count"
    ).order_by("service_id"):
        state.add_metric([service_id], BREAKER_STATE_VALUES[current])
        failures.add_metric([service_id], failure_count)
    return [state, failures]


def _queue_gauges():
    steps = dict(
        StepExecution.objects.filter(status__in=QUEUED_STEP_STATUSES)
        .values_list("status")
        .annotate(Count("id"))
        .order_by()
    )
    executions = dict(
        WorkflowExecution.objects.filter(status__in=ACTIVE).values_list("status").annotate(Count("id")).order_by()
    )
    depth = GaugeMetricFamily("orchestration_queue_depth", "Steps waiting for a worker to run them (PENDING).")
    depth.add_metric([], steps.get(S.PENDING, 0))
    by_status = GaugeMetricFamily("orchestration_steps", "Step runs not finished yet, per status.", labels=["status"])
    for status in QUEUED_STEP_STATUSES:
        by_status.add_metric([status], steps.get(status, 0))
    active = GaugeMetricFamily(
        "orchestration_executions_active", "Executions not finished yet, per status.", labels=["status"]
    )
    for status in sorted(ACTIVE):
        active.add_metric([status], executions.get(status, 0))
    return [depth, by_status, active]


def broker_queue_lengths(broker, queue):
    """Return {queue name: messages waiting} on a Redis or RabbitMQ broker, or None for other brokers."""
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.common import dq_name, xq_name

    if isinstance(broker, RedisBroker):
        # Dramatiq keeps each queue's ready message ids in the list "<namespace>:<queue>".
        return {name: broker.client.llen(f"{broker.namespace}:{name}") for name in (queue, dq_name(queue))}
    if isinstance(broker, RabbitmqBroker):
        ready, delayed, dead = broker.get_queue_message_counts(queue)
        return {queue: ready, dq_name(queue): delayed, xq_name(queue): dead}
    return None


def _broker_gauges():
    broker = dramatiq.get_broker()
    try:
        lengths = broker_queue_lengths(broker, settings.DRAMATIQ_QUEUE)
    except Exception:
        # A broker that is down or slow must not cost the database figures.
        logger.warning("Could not read the broker's queue lengths for /metrics", exc_info=True)
        lengths = False
    if lengths is None:
        return []
    up = GaugeMetricFamily("orchestration_broker_up", "1 if the broker's queue lengths could be read, else 0.")
    up.add_metric([], 1 if lengths else 0)
    messages = GaugeMetricFamily(
        "orchestration_broker_messages", "Messages waiting in the broker, per queue.", labels=["queue"]
    )
    for name, count in (lengths or {}).items():
        messages.add_metric([name], count)
    return [up, messages]


class DatabaseCollector(Collector):
    """Collect the orchestration figures from the database (and the broker's queue lengths) per scrape."""

    def collect(self):
        yield from _execution_counters()
        yield from _step_duration_histogram()
        yield from _breaker_gauges()
        yield from _queue_gauges()
        yield from _broker_gauges()

    def describe(self):
        # Nothing to describe up front: registering must not query the database.
        return []


registry = CollectorRegistry(auto_describe=False)
registry.register(DatabaseCollector())


def _refusal(request):
    """Return the 401/403 for a request that may not read /metrics, or None when it may."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Bearer "):
        expected = settings.METRICS_TOKEN
        if expected and constant_time_compare(header.removeprefix("Bearer ").strip(), expected):
            return None
        return _unauthorized('Bearer realm="metrics", error="invalid_token"')
    user = request.user
    if user.is_authenticated and user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION):
        return None
    if user.is_authenticated:
        return HttpResponse(
            f"Staff with the {VIEW_PERMISSION} permission only.\n", status=403, content_type="text/plain; charset=utf-8"
        )
    return _unauthorized('Bearer realm="metrics"')


def _unauthorized(challenge):
    response = HttpResponse(
        "A staff session or Authorization: Bearer <METRICS_TOKEN> is required.\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = challenge
    return response


@require_safe
def metrics_view(request):
    """Serve the Prometheus text format to staff sessions and holders of METRICS_TOKEN."""
    refusal = _refusal(request)
    if refusal:
        return refusal
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
