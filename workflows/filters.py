"""List filters for workflows, with the API's camelCase parameter names."""

import django_filters

from orchestration_site.filters import UTCIsoDateTimeFilter
from workflows.models import ConfigEntry, Workflow, WorkflowStatus


class WorkflowFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WorkflowStatus.choices)
    category = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Name contains (case-insensitive).")
    createdAfter = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    createdBefore = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updatedAfter = UTCIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updatedBefore = UTCIsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "createdAt"),
            ("updated_at", "updatedAt"),
            ("name", "name"),
            ("category", "category"),
            ("status", "status"),
            ("version", "version"),
        )
    )

    class Meta:
        model = Workflow
        fields = []


class ConfigEntryFilter(django_filters.FilterSet):
    isSecret = django_filters.BooleanFilter(field_name="is_secret")

    class Meta:
        model = ConfigEntry
        fields = []
