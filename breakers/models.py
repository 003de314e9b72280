"""Circuit breakers, one row per external service, shared by every worker."""

import uuid

from django.conf import settings
from django.db import models


class CircuitBreakerState(models.TextChoices):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


def default_threshold():
    return settings.CIRCUIT_BREAKER_DEFAULTS["threshold"]


def default_timeout():
    return settings.CIRCUIT_BREAKER_DEFAULTS["timeout"]


def default_half_open_max_calls():
    return settings.CIRCUIT_BREAKER_DEFAULTS["halfOpenMaxCalls"]


class CircuitBreaker(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service_id = models.CharField(max_length=255, unique=True)
    state = models.CharField(max_length=16, choices=CircuitBreakerState.choices, default=CircuitBreakerState.CLOSED)
    failure_count = models.PositiveIntegerField(default=0)
    last_failure_time = models.DateTimeField(null=True, blank=True)
    last_success_time = models.DateTimeField(null=True, blank=True)
    threshold = models.PositiveIntegerField(default=default_threshold)
    timeout = models.PositiveIntegerField(default=default_timeout, help_text="Milliseconds before a half-open probe.")
    half_open_max_calls = models.PositiveIntegerField(default=default_half_open_max_calls)
    half_open_calls = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    # Half-open permits expire here, so a probe whose worker died cannot wedge the breaker.
    probe_lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service_id"]
        indexes = [models.Index(fields=["state"])]

    def __str__(self):
        return f"{self.service_id} ({self.state})"


class BreakerTransition(models.Model):
    """One change of a breaker's state: when (database clock), from, to, and why."""

    breaker = models.ForeignKey(CircuitBreaker, on_delete=models.CASCADE, related_name="transitions")
    at = models.DateTimeField()
    from_state = models.CharField(max_length=16, choices=CircuitBreakerState.choices)
    to_state = models.CharField(max_length=16, choices=CircuitBreakerState.choices)
    reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["breaker", "-at"])]

    def __str__(self):
        return f"{self.from_state} → {self.to_state} at {self.at:%Y-%m-%d %H:%M:%S}"
