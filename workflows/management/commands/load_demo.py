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
        created = 0
        for definition in demo_workflows(base_url):
            if Workflow.objects.filter(name=definition["name"]).exists():
                continue
            services.workflow_create(data=definition)
            created += 1
        self.stdout.write(f"Demo data: {created} workflow(s) created, {Workflow.objects.count()} in all.")
