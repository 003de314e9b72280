"""The audit trail: who changed what, and when. Rows are only ever added."""

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    """What was done; the part before the dot is the target's type."""

    WORKFLOW_CREATED = "workflow.created"
    WORKFLOW_UPDATED = "workflow.updated"
    WORKFLOW_DELETED = "workflow.deleted"
    EXECUTION_STARTED = "execution.started"
    EXECUTION_CANCELLED = "execution.cancelled"
    EXECUTION_PAUSED = "execution.paused"
    EXECUTION_RESUMED = "execution.resumed"
    EXECUTION_RETRIED = "execution.retried"
    EXECUTION_RERUN = "execution.rerun"
    BREAKER_CONFIGURED = "breaker.configured"
    BREAKER_RESET = "breaker.reset"
    BREAKER_DELETED = "breaker.deleted"
    CONFIG_CHANGED = "config.changed"
    CONFIG_DELETED = "config.deleted"


class AuditEvent(models.Model):
    """One change made by a user (or by the system when `actor` is empty)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The user may be deleted later; the name they had stays with the record.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    # Not a choices field: adding an action must not need a migration (AuditAction lists them).
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username or 'system'} {self.action} {self.target_id}"
