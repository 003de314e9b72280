"""Dramatiq broker set-up from one URL, and the embedded worker of the default set-up."""

import os
import threading
from urllib.parse import urlparse

MIDDLEWARE = [
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.ShutdownNotifications",
    "dramatiq.middleware.Retries",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    "executions.middleware.RecoverySweep",
    "executions.triggers.middleware.Scheduler",
]


def dramatiq_broker_settings(url):
    """Return django-dramatiq's DRAMATIQ_BROKER dict for a redis://, amqp:// or empty URL."""
    scheme = urlparse(url).scheme if url else ""
    if scheme in {"redis", "rediss"}:
        return {"BROKER": "dramatiq.brokers.redis.RedisBroker", "OPTIONS": {"url": url}, "MIDDLEWARE": MIDDLEWARE}
    if scheme in {"amqp", "amqps"}:
        # Confirmed publishes: a message that carries workflow progress must not vanish silently.
        return {
            "BROKER": "dramatiq.brokers.rabbitmq.RabbitmqBroker",
            "OPTIONS": {"url": url, "confirm_delivery": True},
            "MIDDLEWARE": MIDDLEWARE,
        }
    if scheme:
        raise ValueError(f"DRAMATIQ_BROKER_URL must start with redis:// or amqp://, not {scheme}://")
    return {"BROKER": "dramatiq.brokers.stub.StubBroker", "OPTIONS": {}, "MIDDLEWARE": MIDDLEWARE}


_embedded = None
_embedded_pid = None
_embedded_lock = threading.Lock()


def ensure_embedded_worker(threads=8):
    """Start one in-process worker for the in-process broker, once per process."""
    global _embedded, _embedded_pid
    # A forked child (gunicorn --preload) inherits the reference but not the threads: start its own.
    if _embedded is not None and _embedded_pid == os.getpid():
        return _embedded
    with _embedded_lock:
        if _embedded is None or _embedded_pid != os.getpid():
            import dramatiq

            worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=threads, worker_timeout=100)
            worker.start()
            _embedded, _embedded_pid = worker, os.getpid()
    return _embedded
