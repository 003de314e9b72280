"""Run steps and persist their records: the only engine module that touches the ORM.

Concurrency model
- A message carries one id and means "advance this". Every record is claimed with a
  conditional UPDATE (PENDING/WAITING → RUNNING), so a duplicate or redelivered message
  finds nothing to claim and returns.
- A handler runs outside any transaction. Its outcome is recorded, and the next work is
  created, in one transaction; messages for that work are sent only after it commits.
- Consecutive steps run inline in the same actor call; fan-out sends one message per child.
- A container (PARALLEL, FOR_EACH, CONDITIONAL) joins its children under a row lock on its
  own record, so concurrent children update its state one at a time and maxConcurrency
  holds across workers. Locks are always taken child first, then parent, then execution.
"""

import json
import logging
import threading
import time
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.db import DataError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Sum, TextField
from django.db.models.functions import Cast, Coalesce, Length
from django.utils import timezone

from breakers.services import BreakerOpen, breaker_acquire, breaker_record, breaker_release
from breakers.services import retry_after_ms as breaker_retry_after_ms
from executions import statements
from executions.engine import steps as _steps  # noqa: F401  (registers every step type)
from executions.engine.context import ConfigStore, Context, mask
from executions.engine.errors import (
    CIRCUIT_OPEN,
    LIMIT_EXCEEDED,
    STEP_ERROR,
    WORKER_LOST,
    WORKFLOW_TIMEOUT,
    StepError,
    counts_against_breaker,
    never_sent,
)
from executions.engine.outcomes import ChildResult, ChildSpec, Completed, Failed, Fork, Sleep
from executions.engine.registry import get_handler
from executions.engine.resolver import MISSING, render
from executions.engine.retry import effective_policy, next_delay
from executions.models import StepExecution, WorkflowExecution
from executions.statuses import ACTIVE, TERMINAL, ExecutionStatus
from executions.transitions import move_execution
from workflows.definition.graph import main_sequence
from workflows.selectors import config_values

logger = logging.getLogger(__name__)

S = ExecutionStatus
RUNNABLE = [S.PENDING, S.WAITING]
# State keys that belong to the flow around a step, not to its handler.
FLOW_KEYS = ("item", "index", "handlerFor", "shouldContinue", "error", "inHandler")
# A probe permit outlives its call by this much before another worker may take its slot.
PROBE_LEASE_MARGIN_MS = 5000
# A step waits for an OPEN breaker at most this many times before it fails with CIRCUIT_OPEN.
MAX_BREAKER_WAITS = 100
OPEN = [S.PENDING, S.RUNNING, S.WAITING]
# Executions whose next steps are still created (a PAUSED one's wait, unsent, for its resume).
GOING_ON = (S.RUNNING, S.PAUSED)


def options():
    return settings.ORCHESTRATION


# ---------------------------------------------------------------- messages


def send_step(row_id, delay_ms=None):
    """Send "run this step" once the current transaction commits (delays capped per hop).

    A send that fails (the broker is down) is logged, not raised: the work is committed, and
    the recovery sweep sends it again.
    """
    from executions import tasks

    if delay_ms is not None:
        delay_ms = max(0, min(int(delay_ms), options()["MAX_DELAY_HOP_MS"]))
    transaction.on_commit(lambda: tasks.send(tasks.run_step, str(row_id), delay_ms=delay_ms), robust=True)


def send_steps(row_ids):
    """Send "run this step" for each row once the current transaction commits, in one batch.

    A fan-out's children: on Redis they go out in one pipelined write with one wake-up, so the
    children start together instead of one send (two round trips) apart.
    """
    from executions import tasks

    if row_ids:
        ids = [str(row_id) for row_id in row_ids]
        transaction.on_commit(lambda: tasks.send_many(tasks.run_step, ids), robust=True)


def send_start(execution_id):
    from executions import tasks

    transaction.on_commit(lambda: tasks.send(tasks.start_execution, str(execution_id)), robust=True)


def send_timeout_check(execution_id, delay_ms):
    from executions import tasks

    delay_ms = max(0, min(int(delay_ms), options()["MAX_DELAY_HOP_MS"]))
    transaction.on_commit(lambda: tasks.send(tasks.check_timeout, str(execution_id), delay_ms=delay_ms), robust=True)


# ---------------------------------------------------------------- entry points


def start(execution_id):
    """Begin a PENDING execution: mark it RUNNING and run its first step inline."""
    now = timezone.now()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        handled, first = _start_in_one_statement(execution_id, now)
        if handled:
            if first is not None:
                _run_from(first)
            return
    with transaction.atomic():
        if not move_execution(execution_id, S.RUNNING, from_statuses=[S.PENDING], started_at=now):
            return
        execution = WorkflowExecution.objects.get(pk=execution_id)
        set_deadline(execution, now)
        sequence = main_sequence_of(execution)
        # A rerun from a chosen step starts there; the steps before it were copied over.
        start_at = (execution.metadata or {}).get("startAt")
        if start_at in sequence:
            sequence = sequence[sequence.index(start_at) :]
        if not sequence:
            finish_if_done(execution)
            return
        execution.claim_next_at = now if _may_claim_inline(execution, now) else None
        first = _create_rows(execution, None, [ChildSpec(sequence[0])])[0]
        claimed = first.status == S.RUNNING
        execution.claim_next_at = execution.claimed_at_insert = None
    if claimed:
        _run_from(first)
    else:
        run(first.pk)


def _start_in_one_statement(execution_id, now):
    """The common start (PostgreSQL): no workflow timeout, no chosen first step, a first step to
    run here. The move to RUNNING and the first step's record, claimed, are one statement.

    Returns (handled, the claimed first step or None). Not handled: the general start runs.
    """
    execution = statements.execution(execution_id)  # as the ORM reads it, without its building
    if execution is None or execution.status != S.PENDING:
        return True, None  # gone or started already: as the general start's move would find
    sequence = main_sequence_of(execution)
    if execution.definition.get("timeout") or (execution.metadata or {}).get("startAt") or not sequence:
        return False, None
    if STOPPING.is_set():
        return False, None
    execution.status = S.RUNNING
    execution.claim_next_at = now
    first = _new_rows(execution, None, [ChildSpec(sequence[0])])[0]
    execution.claim_next_at = execution.claimed_at_insert = None
    prefetched = statements.start(execution, first, now, _service_id_before_rendering(first))
    if prefetched is None:
        return True, None
    execution.started_at, execution.current_step_id = now, first.step_id
    first.execution, first.prefetched = execution, prefetched
    return True, first


