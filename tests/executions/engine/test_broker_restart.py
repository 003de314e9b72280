"""50 executions running while Redis restarts (losing its queues): all end, none duplicated."""

import shutil
import socket
import subprocess
import time
from urllib.parse import urlparse

import pytest

from executions import services
from executions.models import WorkflowExecution
from executions.statuses import TERMINAL
from tests.conftest import require_service
from tests.support.processes import worker_processes
from tests.support.workers import REDIS_URL

pytestmark = pytest.mark.slow

FAST_RECOVERY = {"LEASE_MARGIN_MS": "500", "RECOVERY_INTERVAL_MS": "300", "RECOVERY_STALE_MS": "1000"}
# The start command of this machine's Redis (DEVELOPERS.md): no persistence, so a restart loses
# every queued and delayed message.
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_port(port, open_, seconds=20):
    deadline = time.monotonic() + seconds
    while port_open(port) != open_:
        assert time.monotonic() < deadline, f"port {port} never became {'open' if open_ else 'closed'}"
        time.sleep(0.05)


def restart_local_redis():
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"],
        check=False,
        capture_output=True,
        timeout=10,
    )
    wait_port(6379, False)
    time.sleep(0.5)
    subprocess.run(REDIS_START, check=True, capture_output=True, timeout=10)
    wait_port(6379, True)


def test_redis_restart_mid_run(transactional_db, server, make_workflow):
    require_service("redis")
    parts = urlparse(REDIS_URL)
    if (parts.hostname, parts.port or 6379) != ("127.0.0.1", 6379) or not shutil.which("redis-server"):
        pytest.skip("needs the local Redis on 127.0.0.1:6379 that this test may restart")
    server.route("POST", "/work", json={"ok": True}, delay=0.05)
    workflow = make_workflow(
        [
            {"id": "pause", "type": "WAIT", "order": 1, "config": {"duration": 800, "unit": "ms"}},
            {
                "id": "work",
                "type": "HTTP_REQUEST",
                "order": 2,
                "config": {"method": "POST", "url": server.url("/work"), "body": {"n": "{{n}}"}},
            },
        ]
    )

    with worker_processes(processes=2, threads=4, env=FAST_RECOVERY):
        ids = [services.execution_start(workflow=workflow, input={"n": n}).pk for n in range(50)]
        time.sleep(0.3)
        try:
            restart_local_redis()
        finally:
            if not port_open(6379):
                subprocess.run(REDIS_START, check=False, timeout=10)
        deadline = time.monotonic() + 90
        while WorkflowExecution.objects.filter(pk__in=ids).exclude(status__in=TERMINAL).exists():
            assert time.monotonic() < deadline, "some executions never ended"
            time.sleep(0.1)

    statuses = set(WorkflowExecution.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == {"COMPLETED"}
    assert sorted(r["body"]["n"] for r in server.received("POST", "/work")) == list(range(50))
