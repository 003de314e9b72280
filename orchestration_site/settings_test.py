"""Test settings: the normal settings, with a development key and no embedded worker.

Tests start their own workers (tests/support/workers.py) on the broker they exercise.
"""

import os
import tempfile

os.environ.setdefault("ALLOW_DEV_SECRET_KEY", "1")
os.environ.setdefault("EMBEDDED_WORKER", "0")
# Tests run schedules explicitly (run_scheduler processes, schedule_tick), not in every worker.
os.environ.setdefault("SCHEDULER_IN_WORKERS", "0")

from orchestration_site.broker import dramatiq_broker_settings
from orchestration_site.settings import *  # noqa: F403
from orchestration_site.settings import DATABASES

# The process's global broker is the in-process one, whatever the shell exports (a
# DRAMATIQ_BROKER_URL left from running workers, say): a test that needs Redis or RabbitMQ
# binds it itself, and every other test expects the in-process broker.
DRAMATIQ_BROKER_URL = ""
DRAMATIQ_BROKER = dramatiq_broker_settings(DRAMATIQ_BROKER_URL)

# Worker threads use their own connections: close them after every message.
DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared-cache memory: worker threads then get SQLite's normal locking.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"orchestration-test-{os.getpid()}.db")}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests sweep explicitly (executions.recovery.recover) rather than from a background thread,
# unless a test's worker processes ask for it through the environment.
ORCHESTRATION["RECOVERY_INTERVAL_MS"] = int(os.environ.get("RECOVERY_INTERVAL_MS", "0"))  # noqa: F405

# The tests' HTTP servers listen on loopback.
OUTBOUND_ALLOW_NETWORKS = "127.0.0.0/8,::1/128"

# The suite makes many requests per second as one user: only the throttling tests lower the rates.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "100000/second", "user": "100000/second", "run": "100000/second"}  # noqa: F405

# The demo workflows' tests call the demo services, which DEBUG (off here) would otherwise switch off.
DEMO_ENDPOINTS = True