# Set while this process's worker shuts down: the step that follows is then handed to the
# broker for another worker instead of being run inline here.
STOPPING = threading.Event()


def set_deadline(execution, now):
    """Start the workflow's timeout clock (when it has one) and schedule the check."""
    if execution.definition.get("timeout"):
        execution.deadline = now + timedelta(milliseconds=execution.definition["timeout"])
        WorkflowExecution.objects.filter(pk=execution.pk).update(deadline=execution.deadline)
        send_timeout_check(execution.pk, execution.definition["timeout"])


def run(row_id):
    """Claim a step and run it, then keep running the steps that follow it inline."""
    row = claim(row_id)
    if row is not None:
        _run_from(row)


def _run_from(row):
    """Run a claimed step and the steps that follow it inline, until none is left to run here."""
    while row is not None:
        outcome, record_input = execute(row)
        following = _record_retrying(row, outcome, record_input)
        if following is None:
            return
        if STOPPING.is_set():
            _hand_over(following)
            return
        # Claimed in the transaction that recorded this step; otherwise claim it now.
        row = following if following.status == S.RUNNING else claim(following.pk)


def _hand_over(row):
    """Give the next step to the broker for another worker (this one is shutting down)."""
    with transaction.atomic():
        if row.status == S.RUNNING:
            _claimed(row).update(status=S.PENDING, started_at=None, lease_expires_at=None)
        send_step(row.pk)


def _may_claim_inline(execution, now):
    """Whether a step created now may be claimed by this worker at once, to run inline."""
    if STOPPING.is_set() or execution.status != S.RUNNING:
        return False
    return not (execution.deadline and now >= execution.deadline)  # else claim() times it out


def _claim_created(row, now):
    """Claim a step created in this transaction, to run it inline once the transaction commits.

    The same conditional UPDATE as claim(), with the execution's status checked in the same
    statement: a pause or cancel committed meanwhile leaves the step PENDING for its resume.
    Saves the claim's read and its own commit on every inline step. Returns True if claimed.
    """
    if row.status != S.PENDING or row.scheduled_at is not None or STOPPING.is_set():
        return False
    execution = row.execution
    if execution.deadline and now >= execution.deadline:
        return False  # claim() times the execution out
    lease_until = now + timedelta(milliseconds=_lease_ms(execution, row))
    running = WorkflowExecution.objects.filter(pk=OuterRef("execution_id"), status=S.RUNNING)
    claimed = (
        StepExecution.objects.filter(pk=row.pk, status=S.PENDING, scheduled_at__isnull=True)
        .filter(Exists(running))
        .update(status=S.RUNNING, started_at=now, lease_expires_at=lease_until)
    )
    if claimed:
        row.status, row.started_at, row.lease_expires_at = S.RUNNING, now, lease_until
    return bool(claimed)


def _claimed(row):
    """This worker's claim on a row: still RUNNING, on the same attempt.

    The recovery sweep moves a step whose lease ran out to the next attempt, so a worker that
    was only slow, not dead, cannot record over the run that replaced it.
    """
    return StepExecution.objects.filter(pk=row.pk, status=S.RUNNING, attempt=row.attempt)


def _record_retrying(row, outcome, record_input, attempts=7):
    """Record an outcome, retrying when the database aborted the transaction or went away.

    The step has already run: losing its outcome would leave it RUNNING and repeat its call.
    The waits (0.1 s doubling, about 6 s in all) outlast a database restart.
    """
    claimed_attempt = row.attempt
    for attempt in range(1, attempts + 1):
        try:
            if attempt > 1:
                row.refresh_from_db()
                row.execution.refresh_from_db()
                # Still this worker's claim: if the sweep moved the step on meanwhile, the
                # write below matches nothing rather than the attempt that replaced it.
                row.attempt, row.status = claimed_attempt, S.RUNNING
            return record(row, outcome, record_input)
        except OperationalError:
            if attempt == attempts:
                raise
            logger.warning("Recording step %s failed (attempt %s); retrying", row.key, attempt, exc_info=True)
            connection.close()  # a broken connection is replaced on the next query
            time.sleep(min(0.1 * 2 ** (attempt - 1), 2.0))
        except (DataError, ValueError) as exc:
            if isinstance(outcome, Failed) and outcome.error.error_type == STEP_ERROR and record_input is None:
                raise  # even the plain failure could not be stored: a bug, not the step's data
            # The result cannot be stored (say, a character the database refuses): fail the
            # step with that reason rather than leave it RUNNING to be repeated.
            logger.warning("Result of step %s could not be stored", row.key, exc_info=True)
            outcome = Failed(StepError(STEP_ERROR, f"The step's result could not be stored: {exc}"[:500]))
            outcome.secrets = set()
            record_input = None
    return None


def check_timeout(execution_id):
    """Time an execution out once its deadline has passed (re-sent if it arrived early)."""
    execution = WorkflowExecution.objects.filter(pk=execution_id).first()
    if execution is None or execution.status in TERMINAL or execution.deadline is None:
        return
    remaining = (execution.deadline - timezone.now()).total_seconds() * 1000
    if remaining > 0:
        with transaction.atomic():
            send_timeout_check(execution.pk, remaining)
        return
    with transaction.atomic():
        end_execution(execution, S.TIMED_OUT, StepError(WORKFLOW_TIMEOUT, "The workflow timeout elapsed."))


# ---------------------------------------------------------------- claim


