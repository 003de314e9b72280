"""Reads of executions: lists and per-workflow metrics computed in the database."""

import math

from django.db import connection
from django.db.models import Aggregate, Avg, Count, FloatField, Prefetch, Q

from executions.models import StepExecution, WorkflowExecution
from executions.statuses import ACTIVE, ExecutionStatus

S = ExecutionStatus
PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


class PercentileCont(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile, **extra):
        super().__init__(expression, percentile=percentile, **extra)


def execution_list():
    # The list shows workflowId only: no join, and never the copied definition.
    return WorkflowExecution.objects.defer("definition")


# An execution's step records in creation order; `id` keeps the order (and so pages) stable
# where records share a creation time (a PARALLEL's children are created together).
STEP_ORDER = ("created_at", "item_index", "id")


def execution_detail_queryset():
    return WorkflowExecution.objects.prefetch_related(
        Prefetch("steps_executed", queryset=StepExecution.objects.order_by(*STEP_ORDER))
    )


def steps_of(execution):
    """An execution's step records, in the detail's order."""
    return StepExecution.objects.filter(execution=execution).order_by(*STEP_ORDER)


def active_executions():
    return WorkflowExecution.objects.filter(status__in=ACTIVE).defer("definition")


def _duration_percentiles(durations):
    """p50/p95/p99 of a queryset's `duration`: percentile_cont on PostgreSQL, nearest rank elsewhere."""
    if connection.vendor == "postgresql":
        values = durations.aggregate(**{name: PercentileCont("duration", p) for name, p in PERCENTILES.items()})
        return {name: round(value) if value is not None else None for name, value in values.items()}
    count = durations.count()
    ordered = durations.order_by("duration").values_list("duration", flat=True)
    return {name: (ordered[max(0, math.ceil(p * count) - 1)] if count else None) for name, p in PERCENTILES.items()}


def workflow_metrics(*, workflow):
    """Return the spec's metrics for one workflow, plus duration percentiles."""
    executions = WorkflowExecution.objects.filter(workflow=workflow)
    totals = executions.aggregate(
        total=Count("id"),
        successful=Count("id", filter=Q(status=S.COMPLETED)),
        failed=Count("id", filter=Q(status__in=[S.FAILED, S.TIMED_OUT])),
        average=Avg("duration", filter=Q(status__in=[S.COMPLETED, S.FAILED, S.TIMED_OUT])),
    )
    # Containers are left out: a PARALLEL's or FOR_EACH's time spans its children, counted already.
    step_average = (
        StepExecution.objects.filter(execution__workflow=workflow, duration__isnull=False)
        .exclude(step_type__in=["PARALLEL", "FOR_EACH"])
        .aggregate(average=Avg("duration"))["average"]
    )
    last = executions.order_by("-started_at").values("started_at", "status").first()
    finished = totals["successful"] + totals["failed"]
    durations = executions.filter(duration__isnull=False, status__in=[S.COMPLETED, S.FAILED, S.TIMED_OUT])
    return {
        "workflowId": str(workflow.pk),
        "totalExecutions": totals["total"],
        "successfulExecutions": totals["successful"],
        "failedExecutions": totals["failed"],
        "averageExecutionTime": round(totals["average"], 1) if totals["average"] is not None else None,
        "averageStepExecutionTime": round(step_average, 1) if step_average is not None else None,
        "successRate": round(totals["successful"] / finished * 100, 2) if finished else None,
        "lastExecutionAt": last["started_at"] if last else None,
        "lastExecutionStatus": last["status"] if last else None,
        "durationPercentiles": _duration_percentiles(durations),
    }
