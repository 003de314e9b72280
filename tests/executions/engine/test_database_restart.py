"""PostgreSQL restarts mid-run: workers recover without a restart and every execution ends."""

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from executions import services
from executions.models import WorkflowExecution
from executions.statuses import TERMINAL
from tests.conftest import require_service
from tests.support.processes import worker_processes

pytestmark = pytest.mark.slow

FAST_RECOVERY = {"LEASE_MARGIN_MS": "500", "RECOVERY_INTERVAL_MS": "300", "RECOVERY_STALE_MS": "1000"}


def restart_postgresql():
    version = sorted(Path("/etc/postgresql").iterdir())[0].name
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def wait_for_database(seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection.close()
            connection.ensure_connection()
            return
        except Exception:
            assert time.monotonic() < deadline, "PostgreSQL did not come back"
            time.sleep(0.2)


def test_postgresql_restart_mid_run(transactional_db, server, make_workflow):
    settings = connection.settings_dict
    if connection.vendor != "postgresql" or settings["HOST"] not in ("127.0.0.1", "localhost"):
        pytest.skip("needs the local PostgreSQL that this test may restart (DATABASE_URL on 127.0.0.1)")
    if not shutil.which("pg_ctlcluster") or not Path("/etc/postgresql").is_dir():
        pytest.skip("needs pg_ctlcluster to restart PostgreSQL")
    require_service("redis")
    server.route("POST", "/work", json={"ok": True}, delay=0.05)
    workflow = make_workflow(
        [
            {"id": "pause", "type": "WAIT", "order": 1, "config": {"duration": 500, "unit": "ms"}},
            {
                "id": "work",
                "type": "HTTP_REQUEST",
                "order": 2,
                "config": {"method": "POST", "url": server.url("/work"), "body": {"n": "{{n}}"}},
            },
            {"id": "again", "type": "WAIT", "order": 3, "config": {"duration": 300, "unit": "ms"}},
        ]
    )

    with worker_processes(processes=2, threads=4, env=FAST_RECOVERY):
        ids = [services.execution_start(workflow=workflow, input={"n": n}).pk for n in range(30)]
        time.sleep(0.3)
        restart_postgresql()
        wait_for_database()
        deadline = time.monotonic() + 120
        while WorkflowExecution.objects.filter(pk__in=ids).exclude(status__in=TERMINAL).exists():
            assert time.monotonic() < deadline, "some executions never ended"
            time.sleep(0.2)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            connections = cursor.fetchone()[0]
        # 2 processes × (4 worker threads + 1 sweep thread), and this test's own connection.
        assert connections <= 2 * (4 + 1) + 1

    assert set(WorkflowExecution.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"COMPLETED"}
    # Every lead was sent; a call whose result was lost with the restart may have been made again.
    assert sorted(set(r["body"]["n"] for r in server.received("POST", "/work"))) == list(range(30))
