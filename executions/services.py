"""Start executions and orchestration requests; each service owns its transaction."""

import time
import uuid

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from audit.models import AuditAction
from audit.services import audit_record
from executions.engine import runner
from executions.engine.errors import StepError
from executions.engine.runner import send_start
from executions.models import StepExecution, WorkflowExecution
from executions.statuses import TERMINAL, ExecutionStatus
from executions.transitions import move_execution
from orchestration_site.exceptions import Conflict
from workflows.definition import validate_steps
from workflows.models import WorkflowStatus

S = ExecutionStatus
COPIED = [S.COMPLETED, S.SKIPPED, S.FAILED]


def execution_start(*, workflow, input=None, metadata=None, test_run=False, actor=None):
    """Record a PENDING execution of the workflow's current definition and queue it.

    Only ACTIVE workflows run, unless `test_run` (for trying a draft from the admin or API).
    """
    if workflow.status != WorkflowStatus.ACTIVE and not test_run:
        raise Conflict(f'Workflow is {workflow.status}, not ACTIVE; activate it or pass "testRun": true to try it.')
    with transaction.atomic():
        execution = WorkflowExecution.objects.create(
            workflow=workflow,
            workflow_version=workflow.version,
            input=input or {},
            metadata={**(metadata or {}), **({"testRun": True} if test_run else {})},
            definition=workflow.definition(),
        )
        audit_record(
            actor=actor,
            action=AuditAction.EXECUTION_STARTED,
            target_id=execution.pk,
            details={"workflowId": str(workflow.pk), "testRun": test_run},
        )
        send_start(execution.pk)
    return execution


def orchestration_submit(*, request_id=None, steps, context=None, options=None, error_handlers=None, actor=None):
    """Record an ad-hoc orchestration request as an execution and queue it.

    Returns (execution, created). The same requestId again returns the first run.
    """
    options = options or {}
    request_id = request_id or f"req_{uuid.uuid4().hex}"
    existing = WorkflowExecution.objects.filter(request_id=request_id).first()
    if existing:
        return existing, False
    validate_steps(steps, error_handlers)
    definition = {
        "steps": steps,
        "errorHandlers": error_handlers or [],
        "timeout": options.get("executionTimeout"),
        "stopOnFirstError": options.get("stopOnFirstError", True),
        "enableLogging": options.get("enableLogging", True),
    }
    try:
        with transaction.atomic():
            execution = WorkflowExecution.objects.create(
                request_id=request_id,
                input=context or {},
                definition=definition,
                workflow_version=1,
                metadata={"source": "orchestration"},
            )
            audit_record(
                actor=actor,
                action=AuditAction.EXECUTION_STARTED,
                target_id=execution.pk,
                details={"requestId": request_id},
            )
            send_start(execution.pk)
    except IntegrityError:  # the same requestId raced in from another request
        return WorkflowExecution.objects.get(request_id=request_id), False
    return execution, True


