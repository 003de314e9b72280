"""List filters for executions, with camelCase parameter names."""

import django_filters

from executions.models import StepExecution, WorkflowExecution
from executions.statuses import ExecutionStatus
from orchestration_site.filters import UTCIsoDateTimeFilter


class ExecutionFilter(django_filters.FilterSet):
    workflowId = django_filters.UUIDFilter(field_name="workflow_id")
    status = django_filters.MultipleChoiceFilter(choices=ExecutionStatus.choices)
    requestId = django_filters.CharFilter(field_name="request_id")
    startedAfter = UTCIsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    startedBefore = UTCIsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("started_at", "startedAt"),
            ("completed_at", "completedAt"),
            ("duration", "duration"),
            ("status", "status"),
        )
    )

    class Meta:
        model = WorkflowExecution
        fields = []


class StepExecutionFilter(django_filters.FilterSet):
    """Filters of one execution's step records (GET /api/v1/executions/:id/steps)."""

    status = django_filters.MultipleChoiceFilter(choices=ExecutionStatus.choices)
    stepId = django_filters.CharFilter(field_name="step_id")
    stepType = django_filters.CharFilter(field_name="step_type")
    parentId = django_filters.UUIDFilter(field_name="parent_id")

    class Meta:
        model = StepExecution
        fields = []