def claim(row_id):
    """Take a runnable step for this worker; return it, or None when there is nothing to do."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        row = statements.step_with_run(row_id)  # as below, without the ORM's building
    else:
        row = StepExecution.objects.select_related("execution").filter(pk=row_id).first()
    if row is None or not _runnable(row) or row.execution.status != S.RUNNING:
        return None
    execution = row.execution
    if row.scheduled_at and row.scheduled_at > now:
        # A delayed message arrived early (delays travel in bounded hops): wait again.
        with transaction.atomic():
            send_step(row.pk, (row.scheduled_at - now).total_seconds() * 1000)
        return None
    if execution.deadline and now >= execution.deadline:
        with transaction.atomic():
            end_execution(execution, S.TIMED_OUT, StepError(WORKFLOW_TIMEOUT, "The workflow timeout elapsed."))
        return None
    # One UPDATE on this table alone, so PostgreSQL re-checks `status` after waiting for a
    # concurrent claim: exactly one worker wins. (A filter across a join becomes
    # `id IN (subquery)`, which is not re-checked, and two workers could both win.)
    lease_until = now + timedelta(milliseconds=_lease_ms(execution, row))
    if connection.vendor == "postgresql":
        row.prefetched = statements.claim(row_id, now, lease_until, _service_id_before_rendering(row))
        claimed = row.prefetched is not None
    else:
        claimed = _claim_update(row_id, now, lease_until)
    if not claimed:
        return None
    row.status, row.started_at, row.scheduled_at = S.RUNNING, row.started_at or now, None
    row.lease_expires_at = lease_until
    return row


def _claim_update(row_id, now, lease_until):
    return (
        StepExecution.objects.filter(pk=row_id)
        .filter(Q(status=S.PENDING, scheduled_at__isnull=True) | Q(status=S.WAITING, scheduled_at__lte=now))
        .update(
            status=S.RUNNING,
            started_at=Coalesce(F("started_at"), now),
            scheduled_at=None,
            lease_expires_at=lease_until,
        )
    )


def _runnable(row):
    """PENDING work, or WAITING work with a due time (a retry or a WAIT).

    A container WAITING for its children has no due time: a duplicate message must not run it again.
    """
    return row.status == S.PENDING or (row.status == S.WAITING and row.scheduled_at is not None)


def _lease_ms(execution, row):
    """How long a claim lasts: twice the step's call timeout, plus a margin for the rest."""
    config = (_steps_by_id(execution).get(row.step_id) or {}).get("config") or {}
    timeout = config.get("timeout") if isinstance(config.get("timeout"), int) else options()["HTTP_TIMEOUT_MS"]
    # Waiting for the headers and reading the body may each take up to the timeout.
    return 2 * timeout + options()["LEASE_MARGIN_MS"]


def recover_lost_step(row_id):
    """Take back a RUNNING step whose lease ran out (its worker died); return True if it did.

    The interrupted attempt counts: the step runs again (same Idempotency-Key) until
    max(maxAttempts, WORKER_LOST_ATTEMPTS) attempts are spent, then fails with WORKER_LOST, so
    a step that kills its worker every time cannot be redelivered forever.
    """
    now = timezone.now()
    with transaction.atomic():
        row = (
            StepExecution.objects.select_for_update(of=("self",))
            .select_related("execution")
            .filter(pk=row_id, status=S.RUNNING, lease_expires_at__lt=now)
            .first()
        )
        if row is None:
            return False
        step = _steps_by_id(row.execution).get(row.step_id, {})
        policy = effective_policy(step.get("retryPolicy") or row.execution.definition.get("retryPolicy"))
        allowed = max(policy["maxAttempts"], options()["WORKER_LOST_ATTEMPTS"])
        error = StepError(WORKER_LOST, f"The worker running attempt {row.attempt} stopped before it finished.")
        entry = {"attempt": row.attempt, "at": now.isoformat(), "error": error.as_dict()}
        if row.attempt < allowed and row.execution.status in GOING_ON:
            StepExecution.objects.filter(pk=row.pk).update(
                status=S.WAITING,
                attempt=row.attempt + 1,
                scheduled_at=now,
                lease_expires_at=None,
                logs=row.logs + [{**entry, "retryInMs": 0}],
                error=error.message,
                error_type=error.error_type,
            )
            if row.execution.status == S.RUNNING:
                send_step(row.pk)  # a PAUSED run's resume sends it
            return True
    following = _record_retrying(row, Failed(error), row.input)
    if following is not None:
        _hand_over(following)  # the sweep runs no steps: what follows goes to a worker
    return True


# ---------------------------------------------------------------- execute (no transaction)


def _steps_by_id(execution):
    # An execution's definition never changes: index it once per loaded execution.
    cached = getattr(execution, "_steps_by_id", None)
    if cached is None:
        cached = execution._steps_by_id = {step["id"]: step for step in execution.definition.get("steps", [])}
    return cached


def _visible_scopes(scope):
    """A step sees the global scope and every enclosing FOR_EACH item scope."""
    scopes = [""]
    for position, char in enumerate(scope):
        if char == "]":
            scopes.append(scope[: position + 1])
    return scopes


class EarlierResults:
    """(step id, output, variables) of the steps a step can see, in the order they completed.

    Queried on first iteration, and only then built: most steps never refer back.
    """

    def __init__(self, row):
        self.row = row

    @cached_property
    def rows(self):
        return list(
            StepExecution.objects.filter(
                execution_id=self.row.execution_id, scope__in=_visible_scopes(self.row.scope), status=S.COMPLETED
            )
            .order_by("completed_at")
            .values_list("step_id", "output", "variables")
        )

    def __iter__(self):
        return iter(self.rows)


def build_context(row):
    """Return the Context for a step, and the secret strings to mask in its records."""
    execution = row.execution
    results = EarlierResults(row)
    prefetched = getattr(row, "prefetched", None)
    values, secret_keys = prefetched.config() if prefetched else config_values()
    config = ConfigStore(values, secret_keys)
    context = Context(input=execution.input, config=config, results=results)
    extras = {}
    if "item" in row.state or "index" in row.state:
        extras.update(item=row.state.get("item"), index=row.state.get("index"))
    if "error" in row.state and (row.state.get("handlerFor") or row.state.get("inHandler")):
        extras["error"] = row.state["error"]
    return context.with_extras(extras) if extras else context, config.secrets()


def render_config(template, lookup, path_keys):
    """Render every template in a config except under this type's path keys."""
    if isinstance(template, dict):
        return {
            key: (value if key in path_keys else render_config(value, lookup, path_keys))
            for key, value in template.items()
        }
    if isinstance(template, list):
        return [render_config(item, lookup, path_keys) for item in template]
    return render(template, lookup)


