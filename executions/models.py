"""Executions and their step records: the engine's source of truth."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from executions.fields import MaskedJSONField, MaskedTextField
from executions.statuses import ExecutionStatus

# The permissions (declared on WorkflowExecution) that running and operating executions need.
START_PERMISSION = "executions.start_execution"
OPERATE_PERMISSION = "executions.operate_execution"
# Django's own; the metrics pages and a session's /metrics show what executions did, so they need it.
VIEW_PERMISSION = "executions.view_workflowexecution"
# A step still to finish: waiting for a worker, for its time, or running.
OPEN_STEP_STATUSES = [ExecutionStatus.PENDING, ExecutionStatus.WAITING, ExecutionStatus.RUNNING]
# A step that ended without completing (and did not skip).
FAILED_STEP_STATUSES = [ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.CANCELLED]


class WorkflowExecution(models.Model):
    """One run of a workflow (or of an ad-hoc orchestration request)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Not indexed alone: the (workflow, started_at) index below serves every lookup by workflow.
    workflow = models.ForeignKey(
        "workflows.Workflow",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="executions",
        db_index=False,
    )
    workflow_version = models.PositiveIntegerField(default=1)
    request_id = models.CharField(max_length=200, unique=True, null=True, blank=True)
    status = models.CharField(max_length=16, choices=ExecutionStatus.choices, default=ExecutionStatus.PENDING)
    input = models.JSONField(default=dict, blank=True)
    output = MaskedJSONField(null=True, blank=True)
    current_step_id = models.CharField(max_length=200, null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Milliseconds, set when it ends.")
    error = MaskedTextField(null=True, blank=True)
    error_type = models.CharField(max_length=40, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True, null=True)
    # The definition this run follows, copied at start: editing the workflow never changes a run.
    definition = models.JSONField(default=dict, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["workflow", "-started_at"]),
            models.Index(fields=["status", "-started_at"]),
            models.Index(fields=["-started_at"]),
            models.Index(fields=["workflow", "status", "duration"]),
        ]
        # Running is its own right, apart from the records' add/change (which nobody needs).
        permissions = [
            ("start_execution", "Can start executions (run a workflow, orchestration request, rerun)"),
            ("operate_execution", "Can cancel, pause, resume and retry executions"),
        ]

    def __str__(self):
        return f"{self.id} ({self.status})"


class StepExecution(models.Model):
    """The record of one step run: input, output, attempts, timings, error and logs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Neither key is indexed alone: the composite indexes below start with it. Every index is
    # written on each step's insert and again when its status changes.
    execution = models.ForeignKey(
        WorkflowExecution, on_delete=models.CASCADE, related_name="steps_executed", db_index=False
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", db_index=False
    )
    # Unique within the execution and stable across redeliveries: "step_3/step_3a", "loop[4]/call".
    key = models.CharField(max_length=1000)
    scope = models.CharField(max_length=1000, blank=True, default="")
    step_id = models.CharField(max_length=200)
    step_name = models.CharField(max_length=200, blank=True, default="")
    step_type = models.CharField(max_length=40)
    item_index = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=ExecutionStatus.choices, default=ExecutionStatus.PENDING)
    input = MaskedJSONField(null=True, blank=True)
    output = MaskedJSONField(null=True, blank=True)
    variables = MaskedJSONField(null=True, blank=True)
    state = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    # While RUNNING: past this time its worker is presumed dead and the recovery sweep takes it back.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # When the recovery sweep last sent it again, so a backlog is resent once per stale period.
    resent_at = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Milliseconds.")
    attempt = models.PositiveIntegerField(default=1)
    error = MaskedTextField(null=True, blank=True)
    error_type = models.CharField(max_length=40, null=True, blank=True)
    logs = MaskedJSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "item_index"]
        constraints = [models.UniqueConstraint(fields=["execution", "key"], name="unique_step_key_per_execution")]
        indexes = [
            models.Index(fields=["execution", "status"]),
            # A step's context reads the completed results of its own scopes: one FOR_EACH item's
            # lookup must not scan every completed record of a 10,000-item run.
            models.Index(fields=["execution", "scope", "status"]),
            models.Index(fields=["parent", "item_index"]),
            # The sweeps' and the queue gauges' indexes hold open steps only: a completed step
            # leaves them, and most steps are completed.
            models.Index(
                fields=["status", "scheduled_at"], condition=Q(status__in=OPEN_STEP_STATUSES), name="step_open_idx"
            ),
            models.Index(
                fields=["lease_expires_at"], condition=Q(status=ExecutionStatus.RUNNING), name="step_lease_idx"
            ),
            # The admin's filter on failed steps: failures are few, so it stays small.
            models.Index(
                fields=["status", "created_at"], condition=Q(status__in=FAILED_STEP_STATUSES), name="step_failed_idx"
            ),
        ]

    def __str__(self):
        return f"{self.key} ({self.status})"


class TriggerSource(models.TextChoices):
    MANUAL = "MANUAL"
    API = "API"
    WEBHOOK = "WEBHOOK"
    SCHEDULE = "SCHEDULE"
    EVENT = "EVENT"


class TriggerFiring(models.Model):
    """One time a trigger started a workflow; its unique constraints make each firing happen once.

    A schedule's due time, a webhook's delivery id (or signature) and an event's idempotency key
    can each be recorded once per workflow: a second scheduler, a replayed delivery or a repeated
    event meets the constraint and starts nothing.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workflow = models.ForeignKey("workflows.Workflow", on_delete=models.CASCADE, related_name="firings")
    # Position of the trigger in the workflow's `triggers`; null for a run without a declared trigger.
    trigger_index = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=TriggerSource.choices)
    due_at = models.DateTimeField(null=True, blank=True, help_text="The schedule's due time.")
    delivery_id = models.CharField(max_length=200, null=True, blank=True)
    # The webhook's HMAC signature: a captured request replayed under another delivery id is still refused.
    signature = models.CharField(max_length=64, null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    event_type = models.CharField(max_length=200, null=True, blank=True)
    # Kept when old executions are pruned, so a delivery or due time is never taken again.
    execution = models.ForeignKey(
        WorkflowExecution, on_delete=models.SET_NULL, null=True, blank=True, related_name="firings"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "trigger_index", "due_at"],
                condition=models.Q(due_at__isnull=False),
                name="unique_schedule_due_time",
            ),
            models.UniqueConstraint(
                fields=["workflow", "delivery_id"],
                condition=models.Q(delivery_id__isnull=False),
                name="unique_webhook_delivery",
            ),
            models.UniqueConstraint(
                fields=["workflow", "signature"],
                condition=models.Q(signature__isnull=False),
                name="unique_webhook_signature",
            ),
            models.UniqueConstraint(
                fields=["workflow", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="unique_event_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["workflow", "-created_at"])]

    def __str__(self):
        return f"{self.source} {self.workflow_id} {self.created_at:%Y-%m-%d %H:%M:%S}"
