"""What the scenarios run on: the configured database and broker, worker processes, own data.

Everything the benchmark creates lives in its own namespace (workflows of category
`NAMESPACE`, breakers named `benchmark-…`, the user `benchmark-api`) and is deleted at the end.
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import dramatiq
import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.db import InterfaceError, OperationalError, connection

from breakers.models import BreakerTransition, CircuitBreaker
from executions import services, tasks
from executions.engine import runner
from executions.models import StepExecution, WorkflowExecution
from executions.statuses import ACTIVE, TERMINAL
from orchestration_site.exceptions import Conflict
from workflows.models import Workflow, WorkflowStatus

NAMESPACE = "benchmark"
SERVICE_ID = "benchmark-loopback"
API_USER = "benchmark-api"
PROJECT_DIR = Path(__file__).resolve().parents[2]


def broker_kind():
    """The broker the engine's actors are bound to: in-process, redis or rabbitmq."""
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    from dramatiq.brokers.redis import RedisBroker

    broker = tasks.run_step.broker
    if isinstance(broker, RedisBroker):
        return "redis"
    return "rabbitmq" if isinstance(broker, RabbitmqBroker) else "in-process"


def database_description():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        return f"PostgreSQL {version} ({connection.settings_dict['NAME']})"
    return f"{connection.vendor} ({connection.settings_dict['NAME']})"


def database_url():
    """The URL of the database this process uses, for worker processes to share it."""
    values = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(values['NAME']).resolve()}"
    credentials = quote(values["USER"] or "")
    if values.get("PASSWORD"):
        credentials += ":" + quote(values["PASSWORD"])
    return f"postgres://{credentials}@{values['HOST'] or '127.0.0.1'}:{values['PORT'] or 5432}/{values['NAME']}"


def foreign_data():
    """Count workflows and executions the benchmark did not create."""
    workflows = Workflow.objects.exclude(category=NAMESPACE).count()
    executions = WorkflowExecution.objects.exclude(workflow__category=NAMESPACE).count()
    return workflows, executions


def cleanup():
    """Delete everything in the benchmark's namespace, then settle the tables it deleted from.

    Raw deletes (no cascade collector loading rows into memory): 100 000 executions go in seconds.
    """
    delete_executions()
    Workflow.objects.filter(category=NAMESPACE).delete()
    BreakerTransition.objects.filter(breaker__service_id__startswith="benchmark-").delete()
    CircuitBreaker.objects.filter(service_id__startswith="benchmark-").delete()
    User.objects.filter(username=API_USER).delete()
    settle()


SETTLED = (StepExecution, WorkflowExecution, Workflow, CircuitBreaker, BreakerTransition)


def settle(models=SETTLED):
    """VACUUM ANALYZE the tables, as autovacuum would have done for rows written over time.

    A run deletes hundreds of thousands of rows and writes as many in minutes: without this,
    the next scenario or run would be measured on tables full of dead rows and on statistics
    of other rows (and where autovacuum is off, every run would be slower than the last).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def delete_executions():
    """Delete the namespace's executions and their step records (raw deletes)."""
    runs = WorkflowExecution.objects.filter(workflow__category=NAMESPACE)
    StepExecution.objects.filter(execution__in=runs)._raw_delete(StepExecution.objects.db)
    WorkflowExecution.objects.filter(pk__in=runs.values("pk"))._raw_delete(WorkflowExecution.objects.db)


def cancel_active():
    """Cancel the namespace's runs still going (a scenario that failed half-way leaves some)."""
    for execution in WorkflowExecution.objects.filter(workflow__category=NAMESPACE, status__in=ACTIVE):
        with contextlib.suppress(Conflict):
            services.execution_cancel(execution=execution)


