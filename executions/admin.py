"""Executions in the admin: read-only records, a live step timeline, operations through the services."""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from rest_framework.exceptions import APIException

from executions import selectors, services
from executions.engine import runner
from executions.engine.context import ConfigStore, mask
from executions.models import OPERATE_PERMISSION, START_PERMISSION, StepExecution, TriggerFiring, WorkflowExecution
from executions.statuses import ACTIVE, TERMINAL, ExecutionStatus
from executions.timeline import timeline_of
from workflows.selectors import config_values

S = ExecutionStatus
ACTIVE_PAGE_LIMIT = 200

STATUS_COLOURS = {
    "COMPLETED": "#2e7d32",
    "FAILED": "#c62828",
    "TIMED_OUT": "#c62828",
    "CANCELLED": "#757575",
    "RUNNING": "#1565c0",
    "WAITING": "#f9a825",
    "PAUSED": "#6a1b9a",
    "PENDING": "#757575",
    "SKIPPED": "#9e9e9e",
}

# name → (service, permission, statuses it applies to, past tense for the message)
OPERATIONS = {
    "cancel": (services.execution_cancel, OPERATE_PERMISSION, ACTIVE, "cancelled"),
    "pause": (services.execution_pause, OPERATE_PERMISSION, {S.RUNNING, S.WAITING}, "paused"),
    "resume": (services.execution_resume, OPERATE_PERMISSION, {S.PAUSED}, "resumed"),
    "retry": (services.execution_retry, OPERATE_PERMISSION, {S.FAILED}, "retried"),
    "rerun": (services.execution_rerun, START_PERMISSION, TERMINAL, "started again"),
}


def badge(status):
    return format_html(
        '<span class="exec-badge" style="color:#fff;background:{};padding:2px 6px;border-radius:3px">{}</span>',
        STATUS_COLOURS.get(status, "#555"),
        status,
    )


MAX_SHOWN_CHARS = 20_000
MAX_SHOWN_STEPS = 500


def pretty(value):
    """A value as indented JSON, cut at MAX_SHOWN_CHARS (the API has it whole).

    Indenting costs depth × lines: a value nested hundreds deep is shown compact.
    """
    text = json.dumps(value, default=str)
    if len(text) <= MAX_SHOWN_CHARS:
        indented = json.dumps(value, indent=2, default=str)
        text = indented if len(indented) <= 4 * MAX_SHOWN_CHARS else text
    if len(text) > MAX_SHOWN_CHARS:
        more = len(text) - MAX_SHOWN_CHARS
        text = f"{text[:MAX_SHOWN_CHARS]}\n… {more:,} more characters (the API shows the whole value)"
    return format_html("<pre style='white-space:pre-wrap;max-width:60em'>{}</pre>", text)


