"""Audit trail filters, with the API's camelCase parameter names."""

import django_filters

from audit.models import AuditEvent
from orchestration_site.filters import UTCIsoDateTimeFilter


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_username", help_text="Username of the actor.")
    action = django_filters.CharFilter(help_text="Exact action, e.g. workflow.updated.")
    targetType = django_filters.CharFilter(field_name="target_type")
    targetId = django_filters.CharFilter(field_name="target_id")
    createdAfter = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    createdBefore = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = []
