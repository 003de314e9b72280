"""Read the audit trail."""

from audit.models import AuditEvent


def audit_event_list():
    """Return every audit event, newest first, with its actor."""
    return AuditEvent.objects.select_related("actor")
