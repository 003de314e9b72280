"""Workflow definitions and the config store that `{{config.key}}` reads."""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from workflows.fields import ConfigValueField


class WorkflowStatus(models.TextChoices):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    ARCHIVED = "ARCHIVED"


class Workflow(models.Model):
    """An ordered set of steps, stored as the spec's JSON."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, db_index=True)
    description = models.TextField(blank=True, null=True)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=WorkflowStatus.choices, default=WorkflowStatus.DRAFT)
    category = models.CharField(max_length=100)
    triggers = models.JSONField(default=list, blank=True)
    steps = models.JSONField(default=list, blank=True)
    error_handlers = models.JSONField(default=list, blank=True, null=True)
    timeout = models.PositiveIntegerField(null=True, blank=True, help_text="Milliseconds for a whole execution.")
    retry_policy = models.JSONField(
        null=True, blank=True, help_text="Default retryPolicy for steps that have none of their own."
    )
    metadata = models.JSONField(default=dict, blank=True, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "category"]),
            models.Index(fields=["category"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def definition(self):
        """Return the part of the workflow that an execution runs."""
        return {
            "steps": self.steps,
            "errorHandlers": self.error_handlers or [],
            "timeout": self.timeout,
            "retryPolicy": self.retry_policy,
        }


class WorkflowVersion(models.Model):
    """One immutable version of a workflow's definition: written once, never changed."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    triggers = models.JSONField(default=list, blank=True)
    steps = models.JSONField(default=list, blank=True)
    error_handlers = models.JSONField(default=list, blank=True, null=True)
    timeout = models.PositiveIntegerField(null=True, blank=True)
    retry_policy = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["workflow", "-version"]
        constraints = [models.UniqueConstraint(fields=["workflow", "version"], name="unique_workflow_version")]

    def __str__(self):
        return f"{self.workflow_id} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A workflow version is immutable; make a new version instead.")
        super().save(*args, **kwargs)

    def definition(self):
        """Return the versioned fields under their API names."""
        return {
            "triggers": self.triggers,
            "steps": self.steps,
            "errorHandlers": self.error_handlers or [],
            "timeout": self.timeout,
            "retryPolicy": self.retry_policy,
        }


class ConfigEntry(models.Model):
    """A value that workflows read as `{{config.<key>}}`; secrets are encrypted at rest and never shown again."""

    key = models.CharField(
        max_length=200,
        unique=True,
        # What `{{config.<key>}}` and the API's /config/<key> can both name.
        validators=[
            RegexValidator(r"^[A-Za-z0-9_.-]+$", "Use only letters, digits, '_', '.' and '-' (no spaces or '/').")
        ],
    )
    # Plain JSON, or a Fernet token when is_secret (workflows/fields.py); reads see the value.
    value = ConfigValueField(null=True, blank=True)
    is_secret = models.BooleanField(default=False)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "config value"
        verbose_name_plural = "config values"

    def __str__(self):
        return self.key
