"""The admin's metrics pages: figures from `executions.metrics`, drawn as SVG by `executions.charts`.

Wired in `orchestration_site/urls.py` behind `admin.site.admin_view`, so only staff reach them,
and only staff who may view executions (and, for a workflow's page, workflows) see them.
"""

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from executions import charts, metrics
from executions.models import VIEW_PERMISSION
from workflows.models import Workflow


def _period_or_400(request):
    try:
        return metrics.period_from(request.GET.get("range")), None
    except ValueError as error:
        return None, HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")


def _context(request, period, **extra):
    return {**admin.site.each_context(request), "period": period, "periods": metrics.PERIODS.values(), **extra}


def _timeline_charts(timeline, period):
    labels = [bucket["label"] for bucket in timeline]
    axis = "hour" if period.unit == "hour" else "day"
    return [
        charts.column_chart(
            title=f"Executions per {axis}",
            x_label=f"{axis} started",
            y_label="executions",
            categories=labels,
            series=[
                charts.Series("completed", [b["completed"] for b in timeline], charts.COMPLETED_COLOUR),
                charts.Series("failed", [b["failed"] for b in timeline], charts.FAILED_COLOUR),
            ],
        ),
        charts.line_chart(
            title=f"Success rate per {axis}",
            x_label=f"{axis} started",
            y_label="success rate (%)",
            categories=labels,
            series=[charts.Series("success rate", [b["success_rate"] for b in timeline], charts.COMPLETED_COLOUR)],
            y_max=100,
            unit="%",
        ),
    ]


@permission_required(VIEW_PERMISSION, raise_exception=True)
def overview_page(request):
    """Show totals, executions over time, the most failing workflows, active runs and open breakers."""
    period, error = _period_or_400(request)
    if error:
        return error
    data = metrics.metrics_overview(period=period)
    failing = data["most_failing"]
    page_charts = [
        *_timeline_charts(data["timeline"], period),
        charts.bar_chart(
            title="Most failing workflows",
            x_label="failed executions",
            y_label="workflow",
            labels=[row["workflow__name"] for row in failing],
            values=[row["failed"] for row in failing],
            colour=charts.FAILED_COLOUR,
        ),
    ]
    context = _context(request, period, title="Metrics", data=data, charts=page_charts)
    return TemplateResponse(request, "metrics/overview.html", context)


@permission_required([VIEW_PERMISSION, "workflows.view_workflow"], raise_exception=True)
def workflow_page(request, workflow_id):
    """Show one workflow's executions over time, success rate, duration percentiles, steps and failures."""
    workflow = get_object_or_404(Workflow, pk=workflow_id)
    period, error = _period_or_400(request)
    if error:
        return error
    data = metrics.metrics_workflow(workflow=workflow, period=period)
    percentiles = data["percentiles"]
    page_charts = [
        *_timeline_charts(data["timeline"], period),
        charts.bar_chart(
            title="Duration percentiles",
            x_label="duration (ms)",
            y_label="percentile",
            labels=list(percentiles),
            values=list(percentiles.values()),
            unit=" ms",
        ),
        charts.bar_chart(
            title="Average duration per step",
            x_label="average duration (ms)",
            y_label="step",
            labels=[row["step_id"] for row in data["steps"]],
            values=[row["average"] for row in data["steps"]],
            unit=" ms",
        ),
        charts.bar_chart(
            title="Failures by error type",
            x_label="failed executions",
            y_label="error type",
            labels=[row["error_type"] or "(none)" for row in data["failures_by_type"]],
            values=[row["count"] for row in data["failures_by_type"]],
            colour=charts.FAILED_COLOUR,
        ),
    ]
    context = _context(
        request, period, title=f"Metrics: {workflow.name}", workflow=workflow, data=data, charts=page_charts
    )
    return TemplateResponse(request, "metrics/workflow.html", context)
