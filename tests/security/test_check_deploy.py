"""`manage.py check --deploy` is clean under production settings (a separate process, real settings)."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def check_deploy(**env):
    production = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "ALLOW_DEV_SECRET_KEY",
            "SECRETS_ENCRYPTION_KEY",
            "SECURE_HSTS_SECONDS",
            "SECURE_COOKIES",
            "SECURE_SSL_REDIRECT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests for their own thread
        }
    }
    production.update(
        {
            "DJANGO_SETTINGS_MODULE": "orchestration_site.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SECRETS_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": "orchestration.example.com",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("redirect", ["1", "0"])
def test_check_deploy_is_clean(redirect):
    # Without SECURE_SSL_REDIRECT the TLS proxy redirects; the one check about it is silenced then.
    result = check_deploy(SECURE_SSL_REDIRECT=redirect)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_a_debug_production():
    result = check_deploy(DEBUG="1")

    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout
