"""Reads of circuit breakers for the dashboard: every breaker with its recent transitions."""

from django.db.models import Prefetch

from breakers import state
from breakers.models import BreakerTransition, CircuitBreaker

RECENT_TRANSITIONS = 5


def breaker_may_half_open_at(*, breaker):
    """When an OPEN breaker lets its first probe through (None unless OPEN)."""
    return state.may_half_open_at(
        state.Snapshot(breaker.state, 0, 1, breaker.timeout, 1, 0, opened_at=breaker.opened_at)
    )


def breaker_dashboard():
    """Every breaker, with its last few transitions prefetched in one query (a window per breaker)."""
    recent = BreakerTransition.objects.order_by("-at", "-id")[:RECENT_TRANSITIONS]
    return CircuitBreaker.objects.order_by("service_id").prefetch_related(
        Prefetch("transitions", queryset=recent, to_attr="recent_transitions")
    )
