"""Load the demo workflows and config values; running it again changes nothing."""

import os

from django.core.management.base import BaseCommand

from workflows import services
from workflows.demo_data import DEMO_CONFIG, demo_workflows
from workflows.models import ConfigEntry, Workflow


class Command(BaseCommand):
    help = "Load the spec's example workflows, pointed at the built-in demo services."

    def add_arguments(self, parser):
        default = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
        parser.add_argument("--base-url", default=default, help=f"Where this server listens (default {default}).")

    def handle(self, *args, base_url, **options):
        for entry in DEMO_CONFIG:
            if not ConfigEntry.objects.filter(key=entry["key"]).exists():
                services.config_set(**entry)
        created = repointed = 0
        for definition in demo_workflows(base_url):
            existing = Workflow.objects.filter(name=definition["name"]).first()
            if existing is None:
                services.workflow_create(data=definition)
                created += 1
            elif existing.steps != definition["steps"] and _is_demo(existing):
                # The server moved (another PORT): point the demo's steps at it again.
                services.workflow_update(workflow=existing, data={"steps": definition["steps"]}, partial=True)
                repointed += 1
        self.stdout.write(
            f"Demo data: {created} demo workflow(s) created, {repointed} repointed at {base_url}, "
            f"{len(demo_workflows(base_url)) - created - repointed} already in place."
        )


def _is_demo(workflow):
    """Only workflows whose every URL is a demo endpoint are ours to repoint."""
    urls = [step.get("config", {}).get("url", "") for step in workflow.steps if "url" in step.get("config", {})]
    return bool(urls) and all("/demo/" in url for url in urls)
