"""Changes to circuit breakers, shared by every worker process on every machine.

A state change happens under a row lock, with times from the database clock, so exactly one
caller makes each transition however many race, and no worker's clock is trusted.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.db.models.functions import Now
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from breakers import state
from breakers.models import BreakerTransition, CircuitBreaker, CircuitBreakerState
from orchestration_site import prepared

CONFIG_FIELDS = {"threshold": "threshold", "timeout": "timeout", "halfOpenMaxCalls": "half_open_max_calls"}
# A success in CLOSED with no failures counted only refreshes last_success_time: at most this
# often, so calls to a healthy service do not all write (and queue on) its breaker's row.
SUCCESS_REFRESH = timedelta(seconds=1)
_REFRESHED_SINCE = ExpressionWrapper(Now() - SUCCESS_REFRESH, output_field=DateTimeField())


@dataclass(frozen=True)
class Permit:
    """Leave to make one call; a probe permit holds one of the half-open slots."""

    service_id: str
    probe: bool = False
    # The breaker was CLOSED, with no failures counted and a success recorded just now: a
    # success of this call changes nothing worth a write.
    settled: bool = False


class BreakerOpen(Exception):
    """The breaker refused the call; `retry_at` is the earliest time it may let one through.

    `now` is the database's clock when it refused, so the wait until `retry_at` does not
    depend on the worker's clock.
    """

    def __init__(self, service_id, retry_at, now=None):
        super().__init__(f"Circuit breaker {service_id!r} is open until {retry_at:%Y-%m-%dT%H:%M:%S.%fZ}.")
        self.service_id = service_id
        self.retry_at = retry_at
        self.now = now


def breaker_get_or_create(*, service_id):
    """Return the breaker for a service, creating it with the default settings on first use.

    Creation never overwrites a row another process made first.
    """
    breaker, _ = CircuitBreaker.objects.get_or_create(service_id=service_id)
    return breaker


def _snapshot(breaker):
    return state.Snapshot(
        state=breaker.state,
        failure_count=breaker.failure_count,
        threshold=breaker.threshold,
        timeout_ms=breaker.timeout,
        half_open_max_calls=breaker.half_open_max_calls,
        half_open_calls=breaker.half_open_calls,
        opened_at=breaker.opened_at,
        probe_lease_until=breaker.probe_lease_until,
    )


@cache
def _read_sql():
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in CircuitBreaker._meta.concrete_fields)
    service = quote(CircuitBreaker._meta.get_field("service_id").column)
    table = quote(CircuitBreaker._meta.db_table)
    return f"SELECT statement_timestamp(), {columns} FROM {table} WHERE {service} = %s"  # noqa: S608


def _read(service_id):
    """The service's breaker with the database's clock as `db_now` (Django's Now()), or None.

    On PostgreSQL one prepared statement: this read decides every refused call, and the ORM's
    building of it cost five times the round trip.
    """
    if connection.vendor != "postgresql":
        return CircuitBreaker.objects.annotate(db_now=Now()).filter(service_id=service_id).first()
    with connection.cursor() as cursor:
        prepared.execute(cursor, _read_sql(), [service_id])
        values = cursor.fetchone()
    if values is None:
        return None
    breaker = prepared.instance(CircuitBreaker, CircuitBreaker._meta.concrete_fields, values[1:])
    breaker.db_now = values[0]
    return breaker


def _locked(service_id):
    """Lock the breaker's row (creating it first if needed) and read the database clock."""
    breaker_get_or_create(service_id=service_id)
    return CircuitBreaker.objects.select_for_update().annotate(db_now=Now()).get(service_id=service_id)


def _apply(breaker, decision, now):
    if decision.changes:
        CircuitBreaker.objects.filter(pk=breaker.pk).update(**decision.changes, updated_at=now)
    if decision.transition:
        from_state, to_state, reason = decision.transition
        BreakerTransition.objects.create(
            breaker=breaker, at=now, from_state=from_state, to_state=to_state, reason=reason
        )


def breaker_acquire(*, service_id, lease_ms=60_000, read=None):
    """Return a Permit for one call to the service, or raise BreakerOpen (no I/O was made).

    One read decides every call that changes nothing (CLOSED, or OPEN before its timeout); only
    a change of state (OPEN → HALF_OPEN, a probe slot) takes the row lock and decides again.
    `read` is that read made already (the breaker's row with `db_now`), a moment ago.
    """
    lease = timedelta(milliseconds=lease_ms)
    breaker = read or _read(service_id)
    if breaker is None:
        breaker_get_or_create(service_id=service_id)
        return Permit(service_id)  # a new breaker is CLOSED
    decision = state.acquire(_snapshot(breaker), breaker.db_now, lease)
    if not decision.changes and not decision.transition:
        if not decision.allowed:
            raise BreakerOpen(service_id, decision.retry_at, breaker.db_now)
        settled = (
            breaker.state == CircuitBreakerState.CLOSED
            and breaker.failure_count == 0
            and breaker.last_success_time is not None
            and breaker.db_now - breaker.last_success_time < SUCCESS_REFRESH
        )
        return Permit(service_id, probe=decision.probe, settled=settled)
    with transaction.atomic():
        breaker = _locked(service_id)
        decision = state.acquire(_snapshot(breaker), breaker.db_now, lease)
        _apply(breaker, decision, breaker.db_now)
    if not decision.allowed:
        raise BreakerOpen(service_id, decision.retry_at, breaker.db_now)
    return Permit(service_id, probe=decision.probe)


def breaker_record(*, permit, success, reason=""):
    """Record how a permitted call went, and move the breaker if that changes its state."""
    if success and permit.settled:
        return
    if success and not permit.probe and _refreshed_if_closed(permit.service_id):
        return
    with transaction.atomic():
        breaker = (
            CircuitBreaker.objects.select_for_update()
            .annotate(db_now=Now())
            .filter(service_id=permit.service_id)
            .first()
        )
        if breaker is None:  # deleted meanwhile: the next call recreates it
            return
        snapshot = _snapshot(breaker)
        if success:
            decision = state.on_success(snapshot, permit.probe, breaker.db_now)
        else:
            decision = state.on_failure(snapshot, permit.probe, breaker.db_now, reason)
        _apply(breaker, decision, breaker.db_now)


def _refreshed_if_closed(service_id):
    """A success in CLOSED: reset the count and refresh last_success_time, one statement outside
    a transaction.

    Only if due (failures counted, or no success in the last SUCCESS_REFRESH): of a burst of
    calls that were all permitted before the refresh, one writes and the others neither write
    nor wait. With no failure counted, a success that finds the row held (by another refresh,
    by a failure being recorded) counts as the earlier of the two: both orders are true of
    calls that ended together. With failures counted it must reset them, after a failure being
    recorded if that came first, so it returns False and the locked path waits and decides;
    False too when the breaker is not CLOSED.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            this_closed = [service_id, CircuitBreakerState.CLOSED]
            prepared.execute(cursor, _refresh_sql(), [*this_closed, SUCCESS_REFRESH, *this_closed])
            return cursor.fetchone()[0]
    closed = CircuitBreaker.objects.filter(service_id=service_id, state=CircuitBreakerState.CLOSED)
    due = Q(failure_count__gt=0) | Q(last_success_time__isnull=True) | Q(last_success_time__lt=_REFRESHED_SINCE)
    return bool(closed.filter(due).update(failure_count=0, last_success_time=Now())) or closed.exists()


@cache
def _refresh_sql():
    quote = connection.ops.quote_name
    table = quote(CircuitBreaker._meta.db_table)
    pk, service, state_, failures, success = (
        quote(CircuitBreaker._meta.get_field(name).column)
        for name in ("id", "service_id", "state", "failure_count", "last_success_time")
    )
    closed = f"{service} = %s AND {state_} = %s"
    due = f"({failures} > 0 OR {success} IS NULL OR {success} < statement_timestamp() - %s::interval)"
    return (
        # The lock the UPDATE takes itself (not FOR UPDATE, which a transition's insert waits on).
        f"WITH due AS (SELECT {pk} FROM {table} WHERE {closed} AND {due}"  # noqa: S608
        " FOR NO KEY UPDATE SKIP LOCKED),"
        f" refreshed AS (UPDATE {table} SET {failures} = 0, {success} = statement_timestamp()"
        f" WHERE {pk} IN (SELECT {pk} FROM due) RETURNING 1)"
        f" SELECT EXISTS (SELECT 1 FROM refreshed)"
        f" OR EXISTS (SELECT 1 FROM {table} WHERE {closed} AND {failures} = 0)"
    )


def breaker_release(*, permit):
    """Give back a probe slot whose call never finished (the caller hit a bug, not the service)."""
    if permit.probe:
        CircuitBreaker.objects.filter(
            service_id=permit.service_id, state=CircuitBreakerState.HALF_OPEN, half_open_calls__gt=0
        ).update(half_open_calls=F("half_open_calls") - 1)


@transaction.atomic
def breaker_configure(*, breaker, config, actor=None):
    """Update threshold, timeout and halfOpenMaxCalls; state and counters stay as they are."""
    values = {CONFIG_FIELDS[key]: value for key, value in config.items()}
    CircuitBreaker.objects.filter(pk=breaker.pk).update(**values, updated_at=timezone.now())
    breaker.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.BREAKER_CONFIGURED, target_id=breaker.service_id, details=config)
    return breaker


@transaction.atomic
def breaker_reset(*, breaker, reason="reset by an operator", actor=None):
    """Close the breaker and zero its counters."""
    locked = CircuitBreaker.objects.select_for_update().annotate(db_now=Now()).get(pk=breaker.pk)
    decision = state.Decision(
        changes={
            "state": CircuitBreakerState.CLOSED,
            "failure_count": 0,
            "half_open_calls": 0,
            "opened_at": None,
            "probe_lease_until": None,
        },
        transition=(locked.state, CircuitBreakerState.CLOSED, reason) if locked.state != "CLOSED" else None,
    )
    _apply(locked, decision, locked.db_now)
    breaker.refresh_from_db()
    audit_record(
        actor=actor, action=AuditAction.BREAKER_RESET, target_id=breaker.service_id, details={"from": locked.state}
    )
    return breaker


@transaction.atomic
def breaker_delete(*, breaker, actor=None):
    """Forget a breaker; the next call to its service recreates it from the defaults."""
    audit_record(actor=actor, action=AuditAction.BREAKER_DELETED, target_id=breaker.service_id)
    breaker.delete()


def retry_after_ms(error, now=None):
    """Milliseconds until a BreakerOpen's retry time (never negative).

    Measured from the database's time of refusal: a worker whose clock is off would otherwise
    wait too long, or not at all and spend its attempts against the OPEN breaker.
    """
    now = now or getattr(error, "now", None) or timezone.now()
    if not isinstance(error.retry_at, datetime):
        return 0
    return max(0, int((error.retry_at - now).total_seconds() * 1000))
