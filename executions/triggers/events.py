"""EVENT trigger: an event starts every ACTIVE workflow with an enabled EVENT trigger of its type.

`event_dispatch` does it now (the events API); `event_publish` is for application code and does
it once the caller's transaction commits, so a rolled-back change never starts a workflow.
"""

import json
import logging
from functools import partial

from django.db import connection, transaction

from executions.models import TriggerSource
from executions.triggers.firings import enabled_triggers, firing_create
from orchestration_site.exceptions import Conflict
from workflows.models import Workflow, WorkflowStatus

logger = logging.getLogger(__name__)


def _listening(event_type):
    """Return [(workflow, trigger index)] for each ACTIVE workflow listening to `event_type`."""
    workflows = Workflow.objects.filter(status=WorkflowStatus.ACTIVE).order_by("created_at")
    if connection.features.supports_json_field_contains:
        workflows = workflows.filter(triggers__contains=[{"type": "EVENT", "config": {"eventType": event_type}}])
    found = []
    for workflow in workflows:
        matching = [
            index
            for index, trigger in enabled_triggers(workflow, "EVENT")
            if (trigger.get("config") or {}).get("eventType") == event_type
        ]
        if matching:  # one run per workflow, however many of its triggers match
            found.append((workflow, matching[0]))
    return found


def event_dispatch(*, type, payload=None, idempotency_key=None):
    """Start every workflow listening to `type` with `payload` as input; return the executions started.

    With an idempotency key, each workflow starts at most once per key: the same event again
    starts nothing.
    """
    started = []
    for workflow, index in _listening(type):
        try:
            firing = firing_create(
                workflow=workflow,
                source=TriggerSource.EVENT,
                trigger_index=index,
                input=payload or {},
                metadata={
                    "trigger": {"type": "EVENT", "index": index, "eventType": type, "idempotencyKey": idempotency_key}
                },
                idempotency_key=idempotency_key,
                event_type=type,
            )
        except Conflict:  # deactivated since it was listed: it no longer listens
            logger.info("Event %s: workflow %s is no longer ACTIVE", type, workflow.pk)
            continue
        if firing is not None:
            started.append(firing.execution)
    return started


def event_publish(type, payload=None, *, idempotency_key=None):
    """Publish an event from application code: workflows start after the current transaction commits.

    Outside a transaction they start at once. A failure to start is logged, never raised into
    the caller's commit.
    """
    payload = payload or {}
    if not isinstance(payload, dict):
        raise TypeError("An event's payload must be a dict; it becomes the workflows' input.")
    json.dumps(payload)  # fail now, in the caller's code, rather than after its commit
    transaction.on_commit(
        partial(event_dispatch, type=type, payload=payload, idempotency_key=idempotency_key), robust=True
    )
