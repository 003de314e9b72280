"""Delete ended executions older than a retention period, in batches."""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from executions import services

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text):
    """Return the timedelta of `30d`, `12h`, `90m`, `2w` or `45s`."""
    match = re.fullmatch(r"(\d+)([smhdw])", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an age such as 30d, 12h, 90m, 2w or 45s.")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = "Delete ended executions (with their step records) older than --older-than; active ones are kept."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="Age such as 30d, 12h, 90m, 2w.")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args, older_than, batch_size, dry_run, **options):
        try:
            age = parse_age(older_than)
            cutoff = timezone.now() - age
        except ValueError as error:
            raise CommandError(str(error)) from None
        except OverflowError:
            raise CommandError(f"--older-than {older_than} reaches past any date.") from None
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if dry_run:
            count = services.execution_prune(older_than=cutoff, dry_run=True)
            self.stdout.write(f"Would delete {count} execution(s) that ended before {cutoff:%Y-%m-%d %H:%M:%S %Z}.")
            return
        deleted = services.execution_prune(
            older_than=cutoff,
            batch_size=batch_size,
            on_batch=lambda done, total: self.stdout.write(f"Deleted {done}/{total} execution(s)…"),
        )
        self.stdout.write(f"Deleted {deleted} execution(s) that ended before {cutoff:%Y-%m-%d %H:%M:%S %Z}.")
