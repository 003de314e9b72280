"""The migrations describe the models as they are: a schema change never ships without its migration."""

import io

from django.core.management import call_command


def test_no_model_change_is_missing_a_migration(db):
    out = io.StringIO()
    # --check exits non-zero (SystemExit) when a model has changes no migration holds.
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
