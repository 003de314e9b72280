"""Figures for the metrics pages, aggregated in the database over a chosen period.

Every figure is one aggregate or GROUP BY query whatever the number of executions, workflows or
breakers; only the buckets of a timeline (at most 30) are laid out in Python.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Max, Min, Q
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from breakers.models import CircuitBreaker, CircuitBreakerState
from executions.models import StepExecution, WorkflowExecution
from executions.selectors import _duration_percentiles
from executions.statuses import ACTIVE, ExecutionStatus

S = ExecutionStatus
FAILED = [S.FAILED, S.TIMED_OUT]
FINISHED = [S.COMPLETED, S.FAILED, S.TIMED_OUT]
LIST_LIMIT = 10
STEP_LIMIT = 50
WORKFLOW_LIMIT = 50
BREAKER_LIMIT = 100


@dataclass(frozen=True)
class Period:
    """A choice of time range: `buckets` hours or days ending with the current one."""

    key: str
    label: str
    unit: str  # "hour" or "day"
    buckets: int

    @property
    def trunc(self):
        return TruncHour if self.unit == "hour" else TruncDay

    def bucket_starts(self, now=None):
        """Return the start of each bucket, oldest first, in the current time zone."""
        now = now or timezone.now()
        if self.unit == "hour":
            # Step in UTC, where every hour is one hour long, then show each start in local time.
            current = now.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)
            starts = [current - datetime.timedelta(hours=self.buckets - 1 - index) for index in range(self.buckets)]
            return [timezone.localtime(start) for start in starts]
        # Local midnights, by calendar date, so a daylight-saving change cannot shift a bucket.
        today = timezone.localdate(now)
        dates = [today - datetime.timedelta(days=self.buckets - 1 - index) for index in range(self.buckets)]
        return [timezone.make_aware(datetime.datetime.combine(date, datetime.time())) for date in dates]

    def since(self, now=None):
        return self.bucket_starts(now)[0]

    def bucket_label(self, start):
        return start.strftime("%H:%M") if self.unit == "hour" else start.strftime("%b %d")


PERIODS = {
    "24h": Period("24h", "Last 24 hours", "hour", 24),
    "7d": Period("7d", "Last 7 days", "day", 7),
    "30d": Period("30d", "Last 30 days", "day", 30),
}
DEFAULT_PERIOD = "24h"


def period_from(value):
    """Return the Period named by a `range` query parameter (default: last 24 hours)."""
    if not value:
        return PERIODS[DEFAULT_PERIOD]
    try:
        return PERIODS[value]
    except KeyError:
        raise ValueError(f"range: must be one of {', '.join(PERIODS)}, not {value!r}.")


def _totals(executions):
    totals = executions.aggregate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=S.COMPLETED)),
        failed=Count("id", filter=Q(status__in=FAILED)),
        cancelled=Count("id", filter=Q(status=S.CANCELLED)),
        active=Count("id", filter=Q(status__in=ACTIVE)),
        average=Avg("duration", filter=Q(status__in=FINISHED)),
    )
    finished = totals["completed"] + totals["failed"]
    totals["success_rate"] = round(totals["completed"] / finished * 100, 2) if finished else None
    totals["average"] = round(totals["average"], 1) if totals["average"] is not None else None
    return totals


def _timeline(executions, period, now):
    """Completed and failed runs and the mean duration per bucket: one GROUP BY on the truncated start."""
    rows = (
        executions.annotate(bucket=period.trunc("started_at"))
        .values("bucket")
        .annotate(
            completed=Count("id", filter=Q(status=S.COMPLETED)),
            failed=Count("id", filter=Q(status__in=FAILED)),
            average=Avg("duration", filter=Q(status__in=FINISHED)),
        )
        .order_by()
    )
    by_start = {row["bucket"]: row for row in rows}
    timeline = []
    for start in period.bucket_starts(now):
        row = by_start.get(start, {})
        completed, failed = row.get("completed", 0), row.get("failed", 0)
        finished = completed + failed
        timeline.append(
            {
                "start": start,
                "label": period.bucket_label(start),
                "completed": completed,
                "failed": failed,
                "success_rate": round(completed / finished * 100, 2) if finished else None,
                "average": round(row["average"], 1) if row.get("average") is not None else None,
            }
        )
    return timeline


def _failures(executions):
    failed = executions.filter(status__in=FAILED)
    by_type = (
        failed.values("error_type")
        .annotate(count=Count("id"), last=Max("started_at"))
        .order_by("-count", "error_type")[:LIST_LIMIT]
    )
    recent = failed.order_by("-started_at").values("id", "started_at", "error_type", "current_step_id")[:LIST_LIMIT]
    return list(by_type), list(recent)


def metrics_workflow(*, workflow, period, now=None):
    """Return one workflow's figures over `period`: totals, timeline, percentiles, steps and failures."""
    now = now or timezone.now()
    executions = WorkflowExecution.objects.filter(workflow=workflow, started_at__gte=period.since(now))
    steps = (
        StepExecution.objects.filter(
            execution__workflow=workflow, execution__started_at__gte=period.since(now), duration__isnull=False
        )
        .values("step_id")
        .annotate(average=Avg("duration"), runs=Count("id"), step_type=Max("step_type"), first=Min("created_at"))
        .order_by("first")[:STEP_LIMIT]
    )
    failures_by_type, recent_failures = _failures(executions)
    return {
        "totals": _totals(executions),
        "timeline": _timeline(executions, period, now),
        "percentiles": _duration_percentiles(executions.filter(status__in=FINISHED, duration__isnull=False)),
        "steps": [{**row, "average": round(row["average"], 1)} for row in steps],
        "failures_by_type": failures_by_type,
        "recent_failures": recent_failures,
    }


