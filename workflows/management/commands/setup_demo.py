"""Create the demo staff user (printing its password and API token once) and load demo data."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

CREDENTIALS_FILE = Path(settings.BASE_DIR) / ".demo-credentials"


class Command(BaseCommand):
    help = "Create the demo staff user once and load the demo workflows (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")

    def handle(self, *args, username, **options):
        users = get_user_model()
        if users.objects.filter(username=username).exists():
            self.stdout.write(
                f"Demo user {username!r} exists; its password and token were printed at first run "
                f"(also in {CREDENTIALS_FILE.name}). Reset: manage.py changepassword {username}."
            )
        else:
            password = secrets.token_urlsafe(12)
            user = users.objects.create_superuser(username=username, email="", password=password)
            token = Token.objects.create(user=user)
            CREDENTIALS_FILE.write_text(f"username={username}\npassword={password}\ntoken={token.key}\n")
            CREDENTIALS_FILE.chmod(0o600)
            self.stdout.write(
                self.style.SUCCESS(f"Demo staff user created (shown once, also saved in {CREDENTIALS_FILE.name}):")
            )
            self.stdout.write(f"  username: {username}\n  password: {password}\n  API token: {token.key}")
        call_command("load_demo", stdout=self.stdout)
