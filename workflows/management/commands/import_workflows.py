"""Import export bundles (or single workflows) from files or stdin."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from orchestration_site.parsers import safe_loads
from workflows import transfer
from workflows.definition import DefinitionError


class Command(BaseCommand):
    help = "Import workflows from export bundles; every file is validated before anything is written."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="Bundle files; none or '-' reads stdin.")
        parser.add_argument("--on-conflict", choices=transfer.ON_CONFLICT, default="skip")
        parser.add_argument("--dry-run", action="store_true", help="Only list what would change; write nothing.")

    def handle(self, *args, files, on_conflict, dry_run, **options):
        stdin = options.get("stdin") or sys.stdin
        payloads = [(name, _read(name, stdin)) for name in files or ["-"]]
        results = []
        # All files in one transaction: one bad file writes nothing at all.
        with transaction.atomic():
            for name, payload in payloads:
                try:
                    results += transfer.workflows_import(payload=payload, on_conflict=on_conflict, dry_run=dry_run)
                except DefinitionError as error:
                    lines = "\n".join(f"  {e['path'] or '(root)'}: {e['message']}" for e in error.errors)
                    raise CommandError(f"{name}: nothing imported:\n{lines}") from None
        for result in results:
            where = f" (id {result['id']}, version {result['version']})" if result["id"] else ""
            action = result["action"]
            if dry_run:
                action = "would " + ("leave unchanged" if action == "unchanged" else action)
            self.stdout.write(f"{action}: {result['name']}{where}")
        self.stdout.write(f"{len(results)} workflow(s){', dry run: nothing written' if dry_run else ''}.")


def _read(name, stdin):
    try:
        if name == "-":
            text = stdin.read()
        else:
            with open(name, encoding="utf-8") as file:
                text = file.read()
    except OSError as error:
        raise CommandError(f"{name}: {error.strerror}.") from None
    try:
        return safe_loads(text)  # as the API parses it: NaN, NUL and unpaired surrogates cannot be stored
    except ValueError as error:
        raise CommandError(f"{name}: not JSON ({error}).") from None
