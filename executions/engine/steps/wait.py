"""WAIT: pause for a duration or until a time, holding no worker thread."""

from datetime import datetime, timedelta

from executions.engine.errors import STEP_ERROR, StepError
from executions.engine.outcomes import Completed, Sleep
from executions.engine.registry import register
from executions.engine.steps.base import StepType
from workflows.definition.schema import WAIT_UNIT_MS, wait_until


def due_time(config, now):
    if "until" in config:
        try:
            return wait_until(config["until"])
        except ValueError as problem:
            raise StepError(STEP_ERROR, str(problem)) from None
    try:
        return now + timedelta(milliseconds=float(config["duration"]) * WAIT_UNIT_MS[config.get("unit", "ms")])
    except OverflowError:  # a definition saved before durations were bounded
        raise StepError(STEP_ERROR, "The wait's duration is out of range (at most 366 days).") from None


@register
class Wait(StepType):
    type_name = "WAIT"

    def execute(self, invocation):
        if "until" in invocation.state:
            until = datetime.fromisoformat(invocation.state["until"])
        else:
            until = due_time(invocation.config, invocation.now)
        if until <= invocation.now:
            return Completed({"waitedUntil": until.isoformat()})
        return Sleep(until=until, state={"until": until.isoformat()})
