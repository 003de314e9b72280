"""Execution and step statuses, and the only moves allowed between them."""

from django.db import models


class ExecutionStatus(models.TextChoices):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"
    SKIPPED = "SKIPPED"
    PAUSED = "PAUSED"


TERMINAL = frozenset(
    {
        ExecutionStatus.COMPLETED,
        ExecutionStatus.FAILED,
        ExecutionStatus.CANCELLED,
        ExecutionStatus.TIMED_OUT,
        ExecutionStatus.SKIPPED,
    }
)
ACTIVE = frozenset({ExecutionStatus.PENDING, ExecutionStatus.RUNNING, ExecutionStatus.WAITING, ExecutionStatus.PAUSED})

# A status never goes backwards: finished is final and work only moves forward, waits or pauses.
# The one deliberate exception is an operator's retry, FAILED → RUNNING.
ALLOWED_MOVES = {
    ExecutionStatus.PENDING: {ExecutionStatus.RUNNING, ExecutionStatus.WAITING} | TERMINAL,
    ExecutionStatus.RUNNING: {ExecutionStatus.WAITING, ExecutionStatus.PAUSED} | TERMINAL,
    ExecutionStatus.WAITING: {ExecutionStatus.RUNNING, ExecutionStatus.PAUSED} | TERMINAL,
    ExecutionStatus.PAUSED: {ExecutionStatus.RUNNING} | TERMINAL,
    ExecutionStatus.FAILED: {ExecutionStatus.RUNNING},
}


def can_move(current, new):
    """Tell whether a record may go from status `current` to `new`."""
    return new in ALLOWED_MOVES.get(current, set())


def sources_for(new):
    """Return the statuses from which a record may move to `new` (for conditional UPDATEs)."""
    return [status for status, targets in ALLOWED_MOVES.items() if new in targets]
