"""Start a workflow from the command line; with --wait, follow it and exit by its outcome."""

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import APIException

from executions.models import StepExecution, TriggerSource, WorkflowExecution
from executions.statuses import TERMINAL
from executions.triggers import manual
from orchestration_site.parsers import safe_loads
from workflows import selectors

# Exit codes: 0 COMPLETED (or queued without --wait), 1 the run ended otherwise,
# 2 bad usage (unknown workflow, bad input, not runnable), 3 still running when --timeout passed.
FAILED_EXIT, USAGE_EXIT, STILL_RUNNING_EXIT = 1, 2, 3


class Command(BaseCommand):
    help = "Run a workflow by id or name; --wait follows it and exits 0 only when it COMPLETED."

    def add_arguments(self, parser):
        parser.add_argument("workflow", help="Workflow id or exact name.")
        parser.add_argument("--input", default="{}", help="Input as a JSON object.")
        parser.add_argument("--wait", action="store_true", help="Follow the run, print its output, exit by outcome.")
        parser.add_argument("--timeout", type=float, default=300, help="Seconds --wait waits (default 300).")
        parser.add_argument("--test-run", action="store_true", help="Run a workflow that is not ACTIVE.")

    def handle(self, *args, workflow, input, wait, timeout, test_run, **options):
        try:
            found = selectors.workflow_by_reference(ref=workflow)
        except LookupError as error:
            raise CommandError(str(error), returncode=USAGE_EXIT) from None
        try:
            payload = safe_loads(input)  # as the API parses it: NaN, NUL and unpaired surrogates cannot be stored
        except ValueError as error:
            raise CommandError(f"--input is not JSON: {error}.", returncode=USAGE_EXIT) from None
        if not isinstance(payload, dict):
            raise CommandError("--input must be a JSON object.", returncode=USAGE_EXIT)
        try:
            # A run by hand, recorded as a MANUAL firing like the admin's (a disabled MANUAL trigger refuses).
            execution = manual.workflow_run(
                workflow=found,
                source=TriggerSource.MANUAL,
                input=payload,
                metadata={"source": "run_workflow"},
                test_run=test_run,
            )
        except APIException as error:
            raise CommandError(str(error.detail), returncode=USAGE_EXIT) from None
        self.stdout.write(f"Started execution {execution.pk} of {found.name!r} (version {execution.workflow_version}).")
        if not wait and _runs_in_this_process():
            # The in-process broker's worker lives in this process: leaving now would drop the run.
            self.stdout.write("In-process broker: this command's worker runs it, so it waits for the end.")
            wait = True
        if not wait:
            return
        execution = self._follow(execution, timeout)
        if execution.status not in TERMINAL:
            raise CommandError(
                f"Execution {execution.pk} still {execution.status} after {timeout:g} s.", returncode=STILL_RUNNING_EXIT
            )
        self.stdout.write(json.dumps(execution.output, indent=2, sort_keys=True, default=str))
        if execution.status != "COMPLETED":
            raise CommandError(
                f"Execution {execution.pk} {execution.status}: {execution.error}", returncode=FAILED_EXIT
            )
        self.stdout.write(self.style.SUCCESS(f"Execution {execution.pk} COMPLETED in {execution.duration} ms."))

    def _follow(self, execution, timeout):
        """Print each step as it ends, until the run ends or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        shown = set()
        while True:
            execution = WorkflowExecution.objects.get(pk=execution.pk)
            ended = (
                StepExecution.objects.filter(execution=execution, status__in=TERMINAL)
                .exclude(pk__in=shown)
                .order_by("completed_at", "created_at")
            )
            for row in ended:
                shown.add(row.pk)
                detail = f" ({row.duration} ms)" if row.duration is not None else ""
                error = f": {row.error}" if row.error else ""
                self.stdout.write(f"  {row.key} {row.status}{detail}{error}")
            if execution.status in TERMINAL or time.monotonic() >= deadline:
                return execution
            time.sleep(0.1)


def _runs_in_this_process():
    return settings.EMBEDDED_WORKER and not settings.DRAMATIQ_BROKER_URL
