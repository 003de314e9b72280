"""Real Dramatiq workers for tests, on the in-process, Redis or RabbitMQ broker."""

import contextlib
import os
import socket
import time
import uuid
from urllib.parse import urlparse

import dramatiq
from django_dramatiq.utils import load_middleware

from executions import tasks
from executions.models import WorkflowExecution
from executions.statuses import TERMINAL
from orchestration_site.broker import MIDDLEWARE

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
ACTORS = (tasks.start_execution, tasks.run_step, tasks.check_timeout)


def reachable(url, default_port):
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or default_port), timeout=0.5):
            return True
    except OSError:
        return False


def service_available(kind):
    if kind == "redis":
        return reachable(REDIS_URL, 6379)
    if kind == "rabbitmq":
        return reachable(RABBITMQ_URL, 5672)
    return True


def make_broker(kind, url=None, namespace=None):
    middleware = [load_middleware(path) for path in MIDDLEWARE]
    if kind == "redis":
        from orchestration_site.broker import WakingRedisBroker

        namespace = namespace or f"orch-test-{uuid.uuid4().hex[:8]}"
        return WakingRedisBroker(url=url or REDIS_URL, namespace=namespace, middleware=middleware)
    if kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=RABBITMQ_URL, confirm_delivery=True, middleware=middleware)
    return dramatiq.get_broker()


@contextlib.contextmanager
def bound_broker(kind="stub", **options):
    """Bind the engine's actors to a fresh broker of `kind` (emptied) and yield it."""
    original = dramatiq.get_broker()
    broker = make_broker(kind, **options)
    if broker is not original:
        dramatiq.set_broker(broker)
        for actor in ACTORS:
            actor.broker = broker
            broker.declare_actor(actor)
    broker.flush_all()
    try:
        yield broker
    finally:
        broker.flush_all()
        if broker is not original:
            for actor in ACTORS:
                actor.broker = original
            dramatiq.set_broker(original)
            broker.close()


@contextlib.contextmanager
def worker_on(broker, threads=4):
    """Run a real worker with `threads` threads on `broker` until the block ends."""
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=50)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop(timeout=10_000)
        # Worker() adds a middleware to the broker and never removes it: drop it, or the
        # long-lived in-process broker collects one per test.
        broker.middleware[:] = [m for m in broker.middleware if getattr(m, "worker", None) is not worker]


@contextlib.contextmanager
def running_worker(kind="stub", threads=4):
    """Bind the engine's actors to a broker of `kind` and run a worker on it."""
    with bound_broker(kind) as broker, worker_on(broker, threads) as worker:
        yield worker


def wait_until(predicate, timeout=10.0, what="the condition"):
    """Poll `predicate` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} never happened within {timeout} s"
        time.sleep(0.01)


def wait_for_execution(execution_id, timeout=15.0):
    """Poll until the execution reaches a terminal status; return it (fails the test on time-out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = WorkflowExecution.objects.get(pk=execution_id)
        if execution.status in TERMINAL:
            return execution
        time.sleep(0.02)
    execution = WorkflowExecution.objects.get(pk=execution_id)
    raise AssertionError(f"Execution {execution_id} still {execution.status} after {timeout} s")
