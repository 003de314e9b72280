"""The one way an execution's status changes: a conditional UPDATE checked against the table."""

from executions.models import WorkflowExecution
from executions.statuses import sources_for


def move_execution(execution_id, new_status, *, from_statuses=None, **fields):
    """Move an execution to `new_status` when its current status allows it; return True if it moved.

    `from_statuses` narrows the allowed sources (start() only takes PENDING, resume only PAUSED).
    The check and the write are one UPDATE, so concurrent movers cannot both win.
    """
    allowed = set(sources_for(new_status))
    if from_statuses is not None:
        unknown = set(from_statuses) - allowed
        if unknown:
            raise ValueError(f"{sorted(unknown)} → {new_status} is not an allowed move.")
        allowed = set(from_statuses)
    return bool(
        WorkflowExecution.objects.filter(pk=execution_id, status__in=allowed).update(status=new_status, **fields)
    )
