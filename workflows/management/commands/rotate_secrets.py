"""Re-encrypt every secret config value with the first key of SECRETS_ENCRYPTION_KEY."""

from django.core.management.base import BaseCommand, CommandError

from workflows import services
from workflows.crypto import SecretUnreadable


class Command(BaseCommand):
    help = "Re-encrypt secret config values with the first SECRETS_ENCRYPTION_KEY (run before removing an old key)."

    def handle(self, *args, **options):
        try:
            count = services.config_rotate_secrets()
        except SecretUnreadable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Re-encrypted {count} secret config value(s) with the first key.")