def counted_lookup(lookup, limit):
    """`lookup`, failing the step once the values it has handed out pass `limit` bytes in all.

    The rendered config's size is checked after rendering, but one large value substituted in
    many places would take the worker's memory before that check: this stops it on the way.
    """
    sizes, total = {}, 0

    def counted(path):
        nonlocal total
        value = lookup(path)
        if value is not MISSING:
            if path not in sizes:
                sizes[path] = len(json.dumps(value, default=str))  # as the limit measures it
            total += sizes[path]
            if total > limit:
                raise StepError(
                    LIMIT_EXCEEDED, f"The substituted values pass {limit} bytes (MAX_RENDERED_BYTES) in this config."
                )
        return value

    return counted


def _check_output_size(output, what):
    """Refuse an output past MAX_OUTPUT_BYTES: steps that copy what came before could double it each time."""
    limit = options()["MAX_OUTPUT_BYTES"]
    if output is not None and (size := len(json.dumps(output, ensure_ascii=False, default=str))) > limit:
        raise StepError(LIMIT_EXCEEDED, f"{what} is {size} bytes of JSON; at most {limit} (MAX_OUTPUT_BYTES).")


def _check_nested_items(row, count):
    """Refuse a FOR_EACH whose items, times those of the loops around it, pass MAX_NESTED_ITEMS.

    Each loop is within MAX_FOR_EACH_ITEMS, but two nested ones of 10,000 would make 10^8 records.
    """
    limit = options()["MAX_NESTED_ITEMS"]
    total, parent_id = count, row.parent_id
    while parent_id is not None and total <= limit:
        parent_id, step_type, items = (
            StepExecution.objects.filter(pk=parent_id).values_list("parent_id", "step_type", "state__total").get()
        )
        if step_type == "FOR_EACH" and isinstance(items, int):
            total *= max(items, 1)
    if total > limit:
        message = f"With the loops around it, this FOR_EACH makes {total} items; at most {limit} (MAX_NESTED_ITEMS)."
        raise StepError(LIMIT_EXCEEDED, message)


def _default_service_id(execution):
    """An orchestration request may name its service once, in context.serviceId."""
    if execution.workflow_id is None and isinstance(execution.input, dict):
        value = execution.input.get("serviceId")
        return value if isinstance(value, str) and value else None
    return None


def _breaker_guard(secrets, prefetched=None):
    """Return guard(service_id, call, timeout_ms): the call behind the service's shared breaker.

    With `prefetched`, the step's first call, if it is to that service, decides on the breaker
    as read there.
    """
    unused = [prefetched] if prefetched and prefetched.breaker is not None else []

    def guard(service_id, call, timeout_ms):
        # Only for the step's first call: a later one comes after a call's time.
        ahead = unused.pop() if unused else None
        read = ahead.breaker if ahead and ahead.service_id == service_id else None
        try:
            lease_ms = timeout_ms + PROBE_LEASE_MARGIN_MS
            permit = breaker_acquire(service_id=service_id, lease_ms=lease_ms, read=read)
        except BreakerOpen as refused:
            raise StepError(
                CIRCUIT_OPEN,
                str(refused),
                details={"serviceId": service_id},
                retry_after_ms=breaker_retry_after_ms(refused),
            ) from None
        try:
            result = call()
        except StepError as error:
            if never_sent(error):
                # The service never saw it: neither a failure nor a success (nor a probe's answer).
                breaker_release(permit=permit)
            else:
                failed = counts_against_breaker(error)
                breaker_record(permit=permit, success=not failed, reason=mask(error.message, secrets)[:300])
            raise
        except BaseException:
            breaker_release(permit=permit)
            raise
        breaker_record(permit=permit, success=True)
        return result

    return guard


def execute(row):
    """Run one step's handler; return (outcome, masked input to record). Never raises."""
    from executions.engine.steps.base import Invocation

    execution = row.execution
    steps_by_id = _steps_by_id(execution)
    step = steps_by_id.get(row.step_id)
    secrets = set()
    record_input = None
    try:
        if step is None:
            raise StepError(STEP_ERROR, f"Step {row.step_id!r} is not in this execution's definition.")
        handler = get_handler(step["type"])
        context, secrets = build_context(row)
        limit = options()["MAX_RENDERED_BYTES"]
        config = render_config(step.get("config") or {}, counted_lookup(context.lookup, limit), handler.path_keys)
        size = len(json.dumps(config, default=str))
        if size > limit:
            message = f"The rendered config is {size} bytes; at most {limit} (MAX_RENDERED_BYTES)."
            raise StepError(LIMIT_EXCEEDED, message)
        record_input = handler.recorded_input(config)
        now = timezone.now()
        remaining = None
        if execution.deadline:
            remaining = max(1, int((execution.deadline - now).total_seconds() * 1000))
        invocation = Invocation(
            step=step,
            config=config,
            context=context,
            state=row.state or {},
            attempt=row.attempt,
            idempotency_key=f"{execution.pk}:{row.key}",
            now=now,
            remaining_ms=remaining,
            steps_by_id=steps_by_id,
            options=options(),
            default_service_id=_default_service_id(execution),
            guard=_breaker_guard(secrets, getattr(row, "prefetched", None)),
        )
        outcome = handler.execute(invocation)
        _check_output_size(getattr(outcome, "output", None), f"The output of {row.step_id!r}")
        if isinstance(outcome, Fork) and row.parent_id and hasattr(outcome, "items"):
            _check_nested_items(row, len(outcome.items))
    except StepError as error:
        outcome = Failed(error)
    except (OperationalError, InterfaceError):
        raise  # the database went away: the step stays claimed, and its lease brings it back
    except Exception as exc:  # a bug in a handler fails the step, never the worker
        logger.exception("Step %s of execution %s raised", row.step_id, execution.pk)
        outcome = Failed(StepError(STEP_ERROR, f"Unexpected error: {type(exc).__name__}: {exc}"))
    outcome.secrets = secrets
    return outcome, mask(record_input, secrets)


# ---------------------------------------------------------------- record (one transaction)


def _duration_ms(row, now):
    return int((now - row.started_at).total_seconds() * 1000) if row.started_at else None


def _error_fields(error, secrets):
    return {"error": mask(error.message, secrets), "error_type": error.error_type}


