"""Secret config values are encrypted at rest and read back transparently; keys rotate."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from orchestration_site import masking
from workflows import crypto, services
from workflows.crypto import SecretUnreadable
from workflows.models import ConfigEntry
from workflows.selectors import config_values

pytestmark = pytest.mark.django_db
SECRET = {"apiKey": "key-A-123", "pin": 4321}


def stored(key):
    """The value column as the database holds it (JSON text)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM workflows_configentry WHERE key = %s", [key])
        raw = cursor.fetchone()[0]
    return json.loads(raw) if isinstance(raw, str) else raw


def test_a_secret_is_stored_encrypted_and_read_back_as_its_value():
    services.config_set(key="carrierA", value=SECRET, is_secret=True)

    raw = stored("carrierA")
    assert set(raw) == {"$fernet"}
    assert "key-A-123" not in json.dumps(raw) and "4321" not in json.dumps(raw)
    assert ConfigEntry.objects.get(key="carrierA").value == SECRET
    assert ConfigEntry.objects.values_list("value", flat=True).get(key="carrierA") == SECRET
    assert config_values() == ({"carrierA": SECRET}, {"carrierA"})


def test_a_public_value_stays_plain_json():
    services.config_set(key="region", value={"name": "eu"})
    assert stored("region") == {"name": "eu"}


def test_a_secret_made_public_is_stored_plain_again():
    services.config_set(key="k", value="hidden-1", is_secret=True)
    services.config_set(key="k", value="shown", is_secret=False)
    assert stored("k") == "shown"


def test_the_api_writes_secrets_encrypted(api):
    response = api.post("/api/v1/config", {"key": "tok", "value": "t0k3n-xyz", "isSecret": True}, format="json")

    assert response.status_code == 201
    assert response.json()["value"] == "***"
    assert "t0k3n-xyz" not in json.dumps(stored("tok"))
    assert ConfigEntry.objects.get(key="tok").value == "t0k3n-xyz"


def test_reading_a_secret_makes_this_process_mask_it():
    services.config_set(key="tok", value="t0k3n-xyz", is_secret=True)
    masking.forget_all()

    ConfigEntry.objects.get(key="tok")

    assert masking.mask_known("Bearer t0k3n-xyz") == "Bearer ***"


def test_keys_rotate_old_values_stay_readable_and_rotate_secrets_moves_them_to_the_new_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(SECRETS_ENCRYPTION_KEY=old):
        services.config_set(key="carrierA", value=SECRET, is_secret=True)
    token = stored("carrierA")["$fernet"]

    with override_settings(SECRETS_ENCRYPTION_KEY=f"{new},{old}"):
        assert ConfigEntry.objects.get(key="carrierA").value == SECRET
        call_command("rotate_secrets", stdout=open(os.devnull, "w"))  # noqa: SIM115
        assert stored("carrierA")["$fernet"] != token

    with override_settings(SECRETS_ENCRYPTION_KEY=new):
        assert ConfigEntry.objects.get(key="carrierA").value == SECRET


def test_a_secret_under_a_removed_key_is_refused_clearly():
    with override_settings(SECRETS_ENCRYPTION_KEY=Fernet.generate_key().decode()):
        services.config_set(key="carrierA", value=SECRET, is_secret=True)

    other = Fernet.generate_key().decode()
    with override_settings(SECRETS_ENCRYPTION_KEY=other), pytest.raises(SecretUnreadable, match="rotate_secrets"):
        ConfigEntry.objects.get(key="carrierA")


def test_an_invalid_key_fails_the_system_check():
    from workflows.checks import check_encryption_keys

    with override_settings(SECRETS_ENCRYPTION_KEY="not-a-fernet-key"):
        assert [error.id for error in check_encryption_keys()] == ["workflows.E001"]
    assert check_encryption_keys() == []


def test_without_a_key_development_derives_one_from_secret_key():
    with override_settings(SECRETS_ENCRYPTION_KEY="", SECRET_KEY="one"):
        token = crypto.encrypt("x")
    with override_settings(SECRETS_ENCRYPTION_KEY="", SECRET_KEY="one"):
        assert crypto.decrypt(token) == "x"
    with override_settings(SECRETS_ENCRYPTION_KEY="", SECRET_KEY="two"), pytest.raises(SecretUnreadable):
        crypto.decrypt(token)


def test_the_migration_encrypts_secrets_stored_before_it():
    # Given secrets stored in plain text, as before 0004 (written around the model's encryption)
    services.config_set(key="legacy", value=SECRET, is_secret=True)
    services.config_set(key="public", value="plain")
    ConfigEntry.objects.filter(key="legacy").update(value=SECRET)
    assert stored("legacy") == SECRET

    # When the data step of the migration runs
    migration = importlib.import_module("workflows.migrations.0004_encrypted_config")
    state = MigrationExecutor(connection).loader.project_state(("workflows", "0004_encrypted_config"))
    migration.encrypt_secrets(state.apps, None)

    # Then they are encrypted, read back unchanged, and running it again changes nothing
    assert set(stored("legacy")) == {"$fernet"}
    assert stored("public") == "plain"
    migration.encrypt_secrets(state.apps, None)
    assert ConfigEntry.objects.get(key="legacy").value == SECRET
    migration.decrypt_secrets(state.apps, None)
    assert stored("legacy") == SECRET


def test_production_settings_refuse_to_start_without_a_key():
    env = {k: v for k, v in os.environ.items() if k not in ("ALLOW_DEV_SECRET_KEY", "SECRETS_ENCRYPTION_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="orchestration_site.settings", DEBUG="0", SECRET_KEY="x" * 50)
    code = "import django; django.setup()"
    project = Path(__file__).resolve().parents[2]

    refused = subprocess.run([sys.executable, "-c", code], env=env, cwd=project, capture_output=True, text=True)
    env["SECRETS_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    started = subprocess.run([sys.executable, "-c", code], env=env, cwd=project, capture_output=True, text=True)

    assert refused.returncode != 0
    assert "SECRETS_ENCRYPTION_KEY must be set" in refused.stderr
    assert started.returncode == 0, started.stderr
