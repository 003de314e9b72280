"""Real worker processes (`manage.py rundramatiq`) on Redis, sharing the test database."""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote, urlparse

from django.db import connection

from executions import services
from tests.support.workers import REDIS_URL, bound_broker, wait_for_execution
from workflows import services as workflow_services

PROJECT_DIR = Path(__file__).resolve().parents[2]
# A Redis database of its own, so worker processes never meet another suite's messages.
PROCESS_REDIS_DB = 13


def test_database_url():
    """The URL of the database this test run uses (the test database, not the configured one)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    credentials = quote(settings["USER"] or "")
    if settings.get("PASSWORD"):
        credentials += ":" + quote(settings["PASSWORD"])
    host = settings["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"


def process_redis_url():
    parts = urlparse(REDIS_URL)
    return f"{parts.scheme}://{parts.netloc}/{PROCESS_REDIS_DB}"


@contextlib.contextmanager
def worker_processes(processes=2, threads=8):
    """Start `rundramatiq` with N processes × M threads; yield once they run work; stop them."""
    redis_url = process_redis_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "orchestration_site.settings",
        "DATABASE_URL": test_database_url(),
        "DRAMATIQ_BROKER_URL": redis_url,
        "ALLOW_DEV_SECRET_KEY": "1",
        "EMBEDDED_WORKER": "0",
        "dramatiq_worker_timeout": "100",
        "LOG_LEVEL": "WARNING",
    }
    log = tempfile.NamedTemporaryFile(prefix="workers-", suffix=".log", delete=False)  # noqa: SIM115
    with bound_broker("redis", url=redis_url, namespace="dramatiq") as broker:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rundramatiq", "--processes", str(processes), "--threads", str(threads)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            ready = workflow_services.workflow_create(
                data={"name": "worker readiness", "category": "test", "status": "ACTIVE", "steps": []}
            )
            wait_for_execution(services.execution_start(workflow=ready).pk, timeout=60)
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            broker.flush_all()
            log.close()