def record(row, outcome, record_input):
    """Save a step's outcome and create what follows; return the step to run inline (claimed if it could be)."""
    now = timezone.now()
    secrets = getattr(outcome, "secrets", set())
    if isinstance(outcome, Completed):
        recorded, following = _record_in_one_statement(row, outcome, record_input, now, secrets)
        if recorded:
            return following
    with transaction.atomic():
        to_run = []
        execution = row.execution
        execution.claimed_at_insert = None
        if isinstance(outcome, Completed) and _record_completed(row, outcome, record_input, now, secrets, running=True):
            # The outcome's UPDATE found the run RUNNING: what follows goes by that, and the
            # next step of it may be inserted already claimed (RUNNING, leased) by this worker:
            # the same claim as later, minus a statement and a commit per step.
            execution.status = S.RUNNING
            execution.claim_next_at = now if _may_claim_inline(execution, now) else None
            to_run = _advance(row, succeeded=True)
            return _after_record(row, to_run, now)
        # Read once: what follows in this transaction (next steps, joins) goes by it.
        execution.status = _execution_status(execution)
        execution.claim_next_at = now if _may_claim_inline(execution, now) else None
        if execution.status in TERMINAL:
            # The run ended (cancelled, timed out, failed elsewhere) while this step ran.
            finished = {Completed: S.COMPLETED, Failed: S.FAILED}.get(type(outcome), S.CANCELLED)
            _claimed(row).update(
                status=finished,
                input=record_input,
                completed_at=now,
                duration=_duration_ms(row, now),
                output=mask(getattr(outcome, "output", None), secrets),
            )
            return None
        if isinstance(outcome, Completed):
            if _record_completed(row, outcome, record_input, now, secrets, running=False):
                to_run = _advance(row, succeeded=True)
        elif isinstance(outcome, Failed):
            to_run = _record_failure(row, outcome, record_input, now, secrets)
        elif isinstance(outcome, Sleep):
            _claimed(row).update(
                status=S.WAITING, input=record_input, scheduled_at=outcome.until, state={**row.state, **outcome.state}
            )
            send_step(row.pk, (outcome.until - now).total_seconds() * 1000)
        elif isinstance(outcome, Fork):
            to_run = _record_fork(row, outcome, record_input, now, secrets)
        else:
            raise TypeError(f"Unknown outcome {outcome!r}")
        return _after_record(row, to_run, now)


def _completed_fields(row, outcome, record_input, now, secrets):
    return {
        "status": S.COMPLETED,
        "input": record_input,
        "output": mask(outcome.output, secrets),
        "variables": mask(outcome.variables, secrets),
        "completed_at": now,
        "duration": _duration_ms(row, now),
        "logs": row.logs + mask(outcome.logs, secrets),
        "error": None,
        "error_type": None,
    }


def _record_completed(row, outcome, record_input, now, secrets, *, running):
    """Store a completed outcome on this worker's claim; with `running`, only while the run is RUNNING.

    The check rides on the UPDATE itself, so the usual case needs no read of the run's status.
    Returns True if the record was written.
    """
    fields = _completed_fields(row, outcome, record_input, now, secrets)
    if running and connection.vendor == "postgresql" and row.parent_id and not row.state.get("handlerFor"):
        # The join that follows locks the container: take that lock with this UPDATE.
        row.locked_parent = statements.record_completed_locking_parent(row, fields)
        updated = row.locked_parent is not None
    elif running and connection.vendor == "postgresql":
        updated = statements.record_completed(row, fields)  # the same UPDATE, without the ORM's building
    else:
        base = _claimed(row)
        if running:
            running_run = WorkflowExecution.objects.filter(pk=OuterRef("execution_id"), status=S.RUNNING)
            base = base.filter(Exists(running_run))
        updated = base.update(**fields)
    if updated:
        row.status, row.output, row.variables = S.COMPLETED, outcome.output, outcome.variables
    return bool(updated)


def _record_in_one_statement(row, outcome, record_input, now, secrets):
    """The common cases in one statement (PostgreSQL): a top-level step completed in a RUNNING
    run, and either the next top-level step is claimed by this worker to run inline, or it was
    the last one and the run completes.

    Returns (recorded, the step to run inline). Not recorded: this is not a common case, or the
    statement found the run not RUNNING or the claim lost; it then wrote nothing, and record()
    takes the general path.
    """
    execution = row.execution
    if connection.vendor != "postgresql" or connection.in_atomic_block or row.parent_id is not None:
        return False, None
    if row.state.get("handlerFor") or STOPPING.is_set() or (execution.deadline and now >= execution.deadline):
        return False, None
    sequence = main_sequence_of(execution)
    if row.step_id not in sequence:
        return False, None
    fields = _completed_fields(row, outcome, record_input, now, secrets)
    position = sequence.index(row.step_id)
    if position + 1 == len(sequence):
        finished = statements.complete_and_finish(row, fields, _duration_ms(execution, now), OPEN)
        if finished is None:
            return False, None
        row.status, row.output, row.variables = S.COMPLETED, outcome.output, outcome.variables
        if not finished:  # the run's status moved while the statement ran: decide under the lock
            with transaction.atomic():
                finish_if_done(execution)
        return True, None
    execution.claim_next_at = now
    following = _new_rows(execution, None, [ChildSpec(sequence[position + 1])])[0]
    execution.claim_next_at = execution.claimed_at_insert = None
    prefetched = statements.complete_and_start_next(row, fields, following, _service_id_before_rendering(following))
    if prefetched is None:
        return False, None
    row.status, row.output, row.variables = S.COMPLETED, outcome.output, outcome.variables
    execution.status = S.RUNNING
    following.execution = execution
    following.prefetched = prefetched
    return True, following


def _service_id_before_rendering(row):
    """The breaker a step will call, when its config settles it before rendering (else None)."""
    step = _steps_by_id(row.execution).get(row.step_id) or {}
    try:
        handler = get_handler(step.get("type"))
    except LookupError:
        return None  # execute() fails the step for it
    return handler.breaker_service_id(step.get("config") or {}, _default_service_id(row.execution))


