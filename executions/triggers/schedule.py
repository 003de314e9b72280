"""SCHEDULE trigger: due times from a cron expression (in a time zone) or an interval, fired once.

`due_times` is pure arithmetic. `schedule_tick` fires what is due: it claims each due time by
inserting its firing row, and the unique (workflow, trigger, due time) constraint picks one winner,
so any number of schedulers (`manage.py run_scheduler`, one thread in every worker process) may run.
"""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Max

from executions.models import TriggerFiring, TriggerSource
from executions.triggers.firings import enabled_triggers, firing_create
from workflows.models import Workflow, WorkflowStatus

logger = logging.getLogger(__name__)
SKIP, CATCH_UP = "skip", "catchUp"


def _cron_times(expression, zone, after):
    """Yield the cron's due times strictly after `after`, as UTC datetimes, in order.

    The expression matches local wall-clock times. A time that a spring-forward skips is taken
    with the offset before the change (02:30 → 03:30 summer time); a time that a fall-back repeats
    fires once, at its first occurrence. Times are strictly increasing, so none fires twice.
    """
    tz = ZoneInfo(zone)
    local = croniter(expression, after.astimezone(tz).replace(tzinfo=None))
    last = after
    while True:
        due = local.get_next(datetime).replace(tzinfo=tz).astimezone(UTC)
        if due > last:
            last = due
            yield due


def due_times(*, after, now, cron=None, timezone="UTC", interval=None, missed=SKIP, grace_s=60, limit=100):
    """Return the due times in (after, now] that should fire now, oldest first.

    `after` is the last due time that fired (or when the schedule started counting). With `skip`,
    due times more than `grace_s` late are dropped and only the latest one left fires; with
    `catchUp` every missed time fires, at most `limit` per call (the next call goes on).
    An interval schedule is due every `interval` seconds counted from `after`.
    """
    start = max(after, now - timedelta(seconds=grace_s)) if missed == SKIP else after
    if interval:
        step = timedelta(seconds=interval)
        if missed == SKIP:
            latest = after + step * ((now - after) // step)
            return [latest] if latest > start else []
        count = min((now - after) // step, limit)
        return [after + step * k for k in range(1, count + 1)]
    times = []
    for due in _cron_times(cron, timezone, start):
        if due > now:
            break
        times.append(due)
        if missed != SKIP and len(times) >= limit:
            break
    return times[-1:] if missed == SKIP else times


class Clock:
    """The scheduler's clock: real time, or time running `speed` times faster from `origin` (Unix s)."""

    def __init__(self, *, speed=1.0, origin=None):
        self.speed = speed
        self.origin = time.time() if origin is None else origin

    def now(self):
        return datetime.fromtimestamp(self.origin + (time.time() - self.origin) * self.speed, tz=UTC)


def _scheduled_workflows():
    workflows = Workflow.objects.filter(status=WorkflowStatus.ACTIVE)
    if connection.features.supports_json_field_contains:
        workflows = workflows.filter(triggers__contains=[{"type": "SCHEDULE"}])
    return [workflow for workflow in workflows if enabled_triggers(workflow, "SCHEDULE")]


def schedule_tick(*, now):
    """Fire every enabled schedule of every ACTIVE workflow that is due at `now`; return the firings."""
    workflows = _scheduled_workflows()
    last_fired = {
        (row["workflow_id"], row["trigger_index"]): row["last"]
        for row in TriggerFiring.objects.filter(source=TriggerSource.SCHEDULE, workflow__in=workflows)
        .values("workflow_id", "trigger_index")
        .annotate(last=Max("due_at"))
    }
    fired = []
    for workflow in workflows:
        for index, trigger in enabled_triggers(workflow, "SCHEDULE"):
            # Counting starts when the workflow was last saved (activated, edited): runs missed
            # while it was inactive or differently scheduled are not caught up.
            last = last_fired.get((workflow.pk, index))
            after = max(last, workflow.updated_at) if last else workflow.updated_at
            try:
                fired += _fire_due(workflow, index, trigger.get("config") or {}, after=after, now=now)
            except Exception:  # one broken schedule (or a workflow deactivated meanwhile) must not stop the others
                logger.exception("Schedule triggers[%d] of workflow %s failed", index, workflow.pk)
    return fired


def _fire_due(workflow, index, config, *, after, now):
    options = settings.TRIGGERS
    times = due_times(
        after=after,
        now=now,
        cron=config.get("cron"),
        timezone=config.get("timezone", "UTC"),
        interval=config.get("interval"),
        missed=config.get("missedRuns", SKIP),
        grace_s=options["SCHEDULER_MISFIRE_GRACE_S"],
        limit=options["SCHEDULER_CATCH_UP_BATCH"],
    )
    fired = []
    for due in times:
        firing = firing_create(
            workflow=workflow,
            source=TriggerSource.SCHEDULE,
            trigger_index=index,
            input=config.get("input") or {},
            metadata={"trigger": {"type": "SCHEDULE", "index": index, "dueAt": due.isoformat()}},
            due_at=due,
        )
        if firing is not None:
            fired.append(firing)
    return fired


def scheduler_run(*, clock=None, tick_s=None, until=None, stop=None):
    """Tick until `stop` is set or the clock reaches `until` (after a last tick at exactly `until`)."""
    clock = clock or Clock()
    tick_s = settings.TRIGGERS["SCHEDULER_TICK_MS"] / 1000 if tick_s is None else tick_s
    stop = stop or threading.Event()
    while True:
        now = clock.now()
        if until is not None and now >= until:
            now = until
        try:
            close_old_connections()
            fired = schedule_tick(now=now)
            if fired:
                logger.info("Scheduler fired %d run(s) due by %s", len(fired), now.isoformat())
        except Exception:  # a database blip must not stop the scheduler; the next tick goes on
            logger.exception("Scheduler tick failed")
            connection.close()
        if (until is not None and now >= until) or stop.wait(tick_s):
            return
