"""Create or refresh the viewer, editor and operator groups (also done after every migrate)."""

from django.core.management.base import BaseCommand

from orchestration_site.roles import roles_refresh


class Command(BaseCommand):
    help = "Create the role groups viewer, editor and operator, or reset them to their documented permissions."

    def handle(self, *args, **options):
        for name, group in roles_refresh().items():
            self.stdout.write(f"{name}: {group.permissions.count()} permission(s)")
