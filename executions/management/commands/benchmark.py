"""Run the engine's benchmark scenarios beside bare baselines and print one table."""

import json

from django.core.management.base import BaseCommand, CommandError

from executions.benchmarks import scenarios  # noqa: F401  (registers every scenario)
from executions.benchmarks.registry import SCENARIOS, SIZES, sizes_for
from executions.benchmarks.run import Refused, benchmark_run
from executions.benchmarks.table import render


class Command(BaseCommand):
    help = "Measure the engine against bare baselines (B1–B9) on the configured database and broker."

    def add_arguments(self, parser):
        parser.add_argument("--scenarios", default="", help="Comma-separated ids (default: all), e.g. B1,B3.")
        parser.add_argument("--smoke", action="store_true", help="Tiny sizes: every scenario in seconds (CI).")
        parser.add_argument("--workers", type=int, default=2, help="Worker processes (default 2).")
        parser.add_argument("--threads", type=int, default=16, help="Threads per worker process (default 16).")
        parser.add_argument(
            "--size", action="append", default=[], metavar="NAME=VALUE", help=f"Override a size: {', '.join(SIZES)}."
        )
        parser.add_argument("--force", action="store_true", help="Run even if the database holds other data.")
        parser.add_argument("--json", action="store_true", help="Print the rows as JSON instead of a table.")

    def handle(self, *args, **options):
        ids = [item.strip().upper() for item in options["scenarios"].split(",") if item.strip()] or sorted(SCENARIOS)
        unknown = [item for item in ids if item not in SCENARIOS]
        if unknown:
            raise CommandError(f"Unknown scenario(s) {', '.join(unknown)}; known: {', '.join(sorted(SCENARIOS))}.")
        try:
            overrides = dict(item.split("=", 1) for item in options["size"])
            sizes = sizes_for(smoke=options["smoke"], overrides=overrides)
        except (KeyError, ValueError) as exc:
            raise CommandError(f"Bad --size {exc}; use NAME=VALUE with NAME one of {', '.join(SIZES)}.") from None
        say = self.stderr.write if options["verbosity"] > 0 else None
        try:
            header, rows = benchmark_run(
                scenario_ids=ids,
                sizes=sizes,
                processes=options["workers"],
                threads=options["threads"],
                force=options["force"],
                say=say,
            )
        except Refused as exc:
            raise CommandError(f"Refusing to run: {exc}.") from None
        if options["json"]:
            self.stdout.write(json.dumps({"header": header, "rows": [row.as_dict() for row in rows]}, indent=2))
            return
        self.stdout.write("\n".join(header))
        self.stdout.write("")
        self.stdout.write(render(rows))
