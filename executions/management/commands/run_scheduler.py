"""Fire due SCHEDULE triggers until stopped; any number may run at once."""

import contextlib

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from executions.triggers.schedule import Clock, scheduler_run


class Command(BaseCommand):
    help = "Fire every due SCHEDULE trigger, each due time exactly once, however many schedulers run."

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=float, help="Seconds between ticks (default SCHEDULER_TICK_MS).")
        parser.add_argument("--once", action="store_true", help="Tick once and exit.")
        parser.add_argument(
            "--speed", type=float, default=1.0, help="Run schedule time this many times faster (for trials, tests)."
        )
        parser.add_argument(
            "--origin",
            type=float,
            help="Unix time from which --speed applies (default now); share it across schedulers.",
        )
        parser.add_argument("--until", help="Stop once schedule time reaches this ISO 8601 instant.")

    def handle(self, *args, tick=None, once=False, speed=1.0, origin=None, until=None, **options):
        if speed <= 0:
            raise CommandError("--speed must be positive.")
        if until is not None:
            until_at = parse_datetime(until)
            if until_at is None or until_at.tzinfo is None:
                raise CommandError("--until must be an ISO 8601 instant with a time zone.")
            until = until_at
        clock = Clock(speed=speed, origin=origin)
        if once:
            until = clock.now()
        self.stdout.write(f"Scheduler running (speed {speed:g}); Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            scheduler_run(clock=clock, tick_s=tick, until=until)
        self.stdout.write("Scheduler stopped.")
