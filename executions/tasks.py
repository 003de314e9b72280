"""Dramatiq actors: each takes one id, and running it twice is safe (the runner claims first).

Dramatiq's own retries are limited to database connection errors, so they never multiply a
step's attempts: step retries are the engine's, counted in the database.
"""

import dramatiq
from django.conf import settings
from django.db import InterfaceError, OperationalError

from executions.engine import runner
from orchestration_site.broker import ensure_embedded_worker

QUEUE = settings.DRAMATIQ_QUEUE
# A step's own timeouts bound it; this only stops a wedged actor (a long HTTP call stays below it).
TIME_LIMIT_MS = 60 * 60 * 1000


def retry_on_database_errors(retries_so_far, exception):
    return isinstance(exception, (OperationalError, InterfaceError)) and retries_so_far < 5


ACTOR_OPTIONS = {
    "queue_name": QUEUE,
    "time_limit": TIME_LIMIT_MS,
    "retry_when": retry_on_database_errors,
    "min_backoff": 500,
    "max_backoff": 10_000,
}


@dramatiq.actor(**ACTOR_OPTIONS)
def start_execution(execution_id):
    runner.start(execution_id)


@dramatiq.actor(**ACTOR_OPTIONS)
def run_step(step_execution_id):
    runner.run(step_execution_id)


@dramatiq.actor(**ACTOR_OPTIONS)
def check_timeout(execution_id):
    runner.check_timeout(execution_id)


def send(actor, *args, delay_ms=None):
    """Send a message; with the in-process broker, make sure a worker is running here."""
    if settings.EMBEDDED_WORKER:
        ensure_embedded_worker(settings.EMBEDDED_WORKER_THREADS)
    actor.send_with_options(args=args, delay=delay_ms or None)


def send_many(actor, ids):
    """Send one message per id: in one batch where the broker can (Redis), else one by one."""
    if settings.EMBEDDED_WORKER:
        ensure_embedded_worker(settings.EMBEDDED_WORKER_THREADS)
    messages = [actor.message(ident) for ident in ids]
    enqueue_many = getattr(actor.broker, "enqueue_many", None)
    if enqueue_many is not None:
        enqueue_many(messages)
        return
    failed = None
    for message in messages:  # one failure does not keep the others from going out
        try:
            actor.broker.enqueue(message)
        except Exception as exc:  # raised below, once the rest were tried
            failed = failed or exc
    if failed is not None:
        raise failed
