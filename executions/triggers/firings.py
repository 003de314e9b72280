"""Record a trigger firing and start its execution, once per due time, delivery or event."""

from django.db import IntegrityError, transaction

from executions.models import TriggerFiring
from executions.services import execution_start


def is_enabled(trigger):
    """A trigger without `isEnabled` is enabled, as the spec's examples always say true."""
    return trigger.get("isEnabled", True) is not False


def enabled_triggers(workflow, kind):
    """Return [(index, trigger)] of the workflow's enabled triggers of `kind`."""
    return [
        (index, trigger)
        for index, trigger in enumerate(workflow.triggers or [])
        if isinstance(trigger, dict) and trigger.get("type") == kind and is_enabled(trigger)
    ]


def firing_create(
    *, workflow, source, trigger_index=None, input=None, metadata=None, test_run=False, actor=None, **keys
):
    """Start an execution and record its firing in one transaction; None if it already fired.

    `keys` are the firing's identity (due_at, delivery_id, signature, idempotency_key) and
    event_type. When another scheduler or delivery recorded the same identity first, the unique
    constraint rolls this one back, execution included: nothing is started and nothing is sent.
    """
    try:
        with transaction.atomic():
            execution = execution_start(
                workflow=workflow, input=input, metadata=metadata, test_run=test_run, actor=actor
            )
            firing = TriggerFiring.objects.create(
                workflow=workflow, trigger_index=trigger_index, source=source, execution=execution, **keys
            )
    except IntegrityError:
        return None
    return firing
