"""The migrations describe the models as they are: a schema change never ships without its migration."""

import io

import pytest
from django.core.management import call_command


def test_no_model_change_is_missing_a_migration(db):
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:  # --check exits non-zero when a model has changes no migration holds
        pytest.fail(f"Models and migrations differ:\n{out.getvalue()}")