def _after_record(row, to_run, now):
    """Send what the recording transaction created; return the step to run inline (claimed if it could be)."""
    execution = row.execution
    claimed_at_insert = getattr(execution, "claimed_at_insert", None)
    execution.claim_next_at = execution.claimed_at_insert = None
    if claimed_at_insert is not None and (not to_run or to_run[0] is not claimed_at_insert):
        _hand_over(claimed_at_insert)  # not the one to run inline: back to PENDING, and sent
    send_steps([other.pk for other in to_run[1:]])
    if to_run and to_run[0].status == S.PENDING:
        _claim_created(to_run[0], now)
    return to_run[0] if to_run else None


def _record_failure(row, outcome, record_input, now, secrets):
    error = outcome.error
    step = _steps_by_id(row.execution).get(row.step_id, {})
    policy = effective_policy(step.get("retryPolicy") or row.execution.definition.get("retryPolicy"))
    delay = next_delay(policy, row.attempt, error)
    entry = {"attempt": row.attempt, "at": now.isoformat(), "error": mask(error.as_dict(), secrets)}
    base = _claimed(row)
    waits = row.state.get("breakerWaits", 0)
    if error.error_type == CIRCUIT_OPEN and policy["maxAttempts"] > 1 and waits < MAX_BREAKER_WAITS:
        # The call never went out: wait for the breaker to half-open without spending an attempt.
        wait = max(error.retry_after_ms or 0, 10)
        entry["waitForBreakerMs"] = wait
        base.update(
            status=S.WAITING,
            input=record_input,
            scheduled_at=now + timedelta(milliseconds=wait),
            logs=row.logs + [entry],
            state={**row.state, "breakerWaits": waits + 1},
            **_error_fields(error, secrets),
        )
        send_step(row.pk, wait)
        return []
    if delay is not None:
        entry["retryInMs"] = delay
        base.update(
            status=S.WAITING,
            input=record_input,
            attempt=row.attempt + 1,
            scheduled_at=now + timedelta(milliseconds=delay),
            logs=row.logs + [entry],
            **_error_fields(error, secrets),
        )
        send_step(row.pk, delay)
        return []
    if row.attempt > 1 or policy["maxAttempts"] > 1:
        entry["final"] = True
    updated = base.update(
        status=S.FAILED,
        input=record_input,
        output=mask(outcome.output, secrets),
        completed_at=now,
        duration=_duration_ms(row, now),
        logs=row.logs + [entry] + mask(outcome.logs, secrets),
        state={**row.state, "error": mask(error.as_dict(), secrets)},
        **_error_fields(error, secrets),
    )
    if not updated:
        return []
    row.status = S.FAILED
    row.state = {**row.state, "error": error.as_dict()}
    return _advance(row, succeeded=False, error=error)


def _record_fork(row, fork, record_input, now, secrets):
    if getattr(fork, "items", None) is not None:
        items = mask(fork.items, secrets)
        record_input = {**(record_input or {}), "items": items}
        for spec in fork.start:
            spec.item = items[spec.item_index]
    status = S.COMPLETED if fork.detach else S.WAITING
    # Keep the enclosing FOR_EACH item (children inside see it) and, for an error handler, what
    # it handles (so the flow goes on after it).
    fork.state = {**{key: row.state[key] for key in FLOW_KEYS if key in row.state}, **fork.state}
    updated = _claimed(row).update(
        status=status,
        input=record_input,
        output=mask(fork.output, secrets),
        state=fork.state,
        completed_at=now if fork.detach else None,
        duration=_duration_ms(row, now) if fork.detach else None,
        logs=row.logs + fork.logs,
    )
    if not updated:
        return []
    row.status, row.state, row.output = status, fork.state, fork.output
    if fork.skip:
        _create_rows(row.execution, row, [ChildSpec(step_id) for step_id in fork.skip], status=S.SKIPPED)
    to_run = _create_rows(row.execution, row, fork.start) if fork.start else []
    if fork.detach:
        return to_run + _advance(row, succeeded=True)
    if not fork.start:
        return _complete_container(row, get_handler(row.step_type), _definition_config(row))
    return to_run


# ---------------------------------------------------------------- flow


def main_sequence_of(execution):
    cached = getattr(execution, "_main_sequence", None)
    if cached is None:
        definition = execution.definition
        cached = main_sequence(definition.get("steps", []), definition.get("errorHandlers") or [])
        execution._main_sequence = cached
    return list(cached)


def _definition_config(row):
    return (_steps_by_id(row.execution).get(row.step_id) or {}).get("config") or {}


def _create_rows(execution, parent, specs, status=S.PENDING):
    """Create the records for steps about to run (or SKIPPED); return them in order."""
    rows = _new_rows(execution, parent, specs, status)
    StepExecution.objects.bulk_create(rows)
    for row in rows:
        row.execution = execution
    if parent is None and status == S.PENDING and rows:
        WorkflowExecution.objects.filter(pk=execution.pk).update(current_step_id=rows[0].step_id)
    return rows


def _new_rows(execution, parent, specs, status=S.PENDING):
    """The unsaved records for _create_rows, the first claimed when record() asked for it."""
    steps_by_id = _steps_by_id(execution)
    inherited = {}
    if parent is not None and parent.step_type != "FOR_EACH":
        inherited = {key: parent.state[key] for key in ("item", "index") if key in parent.state}
    if parent is not None and (parent.state.get("handlerFor") or parent.state.get("inHandler")):
        # Steps inside an error handler (a container) see {{error}} too.
        inherited.update(error=parent.state.get("error"), inHandler=True)
    pending_items = [spec for spec in specs if spec.needs_item and spec.item is None]
    if pending_items:
        fields = [f"input__items__{spec.item_index}" for spec in pending_items]
        values = StepExecution.objects.filter(pk=parent.pk).values_list(*fields).get()
        for spec, value in zip(pending_items, values, strict=True):
            spec.item = value
    rows = []
    now = timezone.now()
    for spec in specs:
        step = steps_by_id.get(spec.step_id, {})
        if parent is None:
            key, scope = spec.step_id, ""
        elif spec.item_index is not None and parent.step_type == "FOR_EACH":
            key = f"{parent.key}[{spec.item_index}]/{spec.step_id}"
            scope = f"{parent.key}[{spec.item_index}]"
        else:
            key, scope = f"{parent.key}/{spec.step_id}", parent.scope
        state = dict(inherited)
        if spec.item_index is not None and parent is not None and parent.step_type == "FOR_EACH":
            state = {"item": spec.item, "index": spec.item_index}
        rows.append(
            StepExecution(
                execution=execution,
                parent=parent,
                key=key,
                scope=scope,
                step_id=spec.step_id,
                step_name=step.get("name", ""),
                step_type=step.get("type", ""),
                item_index=spec.item_index if parent is not None and parent.step_type == "FOR_EACH" else None,
                status=status,
                attempt=0 if status == S.SKIPPED else 1,
                state=state,
                created_at=now,
                logs=[],
                completed_at=now if status == S.SKIPPED else None,
            )
        )
    claim_at = getattr(execution, "claim_next_at", None)
    if claim_at is not None and status == S.PENDING and rows:
        # Set by record(): the first step created in its transaction is claimed with its INSERT.
        first = rows[0]
        first.status, first.started_at = S.RUNNING, claim_at
        first.lease_expires_at = claim_at + timedelta(milliseconds=_lease_ms(execution, first))
        execution.claim_next_at, execution.claimed_at_insert = None, first
    return rows