def execution_prune(*, older_than, batch_size=500, dry_run=False, on_batch=None):
    """Delete ended executions (and their step records) that ended before `older_than`; return how many.

    Active executions are never deleted, whatever their age. Deletes go in batches of
    `batch_size`, each its own transaction, calling `on_batch(deleted_so_far, total)` after each.
    """
    ended = WorkflowExecution.objects.filter(status__in=TERMINAL).filter(
        Q(completed_at__lt=older_than) | Q(completed_at__isnull=True, started_at__lt=older_than)
    )
    total = ended.count()
    if dry_run:
        return total
    deleted = 0
    while True:
        with transaction.atomic():
            # Locked rows cannot be retried (FAILED → RUNNING) while their records are deleted.
            batch = ended.order_by("started_at").select_for_update(skip_locked=True)
            ids = list(batch.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            StepExecution.objects.filter(execution_id__in=ids).delete()
            WorkflowExecution.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
        if on_batch:
            on_batch(deleted, total)
    return deleted


def execution_wait(*, execution, timeout_ms=None, poll_ms=50):
    """Poll until the execution ends or `timeout_ms` passes; return it refreshed."""
    timeout_ms = settings.ORCHESTRATION["SYNC_WAIT_MS"] if timeout_ms is None else timeout_ms
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        execution.refresh_from_db()
        if execution.status in TERMINAL or time.monotonic() >= deadline:
            return execution
        time.sleep(poll_ms / 1000)


# ---------------------------------------------------------------- operations


def execution_cancel(*, execution, actor=None):
    """Stop a run for good: queued and waiting steps are cancelled; a step in flight finishes."""
    for attempt in range(3):  # a join racing the cancel may make the database pick this one to abort
        try:
            with transaction.atomic():
                moved = runner.end_execution(
                    execution, S.CANCELLED, StepError("CANCELLED", "Cancelled by an operator.")
                )
                if moved:
                    audit_record(actor=actor, action=AuditAction.EXECUTION_CANCELLED, target_id=execution.pk)
            break
        except OperationalError:
            if attempt == 2:
                raise
    if not moved:
        raise Conflict(f"Execution is {execution.status}; only an active execution can be cancelled.")
    execution.refresh_from_db()
    return execution


@transaction.atomic
def execution_pause(*, execution, actor=None):
    """Hold a run: steps in flight finish and are recorded; nothing new starts until resumed."""
    if not move_execution(execution.pk, S.PAUSED):
        raise Conflict(f"Execution is {execution.status}; only a RUNNING or WAITING execution can be paused.")
    audit_record(actor=actor, action=AuditAction.EXECUTION_PAUSED, target_id=execution.pk)
    execution.refresh_from_db()
    return execution


def execution_resume(*, execution, actor=None):
    """Go on with a paused run: every queued step is sent again (waits keep their due time)."""
    now = timezone.now()
    with transaction.atomic():
        if not move_execution(execution.pk, S.RUNNING, from_statuses=[S.PAUSED]):
            raise Conflict(f"Execution is {execution.status}; only a PAUSED execution can be resumed.")
        audit_record(actor=actor, action=AuditAction.EXECUTION_RESUMED, target_id=execution.pk)
        queued = StepExecution.objects.filter(execution=execution, status=S.PENDING).values_list("pk", flat=True)
        runner.send_steps(list(queued))
        waiting = StepExecution.objects.filter(execution=execution, status=S.WAITING, scheduled_at__isnull=False)
        for row_id, due in waiting.values_list("pk", "scheduled_at"):
            runner.send_step(row_id, max(0, (due - now).total_seconds() * 1000))
        runner.finish_if_done(execution)
    execution.refresh_from_db()
    return execution


def execution_retry(*, execution, actor=None):
    """Resume a FAILED run from the step that failed it, keeping every completed step's output.

    The failed top-level step runs again from its start (a failed PARALLEL or FOR_EACH runs all
    its children again), with fresh attempts.
    """
    with transaction.atomic():
        execution = WorkflowExecution.objects.select_for_update().get(pk=execution.pk)
        if execution.status != S.FAILED:
            raise Conflict(f"Execution is {execution.status}; only a FAILED execution can be retried.")
        if execution.definition.get("stopOnFirstError", True) is False:
            raise Conflict("This run went on past its failures (stopOnFirstError is false); rerun it instead.")
        failed = (
            StepExecution.objects.filter(execution=execution, parent__isnull=True, status=S.FAILED)
            .order_by("-completed_at")
            .first()
        )
        sequence = runner.main_sequence_of(execution)
        if (
            failed is None
            or StepExecution.objects.filter(
                execution=execution, parent__isnull=True, step_id__in=sequence[sequence.index(failed.step_id) + 1 :]
            ).exists()
        ):
            raise Conflict("This run did not stop at one failed top-level step; rerun it instead.")
        runner.descendants(execution, failed.key).delete()
        now = timezone.now()
        StepExecution.objects.filter(pk=failed.pk).update(
            status=S.PENDING,
            attempt=1,
            error=None,
            error_type=None,
            output=None,
            variables=None,
            started_at=None,
            completed_at=None,
            duration=None,
            scheduled_at=None,
            lease_expires_at=None,
            state={key: failed.state[key] for key in ("item", "index") if key in failed.state},
            logs=failed.logs + [{"at": now.isoformat(), "retriedByOperator": True}],
        )
        metadata = {key: value for key, value in (execution.metadata or {}).items() if key != "failedSteps"}
        move_execution(
            execution.pk,
            S.RUNNING,
            from_statuses=[S.FAILED],
            error=None,
            error_type=None,
            completed_at=None,
            duration=None,
            output=None,
            metadata=metadata,
            current_step_id=failed.step_id,
        )
        runner.set_deadline(execution, now)
        audit_record(
            actor=actor,
            action=AuditAction.EXECUTION_RETRIED,
            target_id=execution.pk,
            details={"stepId": failed.step_id},
        )
        runner.send_step(failed.pk)
    execution.refresh_from_db()
    return execution


def execution_rerun(*, execution, from_step_id=None, actor=None):
    """Start a new execution with the same input and definition, optionally from a top-level step.

    From a step, the records of the steps before it are copied, so their outputs are there.
    """
    sequence = runner.main_sequence_of(execution)
    if from_step_id is not None and from_step_id not in sequence:
        raise ValidationError({"fromStepId": f"Not a top-level step of this run: {', '.join(sequence)}."})
    if from_step_id is not None and execution.status not in TERMINAL:
        raise Conflict(f"Execution is {execution.status}; rerun from a step once it has ended.")
    with transaction.atomic():
        rerun = WorkflowExecution.objects.create(
            workflow=execution.workflow,
            workflow_version=execution.workflow_version,
            input=execution.input,
            definition=execution.definition,
            metadata={"rerunOf": str(execution.pk), **({"startAt": from_step_id} if from_step_id else {})},
        )
        if from_step_id:
            _copy_records(execution, rerun, sequence[: sequence.index(from_step_id)])
        audit_record(
            actor=actor,
            action=AuditAction.EXECUTION_RERUN,
            target_id=rerun.pk,
            details={"rerunOf": str(execution.pk), "fromStepId": from_step_id},
        )
        runner.send_start(rerun.pk)
    return rerun


def _copy_records(source, target, step_ids):
    # Only finished records: anything still open belongs to the old run and would run again.
    rows = [
        row
        for row in source.steps_executed.filter(status__in=COPIED).order_by("created_at")
        if row.key.split("/")[0].split("[")[0].split("!")[0] in step_ids
    ]
    new_ids = {row.pk: uuid.uuid4() for row in rows}
    copies = []
    for row in rows:
        copy = StepExecution(
            **{field.attname: getattr(row, field.attname) for field in StepExecution._meta.concrete_fields}
        )
        copy.pk, copy.execution_id = new_ids[row.pk], target.pk
        copy.parent_id = new_ids.get(row.parent_id)
        copy.logs = row.logs + [{"copiedFrom": str(row.pk)}]
        copies.append(copy)
    StepExecution.objects.bulk_create(copies)