def rss_mb(pid):
    """Resident memory of a process, from /proc (None where there is no /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _children(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


class Workers:
    """The engine's workers: `rundramatiq` processes on a real broker, threads on the in-process one."""

    def __init__(self, processes, threads):
        self.processes, self.threads = processes, threads
        self.kind = broker_kind()
        self.process = None
        self.worker = None
        self.log = None

    @property
    def description(self):
        if self.kind == "in-process":
            return f"in-process worker, {self.processes * self.threads} threads"
        return f"{self.processes} rundramatiq processes × {self.threads} threads"

    def start(self):
        if self.kind == "in-process":
            self.worker = dramatiq.Worker(
                tasks.run_step.broker, worker_threads=self.processes * self.threads, worker_timeout=100
            )
            self.worker.start()
            return self
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DRAMATIQ_BROKER_URL": settings.DRAMATIQ_BROKER_URL,
            "EMBEDDED_WORKER": "0",
            "ALLOW_DEV_SECRET_KEY": "1",
            # The idle poll interval `make worker` uses (see the README's Production section).
            "dramatiq_worker_timeout": os.environ.get("dramatiq_worker_timeout", "100"),  # noqa: SIM112
            "LOG_LEVEL": "WARNING",
            "OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8,::1/128",
        }
        self.log = tempfile.NamedTemporaryFile(prefix="benchmark-workers-", suffix=".log", delete=False)  # noqa: SIM115
        command = [sys.executable, "manage.py", "rundramatiq", "--processes", str(self.processes)]
        self.process = subprocess.Popen(  # noqa: S603
            [*command, "--threads", str(self.threads)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def stop(self):
        if self.worker is not None:
            self.worker.stop(timeout=10_000)
            broker = self.worker.broker
            broker.middleware[:] = [m for m in broker.middleware if getattr(m, "worker", None) is not self.worker]
            self.worker = None
            # The worker's shutdown told this process to stop running steps inline; it goes on.
            runner.STOPPING.clear()
        if self.process is not None:
            self.process.terminate()  # graceful: the main process passes TERM on to its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)  # the whole group, workers included
                self.process.wait()
            self.process = None
            self.log.close()

    def drop_log(self, *, keep, say):
        """Delete the worker processes' output once they have stopped; with `keep` (a scenario
        failed), keep it and say where it is."""
        if self.log is None:
            return
        if keep:
            say(f"the worker processes' output: {self.log.name}")
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.log.name)
        self.log = None

    def pids(self):
        """The processes that run steps (the benchmark's own process for the in-process worker)."""
        if self.process is None:
            return [os.getpid()]
        return _children(self.process.pid) or [self.process.pid]

    def rss_mb(self):
        return {pid: rss_mb(pid) for pid in self.pids()}


class Bench:
    """Helpers every scenario uses: the server, workflows in the namespace, runs and their times."""

    def __init__(self, server, workers, say=None):
        self.server, self.workers = server, workers
        self.say = say or (lambda message: None)
        self.vendor = connection.vendor
        self.broker = workers.kind
        self.session = requests.Session()
        self.session.trust_env = False

    def http_step(self, step_id, path=None, **config):
        return {
            "id": step_id,
            "name": step_id,
            "type": "HTTP_REQUEST",
            "config": {
                "method": "GET",
                "url": self.server.url(path or f"/{step_id}"),
                "serviceId": SERVICE_ID,
                **config,
            },
        }

    def workflow(self, name, steps, **fields):
        return Workflow.objects.create(
            name=f"benchmark: {name}",
            category=NAMESPACE,
            status=WorkflowStatus.ACTIVE,
            steps=steps,
            error_handlers=[],
            **fields,
        )

    def start(self, workflow, input=None):
        """Start a run as the API does; return (execution id, the time it was accepted)."""
        execution = services.execution_start(workflow=workflow, input=input or {})
        return execution.pk, execution.started_at

    def wait(self, execution_ids, timeout=600.0, poll_s=0.01):
        """Wait until every execution has ended; return them by id."""
        pending, done = set(execution_ids), {}
        deadline = time.monotonic() + timeout
        while pending:
            try:
                finished = list(
                    WorkflowExecution.objects.filter(pk__in=pending, status__in=TERMINAL).defer(
                        "definition", "input", "output"
                    )
                )
            except (OperationalError, InterfaceError):
                # The database restarted under the run: the engine recovers by itself, so keep
                # waiting (the figure then includes the restart, and the run says so).
                self.say("the database went away while waiting; waiting on")
                connection.close()
                time.sleep(1)
                continue
            for execution in finished:
                done[execution.pk] = execution
                pending.discard(execution.pk)
            if not pending:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(pending)} benchmark executions did not end within {timeout:.0f} s")
            time.sleep(poll_s)
        return done

    def run(self, workflow, input=None, timeout=600.0, poll_s=0.01):
        """Run once and return (execution, ms from accepted to completed, by the stored timestamps)."""
        execution_id, accepted = self.start(workflow, input)
        execution = self.wait([execution_id], timeout, poll_s)[execution_id]
        if execution.status != "COMPLETED":
            raise RuntimeError(f"benchmark execution {execution_id} ended {execution.status}: {execution.error}")
        return execution, (execution.completed_at - accepted).total_seconds() * 1000

    def warm_up(self, workflow):
        """Run `workflow` once per worker thread, as the bare loop's session is warm before it is
        timed: each thread keeps its own HTTP connections, and Dramatiq hands messages to idle
        threads in turn, so without this a run lands on a thread that has never called out."""
        for _ in range(self.workers.processes * self.workers.threads):
            self.run(workflow)

    def warm_every_thread(self, delay_ms):
        """Have the worker threads call the server together, as warm_up() has them call one run
        at a time: a PARALLEL as wide as the worker pool, whose children Dramatiq hands to idle
        threads. A fan-out's children start together, so a thread still without its
        connections would open them inside the measured burst."""
        width = self.workers.processes * self.workers.threads
        # A breaker of its own: the scenario's first timed run must find its breaker as a run
        # after a quiet second does, not refreshed by the warm-up a moment before.
        children = [self.http_step(f"warm{i}", serviceId=f"{SERVICE_ID}-warm-up") for i in range(width)]
        fan = {
            "id": "fan",
            "name": "fan",
            "type": "PARALLEL",
            "config": {"steps": [child["id"] for child in children], "maxConcurrency": width},
        }
        self.server.reset(delay_ms=delay_ms)
        workflow = self.workflow("every thread", [fan, *children])
        for _ in range(2):
            self.run(workflow)

    def ready(self, timeout=90.0):
        """Wait until the workers run work (a first, empty run)."""
        self.run(self.workflow("readiness", []), timeout=timeout)
