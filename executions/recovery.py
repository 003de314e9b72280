"""The recovery sweep: finds work a dead worker or a lost message left behind, and sends it again.

Everything it sends is safe to receive twice: steps and executions are claimed before they run.
Each worker process sweeps at start and every RECOVERY_INTERVAL_MS; `manage.py
recover_executions` runs one sweep by hand.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from executions.engine import runner
from executions.models import StepExecution, WorkflowExecution
from executions.statuses import ACTIVE, ExecutionStatus

S = ExecutionStatus
BATCH = 500
logger = logging.getLogger(__name__)


def recover(*, stale_ms=None):
    """Run one sweep; return how many items of each kind it took back."""
    stale_ms = settings.ORCHESTRATION["RECOVERY_STALE_MS"] if stale_ms is None else stale_ms
    now = timezone.now()
    stale = now - timedelta(milliseconds=stale_ms)
    counts = {"lostSteps": 0, "unsentSteps": 0, "unsentExecutions": 0, "timedOut": 0}

    # Steps whose worker died mid-step: RUNNING with a lease that ran out.
    lost = StepExecution.objects.filter(status=S.RUNNING, lease_expires_at__lt=now).values_list("pk", flat=True)
    for row_id in list(lost[:BATCH]):
        try:
            counts["lostSteps"] += runner.recover_lost_step(row_id)
        except Exception:  # one bad record must not stop the sweep for every other execution
            logger.exception("Could not take back step %s", row_id)

    # Messages lost between a commit and its send (or dropped by a broker): send them again,
    # each at most once per stale period whatever the number of sweepers.
    running = Q(execution__status=S.RUNNING) & (Q(resent_at__isnull=True) | Q(resent_at__lt=stale))
    unsent = list(
        StepExecution.objects.filter(running, status=S.PENDING, created_at__lt=stale).values_list("pk", flat=True)[
            :BATCH
        ]
    )
    overdue = list(
        StepExecution.objects.filter(running, status=S.WAITING, scheduled_at__lt=stale).values_list("pk", flat=True)[
            :BATCH
        ]
    )
    pending_executions = list(
        WorkflowExecution.objects.filter(status=S.PENDING, started_at__lt=stale).values_list("pk", flat=True)[:BATCH]
    )
    expired = list(
        WorkflowExecution.objects.filter(status__in=ACTIVE, deadline__lt=now).values_list("pk", flat=True)[:BATCH]
    )
    with transaction.atomic():
        StepExecution.objects.filter(pk__in=unsent + overdue).update(resent_at=now)
        runner.send_steps(unsent + overdue)
        for execution_id in pending_executions:
            runner.send_start(execution_id)
    for execution_id in expired:
        try:
            runner.check_timeout(execution_id)
        except Exception:
            logger.exception("Could not time out execution %s", execution_id)
    counts["unsentSteps"] = len(unsent) + len(overdue)
    counts["unsentExecutions"] = len(pending_executions)
    counts["timedOut"] = len(expired)
    if any(counts.values()):
        logger.info("Recovery sweep: %s", counts)
    return counts
