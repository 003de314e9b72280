"""List filters for executions, with camelCase parameter names."""

import django_filters

from executions.models import WorkflowExecution
from executions.statuses import ExecutionStatus


class ExecutionFilter(django_filters.FilterSet):
    workflowId = django_filters.UUIDFilter(field_name="workflow_id")
    status = django_filters.MultipleChoiceFilter(choices=ExecutionStatus.choices)
    requestId = django_filters.CharFilter(field_name="request_id")
    startedAfter = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    startedBefore = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
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
