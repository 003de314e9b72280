"""Executions in the admin: read-only records, with their steps inline."""

import json

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from rest_framework.exceptions import APIException

from executions import services
from executions.models import StepExecution, TriggerFiring, WorkflowExecution

STATUS_COLOURS = {
    "COMPLETED": "#2e7d32",
    "FAILED": "#c62828",
    "TIMED_OUT": "#c62828",
    "CANCELLED": "#757575",
    "RUNNING": "#1565c0",
    "WAITING": "#f9a825",
    "PENDING": "#757575",
    "SKIPPED": "#9e9e9e",
}


def badge(status):
    return format_html(
        '<span style="color:#fff;background:{};padding:2px 6px;border-radius:3px">{}</span>',
        STATUS_COLOURS.get(status, "#555"),
        status,
    )


def pretty(value):
    return format_html(
        "<pre style='white-space:pre-wrap;max-width:60em'>{}</pre>", json.dumps(value, indent=2, default=str)
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records are shown, never edited: they change only through the engine and its services."""

    @admin.display(description="input")
    def pretty_input(self, obj):
        return pretty(obj.input)

    @admin.display(description="output")
    def pretty_output(self, obj):
        return pretty(obj.output)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StepInline(admin.TabularInline):
    model = StepExecution
    fk_name = "execution"
    extra = 0
    can_delete = False
    fields = ["key", "step_type", "status_badge", "attempt", "started_at", "duration", "error"]
    readonly_fields = fields
    ordering = ["created_at", "item_index"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="status")
    def status_badge(self, obj):
        return badge(obj.status)


def _operation(service, done, permission):
    def run(modeladmin, request, queryset):
        succeeded, refused = 0, []
        for execution in queryset:
            try:
                service(execution=execution, actor=request.user)
                succeeded += 1
            except APIException as error:
                refused.append(f"{execution.pk}: {error.detail}")
        if succeeded:
            modeladmin.message_user(request, f"{done} {succeeded} execution(s).", messages.SUCCESS)
        for line in refused:
            modeladmin.message_user(request, line, messages.WARNING)

    run.__name__ = service.__name__.removeprefix("execution_")
    return admin.action(description=f"{done.capitalize()} selected executions", permissions=[permission])(run)


@admin.register(WorkflowExecution)
class WorkflowExecutionAdmin(ReadOnlyAdmin):
    list_display = ["id", "workflow", "status_badge", "started_at", "duration", "current_step_id", "error_type"]
    list_filter = ["status", "workflow", "started_at"]
    search_fields = ["id", "request_id", "workflow__name", "error"]
    date_hierarchy = "started_at"
    inlines = [StepInline]
    actions = [
        _operation(services.execution_cancel, "cancelled", "operate"),
        _operation(services.execution_pause, "paused", "operate"),
        _operation(services.execution_resume, "resumed", "operate"),
        _operation(services.execution_retry, "retried", "operate"),
        _operation(services.execution_rerun, "started again", "rerun"),
    ]

    def has_operate_permission(self, request):
        return request.user.has_perm("executions.operate_execution")

    def has_rerun_permission(self, request):
        return request.user.has_perm("executions.start_execution")

    fields = [
        "id",
        "workflow",
        "workflow_version",
        "request_id",
        "status",
        "started_at",
        "completed_at",
        "duration",
        "current_step_id",
        "error_type",
        "error",
        "pretty_input",
        "pretty_output",
        "metadata",
    ]
    readonly_fields = fields

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return badge(obj.status)


@admin.register(StepExecution)
class StepExecutionAdmin(ReadOnlyAdmin):
    list_display = ["key", "execution", "step_type", "status", "attempt", "duration", "error_type"]
    list_filter = ["status", "step_type"]
    search_fields = ["key", "step_id", "execution__id"]
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
        return pretty(obj.logs)


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
