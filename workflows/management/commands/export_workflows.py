"""Write workflows as an export bundle, to a file or stdout."""

from django.core.management.base import BaseCommand, CommandError

from workflows import selectors, transfer
from workflows.models import Workflow


class Command(BaseCommand):
    help = "Export workflows (all, or those named by id or name) as a JSON bundle."

    def add_arguments(self, parser):
        parser.add_argument("workflows", nargs="*", help="Workflow ids or exact names (default: every workflow).")
        parser.add_argument("--output", "-o", default="-", help="File to write (default: stdout).")

    def handle(self, *args, workflows, output, **options):
        chosen = [_find(ref) for ref in workflows] if workflows else list(Workflow.objects.all())
        text = transfer.workflows_export(chosen)
        if output == "-":
            self.stdout.write(text, ending="")
        else:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)
            self.stderr.write(f"Exported {len(chosen)} workflow(s) to {output}.")


def _find(ref):
    try:
        return selectors.workflow_by_reference(ref=ref)
    except LookupError as error:
        raise CommandError(str(error)) from None
