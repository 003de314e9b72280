"""Run one recovery sweep: take back steps of dead workers and resend lost messages."""

from django.core.management.base import BaseCommand

from executions.recovery import recover


class Command(BaseCommand):
    help = "Take back steps whose worker died and send again work whose message was lost."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-ms", type=int, default=None, help="Resend work untouched this long (default: RECOVERY_STALE_MS)."
        )

    def handle(self, *args, stale_ms, **options):
        counts = recover(stale_ms=stale_ms)
        self.stdout.write(", ".join(f"{name}: {value}" for name, value in counts.items()))