def metrics_overview(*, period, now=None):
    """Return the figures over all workflows: totals, timeline, most failing, active runs, open breakers."""
    now = now or timezone.now()
    executions = WorkflowExecution.objects.filter(started_at__gte=period.since(now))
    # One grouped query serves both lists: ordered by failures, its first rows with any are the most failing.
    per_workflow = [
        {**row, "failure_rate": round(row["failed"] / row["total"] * 100, 2)}
        for row in executions.filter(workflow__isnull=False)
        .values("workflow_id", "workflow__name")
        .annotate(
            failed=Count("id", filter=Q(status__in=FAILED)),
            completed=Count("id", filter=Q(status=S.COMPLETED)),
            total=Count("id"),
        )
        .order_by("-failed", "-total", "workflow__name")[:WORKFLOW_LIMIT]
    ]
    active = WorkflowExecution.objects.filter(status__in=ACTIVE)
    active_by_status = dict(active.values_list("status").annotate(count=Count("id")).order_by())
    oldest_active = active.order_by("started_at").values(
        "id", "status", "started_at", "current_step_id", "workflow_id", "workflow__name"
    )[:LIST_LIMIT]
    breakers_by_state = dict(CircuitBreaker.objects.values_list("state").annotate(count=Count("id")).order_by())
    open_breakers = (
        CircuitBreaker.objects.exclude(state=CircuitBreakerState.CLOSED)
        .order_by(F("opened_at").desc(nulls_last=True), "service_id")
        .values("id", "service_id", "state", "failure_count", "opened_at")[:BREAKER_LIMIT]
    )
    return {
        "totals": _totals(executions),
        "timeline": _timeline(executions, period, now),
        "most_failing": [row for row in per_workflow if row["failed"]][:LIST_LIMIT],
        "workflows": sorted(per_workflow, key=lambda row: (-row["total"], row["workflow__name"])),
        "active_by_status": {status: active_by_status.get(status, 0) for status in sorted(ACTIVE)},
        "active_total": sum(active_by_status.values()),
        "oldest_active": list(oldest_active),
        "breakers_by_state": {state: breakers_by_state.get(state, 0) for state in CircuitBreakerState.values},
        "open_breakers": list(open_breakers),
    }
