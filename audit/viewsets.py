"""GET /api/v1/audit: the audit trail, read-only."""

from rest_framework import viewsets

from audit import selectors
from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from audit.serializers import AuditEventSerializer


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Who changed a workflow, started or operated an execution, reset a breaker, and when."""

    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter

    def get_queryset(self):
        return selectors.audit_event_list()
