"""List filters for executions, with camelCase parameter names."""

import django_filters

from executions.models import WorkflowExecution
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
