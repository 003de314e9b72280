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
from tests.support.workers import RABBITMQ_URL, REDIS_URL, bound_broker, wait_for_execution
from workflows import services as workflow_services

PROJECT_DIR = Path(__file__).resolve().parents[2]
# A Redis database of its own, so worker processes never meet another suite's messages.
PROCESS_REDIS_DB = int(os.environ.get("TEST_PROCESS_REDIS_DB", "13"))


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


def broker_url(kind):
    return process_redis_url() if kind == "redis" else RABBITMQ_URL


class WorkerGroup:
    """`rundramatiq` with N processes × M threads, which a test may kill and start again."""

    def __init__(self, kind, processes, threads, env):
        self.kind, self.processes, self.threads = kind, processes, threads
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "orchestration_site.settings",
            "DATABASE_URL": test_database_url(),
            "DRAMATIQ_BROKER_URL": broker_url(kind),
            "ALLOW_DEV_SECRET_KEY": "1",
            "EMBEDDED_WORKER": "0",
            "dramatiq_worker_timeout": "100",
            "LOG_LEVEL": "WARNING",
            "OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8,::1/128",
            **(env or {}),
        }
        self.log = tempfile.NamedTemporaryFile(prefix="workers-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = None

    def start(self):
        """Start the processes and wait until they run work."""
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "rundramatiq",
                "--processes",
                str(self.processes),
                "--threads",
                str(self.threads),
            ],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        ready = workflow_services.workflow_create(
            data={"name": "worker readiness", "category": "test", "status": "ACTIVE", "steps": []}
        )
        wait_for_execution(services.execution_start(workflow=ready).pk, timeout=60)
        return self

    def kill(self):
        """kill -9 every process of the group, as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        """Stop gracefully: TERM to the main process only (it passes it on to the workers)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


@contextlib.contextmanager
def worker_processes(processes=2, threads=8, kind="redis", env=None):
    """Start `rundramatiq` on the `kind` broker, sharing the test database; stop it at the end."""
    options = {"url": broker_url(kind), "namespace": "dramatiq"} if kind == "redis" else {}
    with bound_broker(kind, **options):
        group = WorkerGroup(kind, processes, threads, env)
        try:
            yield group.start()
        finally:
            if group.process is not None and group.process.poll() is None:
                group.stop()
            group.log.close()