def descendants(execution, key):
    """The records below a step: its children, items and error handlers, at any depth."""
    return StepExecution.objects.filter(execution_id=execution.pk).filter(
        Q(key__startswith=f"{key}/") | Q(key__startswith=f"{key}[") | Q(key__startswith=f"{key}!")
    )


def _create_handler_row(row, handler, error):
    steps_by_id = _steps_by_id(row.execution)
    step = steps_by_id.get(handler["handlerStepId"], {})
    handler_row = StepExecution(
        execution=row.execution,
        parent=row,
        key=f"{row.key}!{handler['handlerStepId']}",
        scope=row.scope,
        step_id=handler["handlerStepId"],
        step_name=step.get("name", ""),
        step_type=step.get("type", ""),
        status=S.PENDING,
        logs=[],
        state={
            **{key: row.state[key] for key in ("item", "index") if key in row.state},
            "handlerFor": str(row.pk),
            "shouldContinue": bool(handler.get("shouldContinue", False)),
            "error": mask({**error.as_dict(), "stepId": row.step_id}, _secrets()),
        },
    )
    handler_row.save(force_insert=True)
    return handler_row


def find_error_handler(definition, step_id, error):
    """Return the first errorHandlers entry for this step whose errorTypes match (none = all)."""
    for handler in definition.get("errorHandlers") or []:
        if handler.get("stepId") != step_id:
            continue
        types = handler.get("errorTypes") or []
        if not types or error.error_type in types:
            return handler
    return None


def _advance(row, *, succeeded, error=None):
    """A step has finished for good: return the rows to run next (first inline)."""
    execution = row.execution
    if row.state.get("handlerFor"):
        return _after_handler(row, succeeded, error)
    if not succeeded:
        handler = find_error_handler(execution.definition, row.step_id, error)
        if handler:
            return [_create_handler_row(row, handler, error)]
        return _propagate_failure(row, error)
    if row.parent_id is None:
        return _next_top_level(row)
    return _join(row, succeeded=True)


def _after_handler(handler_row, succeeded, error):
    failed = StepExecution.objects.select_related("execution").get(pk=handler_row.state["handlerFor"])
    original = StepError.from_dict(failed.state.get("error") or {})
    if succeeded and handler_row.state.get("shouldContinue"):
        StepExecution.objects.filter(pk=failed.pk).update(state={**failed.state, "handled": True})
        return _continue_after(failed)
    if not succeeded:
        original = StepError(
            original.error_type,
            f"{original.message} (and its error handler {handler_row.step_id!r} failed: "
            f"{error.message if error else 'unknown error'})",
            status=original.status,
            code=original.code,
        )
    return _propagate_failure(failed, original)


def _continue_after(row):
    """Go on after a step as if it had completed (its failure was handled)."""
    if row.parent_id is None:
        return _next_top_level(row)
    return _join(row, succeeded=True)


def _propagate_failure(row, error):
    execution = row.execution
    if row.parent_id is None:
        if execution.definition.get("stopOnFirstError", True) is False:
            WorkflowExecution.objects.filter(pk=execution.pk).update(
                metadata={**(execution.metadata or {}), "failedSteps": True}
            )
            execution.metadata = {**(execution.metadata or {}), "failedSteps": True}
            return _next_top_level(row)
        end_execution(execution, S.FAILED, error, step_id=row.step_id)
        return []
    return _join(row, succeeded=False, error=error)


def _next_top_level(row):
    sequence = main_sequence_of(row.execution)
    position = sequence.index(row.step_id) if row.step_id in sequence else len(sequence)
    if position + 1 < len(sequence):
        if row.execution.status not in GOING_ON:  # as read in this transaction
            return []
        return _create_rows(row.execution, None, [ChildSpec(sequence[position + 1])])
    finish_if_done(row.execution)
    return []


def _children_results(parent):
    children = (
        StepExecution.objects.filter(parent_id=parent.pk)
        .exclude(status=S.SKIPPED)
        .exclude(state__has_key="handlerFor")
        .order_by("item_index", "created_at")
    )
    # Measured in the database first: 10,000 items of a few MB each would not fit in a worker.
    size = children.aggregate(size=Sum(Length(Cast("output", TextField()))))["size"] or 0
    limit = options()["MAX_OUTPUT_BYTES"]
    if size > limit:
        message = f"The outputs of {parent.step_id!r}'s steps come to {size} bytes; at most {limit} (MAX_OUTPUT_BYTES)."
        raise StepError(LIMIT_EXCEEDED, message)
    children = children.values_list("step_id", "item_index", "status", "output", "state")
    return [
        ChildResult(step_id, index, status == S.COMPLETED or bool(state.get("handled")), output)
        for step_id, index, status, output, state in children
    ]


def _join(child, *, succeeded, error=None):
    """Tell a container one of its children finished; start more children or finish it."""
    # The parent's execution is the child's, whose status record() read in this transaction:
    # no join, and the (possibly large) definition is not parsed again on every child.
    parent = getattr(child, "locked_parent", None)
    child.locked_parent = None
    if parent is None:
        parent = StepExecution.objects.select_for_update().defer("input").get(pk=child.parent_id)
    parent.execution = child.execution
    detached = parent.status == S.COMPLETED
    if parent.status != S.WAITING and not detached:
        # The container already failed or was cancelled: nothing goes on from here, but this
        # child may have been the run's last open step.
        finish_if_done(child.execution)
        return []
    handler = get_handler(parent.step_type)
    config = _definition_config(parent)
    result = ChildResult(child.step_id, child.item_index, succeeded, child.output, error, child.state.get("item"))
    join = handler.on_child_finished(config, parent.state, result)
    going_on = parent.execution.status in GOING_ON  # read with the lock above
    if join.start and going_on and not join.done and connection.vendor == "postgresql":
        # The usual join: the state and the next children in one statement, which also reads
        # what the first of them (run inline here) reads first.
        to_run = _new_rows(parent.execution, parent, join.start)
        claimed = to_run[0] if to_run[0].status == S.RUNNING else None
        prefetched = statements.join(parent, join.state, to_run, claimed and _service_id_before_rendering(claimed))
        parent.state = join.state
        for row in to_run:
            row.execution = parent.execution
        if claimed is not None:
            claimed.prefetched = prefetched
        return to_run
    StepExecution.objects.filter(pk=parent.pk).update(state=join.state)
    parent.state = join.state
    to_run = []
    if join.start and going_on:
        to_run = _create_rows(parent.execution, parent, join.start)
    if not join.done:
        return to_run
    if join.error:
        return to_run + _fail_container(parent, join.error, detached)
    return to_run + _complete_container(parent, handler, config, detached=detached)


def _fail_container(parent, error, detached):
    now = timezone.now()
    secrets = _secrets()
    if detached:
        end_execution(parent.execution, S.FAILED, error, step_id=parent.step_id)
        return []
    StepExecution.objects.filter(pk=parent.pk).update(
        status=S.FAILED,
        completed_at=now,
        duration=_duration_ms(parent, now),
        state={**parent.state, "error": mask(error.as_dict(), secrets)},
        **_error_fields(error, secrets),
    )
    parent.status = S.FAILED
    parent.state = {**parent.state, "error": error.as_dict()}
    # Children not yet started will never run now.
    descendants(parent.execution, parent.key).filter(status__in=RUNNABLE).update(status=S.CANCELLED, completed_at=now)
    return _advance(parent, succeeded=False, error=error)


def _complete_container(parent, handler, config, detached=False):
    try:
        completed = handler.collect_output(config, parent.state, _children_results(parent))
        _check_output_size(completed.output, f"The output of {parent.step_id!r}")
    except StepError as error:
        return _fail_container(parent, error, detached)
    now = timezone.now()
    fields = {"output": completed.output, "variables": completed.variables, "logs": parent.logs + completed.logs}
    if not detached:
        fields.update(status=S.COMPLETED, completed_at=now, duration=_duration_ms(parent, now))
    StepExecution.objects.filter(pk=parent.pk).update(**fields)
    parent.output, parent.variables = completed.output, completed.variables
    if detached:
        finish_if_done(parent.execution)
        return []
    parent.status = S.COMPLETED
    return _advance(parent, succeeded=True)


# ---------------------------------------------------------------- execution end


def _secrets():
    """Every string held by a secret config value, for masking what is stored."""
    return ConfigStore(*config_values()).secrets()


def _execution_status(execution):
    return WorkflowExecution.objects.filter(pk=execution.pk).values_list("status", flat=True).first()


def execution_output(execution):
    """The run's result: every top-level step's output and the variables it set.

    Past MAX_RUN_OUTPUT_BYTES (measured in the database) they stay in their step records only.
    """
    rows = StepExecution.objects.filter(execution_id=execution.pk, scope="", status=S.COMPLETED)
    limit = options()["MAX_RUN_OUTPUT_BYTES"]
    sizes = [Coalesce(Length(Cast(name, TextField())), 0) for name in ("output", "variables")]
    size = rows.aggregate(size=Sum(sizes[0] + sizes[1], default=0))["size"]
    if size > limit:
        return {"steps": {}, "variables": {}, "omitted": {"totalBytes": size, "limitBytes": limit}}
    rows = rows.order_by("completed_at").values_list("step_id", "output", "variables")
    steps, variables = {}, {}
    for step_id, output, step_variables in rows:
        steps[step_id] = output
        variables.update(step_variables or {})
    return {"steps": steps, "variables": variables}


def finish_if_done(execution):
    """Complete the execution when no step of it is still open (the lock makes one winner)."""
    execution = WorkflowExecution.objects.select_for_update().get(pk=execution.pk)
    if execution.status in TERMINAL:
        return
    if StepExecution.objects.filter(execution_id=execution.pk, status__in=OPEN).exists():
        return
    failed = (execution.metadata or {}).get("failedSteps")
    status = S.FAILED if failed else S.COMPLETED
    now = timezone.now()
    fields = {
        "status": status,
        "completed_at": now,
        "output": execution_output(execution),
        "current_step_id": None,
        "duration": _duration_ms(execution, now),
    }
    if failed:
        fields.update(error="One or more steps failed (stopOnFirstError is false).", error_type=STEP_ERROR)
    move_execution(execution.pk, fields.pop("status"), from_statuses=ACTIVE, **fields)


def end_execution(execution, status, error, step_id=None):
    """Stop an execution for good: no new step starts; queued steps are cancelled."""
    if status == S.FAILED and execution.deadline and timezone.now() >= execution.deadline:
        # The step failed because the workflow's time ran out (its call was capped by it).
        status, error = S.TIMED_OUT, StepError(WORKFLOW_TIMEOUT, f"The workflow timeout elapsed ({error.message}).")
    message = f"Step {step_id!r} failed: {error.message}" if step_id else error.message
    message = mask(message, _secrets())
    now = timezone.now()
    updated = move_execution(
        execution.pk,
        status,
        from_statuses=ACTIVE,
        completed_at=now,
        error=message,
        error_type=error.error_type,
        output=execution_output(execution),
        duration=_duration_ms(execution, now),
    )
    if updated:
        StepExecution.objects.filter(execution_id=execution.pk, status__in=RUNNABLE).update(
            status=S.CANCELLED, completed_at=timezone.now()
        )
    return updated
