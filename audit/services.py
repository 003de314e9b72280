"""Write the audit trail; callers record inside the transaction of the change they audit."""

from audit.models import AuditEvent


def audit_record(*, actor, action, target_id="", target_type=None, details=None):
    """Record that `actor` did `action` to a target; never pass secret values in `details`.

    `target_type` defaults to the action's prefix (`workflow.updated` → `workflow`). An actor that
    is None or anonymous is recorded as the system.
    """
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_username=user.get_username() if user else "",
        action=str(action),
        target_type=target_type or str(action).split(".")[0],
        target_id="" if target_id is None else str(target_id),
        details=details or {},
    )
