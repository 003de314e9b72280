"""MANUAL and API triggers: a run started from the admin or the execute endpoint."""

from executions.models import TriggerSource
from executions.triggers.firings import enabled_triggers, firing_create
from orchestration_site.exceptions import Conflict


def workflow_run(*, workflow, source=TriggerSource.API, input=None, metadata=None, test_run=False, actor=None):
    """Start a run by hand (MANUAL, the admin) or through the API, recorded as a firing.

    A workflow that declares triggers of that kind but has none enabled refuses (409); one that
    declares none may still be run, as the execute endpoint always allowed.
    """
    declared = [t for t in workflow.triggers or [] if isinstance(t, dict) and t.get("type") == source]
    enabled = enabled_triggers(workflow, source)
    if declared and not enabled and not test_run:
        raise Conflict(f"The workflow's {source} trigger is disabled; enable it to run the workflow this way.")
    index = enabled[0][0] if enabled else None
    firing = firing_create(
        workflow=workflow,
        source=source,
        trigger_index=index,
        input=input,
        metadata=metadata,
        test_run=test_run,
        actor=actor,
    )
    return firing.execution
