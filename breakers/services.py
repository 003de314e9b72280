"""Changes to circuit breakers; every write is atomic in the database."""

from django.db import transaction
from django.utils import timezone

from breakers.models import CircuitBreaker, CircuitBreakerState

CONFIG_FIELDS = {"threshold": "threshold", "timeout": "timeout", "halfOpenMaxCalls": "half_open_max_calls"}


def breaker_get_or_create(*, service_id):
    """Return the breaker for a service, creating it with the default settings on first use.

    Creation never overwrites a row another process made first.
    """
    breaker, _ = CircuitBreaker.objects.get_or_create(service_id=service_id)
    return breaker


@transaction.atomic
def breaker_configure(*, breaker, config):
    """Update threshold, timeout and halfOpenMaxCalls; state and counters stay as they are."""
    values = {CONFIG_FIELDS[key]: value for key, value in config.items()}
    CircuitBreaker.objects.filter(pk=breaker.pk).update(**values, updated_at=timezone.now())
    breaker.refresh_from_db()
    return breaker


@transaction.atomic
def breaker_reset(*, breaker):
    """Close the breaker and zero its counters."""
    CircuitBreaker.objects.filter(pk=breaker.pk).update(
        state=CircuitBreakerState.CLOSED,
        failure_count=0,
        half_open_calls=0,
        opened_at=None,
        updated_at=timezone.now(),
    )
    breaker.refresh_from_db()
    return breaker


def breaker_delete(*, breaker):
    """Forget a breaker; the next call to its service recreates it from the defaults."""
    breaker.delete()
