"""The test settings keep the in-process broker whatever DRAMATIQ_BROKER_URL the shell exports.

Tests that exercise Redis or RabbitMQ bind those brokers themselves; the rest expect the
in-process one, and a URL left in the environment from running workers must not change that.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PRINT_BROKER = "import django; django.setup(); import dramatiq; print(type(dramatiq.get_broker()).__name__)"


def broker_class_under(settings_module):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DRAMATIQ_BROKER_URL": "redis://127.0.0.1:6379/15",
        "ALLOW_DEV_SECRET_KEY": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", PRINT_BROKER],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("settings_module", "broker"),
    [("orchestration_site.settings_test", "StubBroker"), ("orchestration_site.settings", "WakingRedisBroker")],
)
def test_the_broker_url_in_the_environment_binds_outside_the_tests_only(settings_module, broker):
    assert broker_class_under(settings_module) == broker
