"""Start executions and orchestration requests; each service owns its transaction."""

import time
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction

from executions.engine.runner import send_start
from executions.models import WorkflowExecution
from executions.statuses import TERMINAL
from orchestration_site.exceptions import Conflict
from workflows.definition import validate_steps
from workflows.models import WorkflowStatus


def execution_start(*, workflow, input=None, metadata=None, test_run=False):
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
        send_start(execution.pk)
    return execution


def orchestration_submit(*, request_id=None, steps, context=None, options=None, error_handlers=None):
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
            send_start(execution.pk)
    except IntegrityError:  # the same requestId raced in from another request
        return WorkflowExecution.objects.get(request_id=request_id), False
    return execution, True


def execution_wait(*, execution, timeout_ms=None, poll_ms=50):
    """Poll until the execution ends or `timeout_ms` passes; return it refreshed."""
    timeout_ms = settings.ORCHESTRATION["SYNC_WAIT_MS"] if timeout_ms is None else timeout_ms
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        execution.refresh_from_db()
        if execution.status in TERMINAL or time.monotonic() >= deadline:
            return execution
        time.sleep(poll_ms / 1000)