def detail_text(detail):
    """An API error's detail as one line: "fromStepId: Not a top-level step…" rather than a dict's repr."""
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {detail_text(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(detail_text(value) for value in detail)
    return str(detail)


def current_secrets():
    """Every secret config string: records are masked when written, and again when shown (a secret added later)."""
    return ConfigStore(*config_values()).secrets()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records are shown, never edited: they change only through the engine and its services."""

    @admin.display(description="input")
    def pretty_input(self, obj):
        return pretty(mask(obj.input, current_secrets()))

    @admin.display(description="output")
    def pretty_output(self, obj):
        return pretty(mask(obj.output, current_secrets()))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _operation(service, verb, done, permission):
    def run(modeladmin, request, queryset):
        succeeded, refused = 0, []
        for execution in queryset:
            try:
                service(execution=execution, actor=request.user)
                succeeded += 1
            except APIException as error:
                refused.append(f"{execution.pk}: {detail_text(error.detail)}")
        if succeeded:
            modeladmin.message_user(request, f"{done.capitalize()} {succeeded} execution(s).", messages.SUCCESS)
        for line in refused:
            modeladmin.message_user(request, line, messages.WARNING)

    run.__name__ = service.__name__.removeprefix("execution_")
    return admin.action(description=f"{verb.capitalize()} selected executions", permissions=[permission])(run)


class OutcomeFilter(admin.SimpleListFilter):
    """Presets over status: the failed runs (FAILED or TIMED_OUT), the active ones, the finished ones."""

    title = "outcome"
    parameter_name = "outcome"
    PRESETS = {
        "failed": ("Failed or timed out", [S.FAILED, S.TIMED_OUT]),
        "active": ("Active", sorted(ACTIVE)),
        "finished": ("Finished", sorted(TERMINAL)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.PRESETS.items()]

    def queryset(self, request, queryset):
        preset = self.PRESETS.get(self.value())
        return queryset.filter(status__in=preset[1]) if preset else queryset


@admin.register(WorkflowExecution)
class WorkflowExecutionAdmin(ReadOnlyAdmin):
    change_form_template = "admin/executions/workflowexecution/change_form.html"
    change_list_template = "admin/executions/workflowexecution/change_list.html"
    list_display = ["id", "workflow", "status_badge", "started_at", "duration", "current_step_id", "error_type"]
    list_filter = [OutcomeFilter, "status", "workflow", "started_at"]
    search_fields = ["id", "request_id", "workflow__name", "error"]
    list_select_related = ["workflow"]
    # With many executions stored, one COUNT of the filtered rows is enough; no second one of all rows.
    show_full_result_count = False
    actions = [
        _operation(services.execution_cancel, "cancel", "cancelled", "operate"),
        _operation(services.execution_pause, "pause", "paused", "operate"),
        _operation(services.execution_resume, "resume", "resumed", "operate"),
        _operation(services.execution_retry, "retry", "retried", "operate"),
        _operation(services.execution_rerun, "run again", "started again", "rerun"),
    ]
    fields = [
        "id",
        "workflow",
        "workflow_version",
        "request_id",
        "started_at",
        "pretty_input",
        "metadata",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.execution_list()

    def has_delete_permission(self, request, obj=None):
        # A run in progress is cancelled first: deleting it under its worker would drop work mid-step.
        if obj is not None and obj.status in ACTIVE:
            return False
        return super().has_delete_permission(request, obj)

    def has_operate_permission(self, request):
        return request.user.has_perm(OPERATE_PERMISSION)

    def has_rerun_permission(self, request):
        return request.user.has_perm(START_PERMISSION)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return badge(obj.status)

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("active/", view(self.active_view), name="executions_workflowexecution_active"),
            path("active/live/", view(self.active_live_view), name="executions_workflowexecution_active_live"),
            path("<path:object_id>/live/", view(self.live_view), name="executions_workflowexecution_live"),
            path(
                "<path:object_id>/operate/<str:operation>/",
                view(self.operate_view),
                name="executions_workflowexecution_operate",
            ),
            *super().get_urls(),
        ]

    # ---------------------------------------------------------------- the execution page

    def live_context(self, request, execution):
        """What the live part of an execution's page shows: status, actions, timeline and steps."""
        now = timezone.now()
        records = selectors.steps_of(execution)
        steps = list(records[:MAX_SHOWN_STEPS])
        steps_total = len(steps) if len(steps) < MAX_SHOWN_STEPS else records.count()
        secrets = current_secrets()
        for step in steps:
            step.shown = {name: pretty(mask(getattr(step, name), secrets)) for name in ("input", "output", "logs")}
            step.shown_error = mask(step.error, secrets)
            step.badge = badge(step.status)
        allowed = [
            name
            for name, (_, permission, statuses, _) in OPERATIONS.items()
            if execution.status in statuses and request.user.has_perm(permission)
        ]
        # A rerun may start at any top-level step of the recorded definition.
        rerun_steps = runner.main_sequence_of(execution) if "rerun" in allowed else []
        return {
            "execution": execution,
            "rerun_steps": rerun_steps,
            "badge": badge(execution.status),
            "finished": execution.status in TERMINAL,
            "error": mask(execution.error, secrets),
            "output": pretty(mask(execution.output, secrets)),
            "operations": allowed,
            "timeline": timeline_of(steps, start=execution.started_at, end=execution.completed_at or now),
            "steps": steps,
            "steps_total": steps_total,
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        execution = self.get_object(request, object_id)
        extra = {}
        if execution is not None and self.has_view_permission(request, execution):
            # The subtitle names the run without its status, which the live part keeps current.
            extra = {**self.live_context(request, execution), "subtitle": str(execution.pk)}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def live_view(self, request, object_id):
        """The live part of an execution's page, as an HTML fragment the page polls."""
        execution = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, execution):
            raise PermissionDenied
        context = self.live_context(request, execution)
        response = TemplateResponse(request, "admin/executions/_execution_live.html", context)
        response["X-Finished"] = "1" if context["finished"] else "0"
        return response

    def operate_view(self, request, object_id, operation):
        """Cancel, pause, resume, retry or rerun one execution (POST), through the API's services."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if operation not in OPERATIONS:
            raise PermissionDenied
        service, permission, _, done = OPERATIONS[operation]
        execution = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not (self.has_view_permission(request, execution) and request.user.has_perm(permission)):
            raise PermissionDenied
        options = {"from_step_id": request.POST.get("from_step_id") or None} if operation == "rerun" else {}
        try:
            result = service(execution=execution, actor=request.user, **options)
        except APIException as error:
            self.message_user(request, f"Not {done}: {detail_text(error.detail)}", messages.WARNING)
            return redirect("admin:executions_workflowexecution_change", execution.pk)
        if operation == "rerun":
            self.message_user(request, f"Started again as execution {result.pk}.", messages.SUCCESS)
            return redirect("admin:executions_workflowexecution_change", result.pk)
        self.message_user(request, f"Execution {done}.", messages.SUCCESS)
        return redirect("admin:executions_workflowexecution_change", execution.pk)

    # ---------------------------------------------------------------- the active executions page

    def active_context(self, request):
        now = timezone.now()
        executions = list(
            selectors.active_executions()
            .select_related("workflow")
            .defer("input", "output", "metadata", "workflow__steps", "workflow__triggers", "workflow__error_handlers")
            .annotate(
                steps_total=Count("steps_executed"),
                steps_done=Count("steps_executed", filter=Q(steps_executed__status__in=sorted(TERMINAL))),
            )
            .order_by("-started_at")[:ACTIVE_PAGE_LIMIT]
        )
        for execution in executions:
            execution.badge = badge(execution.status)
            execution.elapsed_ms = int((now - execution.started_at).total_seconds() * 1000)
        return {"executions": executions, "limit": ACTIVE_PAGE_LIMIT, "now": now}

    def active_view(self, request):
        """The executions still running, waiting or paused; the table refreshes itself."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Active executions",
            "opts": self.opts,
            **self.active_context(request),
        }
        return TemplateResponse(request, "admin/executions/workflowexecution/active.html", context)

    def active_live_view(self, request):
        """The active executions table, as an HTML fragment the page polls."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = TemplateResponse(request, "admin/executions/_active_rows.html", self.active_context(request))
        response["X-Finished"] = "0"
        return response


@admin.register(StepExecution)
class StepExecutionAdmin(ReadOnlyAdmin):
    list_display = ["key", "execution", "step_type", "status", "attempt", "duration", "error_type"]
    list_filter = ["status", "step_type"]
    search_fields = ["key", "step_id", "execution__id"]
    list_select_related = ["execution"]
    show_full_result_count = False
    fields = [
        "execution",
        "parent",
        "key",
        "step_id",
        "step_name",
        "step_type",
        "item_index",
        "status",
        "attempt",
        "started_at",
        "completed_at",
        "scheduled_at",
        "duration",
        "error_type",
        "error",
        "pretty_input",
        "pretty_output",
        "pretty_logs",
    ]
    readonly_fields = fields

    @admin.display(description="logs")
    def pretty_logs(self, obj):
        return pretty(mask(obj.logs, current_secrets()))


@admin.register(TriggerFiring)
class TriggerFiringAdmin(ReadOnlyAdmin):
    """What started each workflow: schedule due times, webhook deliveries, events, manual and API runs."""

    list_display = ["created_at", "workflow", "source", "trigger_index", "due_at", "delivery_id", "execution_link"]
    list_filter = ["source", "workflow", "created_at"]
    search_fields = ["workflow__name", "delivery_id", "idempotency_key", "event_type", "execution__id"]
    date_hierarchy = "created_at"
    list_select_related = ["workflow", "execution"]
    fields = [
        "id",
        "workflow",
        "source",
        "trigger_index",
        "due_at",
        "delivery_id",
        "idempotency_key",
        "event_type",
        "execution_link",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="execution")
    def execution_link(self, obj):
        if obj.execution_id is None:
            return "—"
        url = reverse("admin:executions_workflowexecution_change", args=[obj.execution_id])
        return format_html('<a href="{}">{}</a> {}', url, obj.execution_id, badge(obj.execution.status))
