"""WAIT: pause for a duration or until a time, holding no worker thread."""

from datetime import datetime, timedelta

from executions.engine.errors import STEP_ERROR, StepError
from executions.engine.outcomes import Completed, Sleep
from executions.engine.registry import register
from executions.engine.steps.base import StepType

UNIT_MS = {
    "ms": 1,
    "milliseconds": 1,
    "s": 1000,
    "seconds": 1000,
    "min": 60_000,
    "minutes": 60_000,
    "h": 3_600_000,
    "hours": 3_600_000,
}


def due_time(config, now):
    if "until" in config:
        try:
            until = datetime.fromisoformat(str(config["until"]).replace("Z", "+00:00"))
        except ValueError:
            raise StepError(STEP_ERROR, f"until is not an ISO 8601 timestamp: {config['until']!r}.") from None
        if until.tzinfo is None:
            raise StepError(STEP_ERROR, "until needs a time zone (for example 2026-01-01T09:00:00Z).")
        return until
    return now + timedelta(milliseconds=float(config["duration"]) * UNIT_MS[config.get("unit", "ms")])


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
