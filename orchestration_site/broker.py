"""Dramatiq broker set-up from one URL, and the embedded worker of the default set-up."""

import contextlib
import logging
import os
import threading
import time
from urllib.parse import urlparse

import dramatiq.worker
import redis
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.common import compute_backoff, q_name
from dramatiq.middleware import Middleware
from redis.exceptions import NoScriptError

logger = logging.getLogger(__name__)

MIDDLEWARE = [
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.ShutdownNotifications",
    "dramatiq.middleware.Retries",
    "orchestration_site.broker.PrefetchPerThread",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    "executions.middleware.RecoverySweep",
    "executions.triggers.middleware.Scheduler",
    "orchestration_site.broker.FreezeAfterProcessBoot",
]


class PrefetchPerThread(Middleware):
    """A worker fetches only as many messages as it has threads (Dramatiq's default: twice that).

    A step can hold its thread for a long call, and the steps after it run inline on the same
    thread, so a message fetched beyond the idle threads waits behind them while another
    process may sit idle; a fan-out's children would pile onto one process. An explicit
    `dramatiq_queue_prefetch` in the environment is kept. The consumer, holding as many
    messages as there are threads, waits for a thread to be freed (see WakingConsumer).
    """

    def before_worker_boot(self, broker, worker):
        if not dramatiq.worker.QUEUE_PREFETCH:  # Dramatiq's reading of dramatiq_queue_prefetch
            worker.queue_prefetch = worker.worker_threads


class FreezeAfterProcessBoot(Middleware):
    """A worker process sets its start-up objects aside from garbage collection (startup.py).

    Once its modules are loaded and before its threads start: `process_boot` comes before the
    actors' modules are imported, `before_worker_boot` after them. Only the processes the
    dramatiq command starts emit `process_boot`, so an in-process worker (the embedded one, the
    tests') leaves its process's collector alone.
    """

    def __init__(self):
        self.in_worker_process = False

    def after_process_boot(self, broker):
        self.in_worker_process = True

    def before_worker_boot(self, broker, worker):
        if self.in_worker_process:
            from orchestration_site.startup import freeze_start_up_objects

            freeze_start_up_objects()


def dramatiq_broker_settings(url):
    """Return django-dramatiq's DRAMATIQ_BROKER dict for a redis://, amqp:// or empty URL."""
    scheme = urlparse(url).scheme if url else ""
    if scheme in {"redis", "rediss"}:
        return {
            "BROKER": "orchestration_site.broker.WakingRedisBroker",
            "OPTIONS": {"url": url},
            "MIDDLEWARE": MIDDLEWARE,
        }
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


class WakingRedisBroker(RedisBroker):
    """Dramatiq's Redis broker, whose idle consumers are woken by a send instead of polling for it.

    Dramatiq's Redis consumer, finding its queue empty, sleeps (5 ms doubling up to the worker
    timeout) before it looks again, so the first message after a quiet spell waits tens of
    milliseconds for nobody. Here every enqueue also publishes on the queue's wake-up channel,
    and an idle consumer waits on that channel for at most the same back-off: a send ends the
    wait at once. Messages and their delivery are Dramatiq's own; a lost wake-up (a publish
    failing, a subscription dropped) costs only the back-off it would have slept anyway.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scripts["dispatch"] = _PipelinedScript(self.scripts["dispatch"])

    @property
    def consumer_class(self):
        return WakingConsumer

    def wake_channel(self, queue_name):
        return f"{self.namespace}:wake:{queue_name}"

    def enqueue(self, message, *, delay=None):
        return self._enqueue_in_one_write([(message, delay)])[0]

    def enqueue_many(self, messages):
        """Enqueue messages in one round trip, with one wake-up per queue."""
        return self._enqueue_in_one_write([(message, None) for message in messages])

    def _enqueue_in_one_write(self, sends):
        """Enqueue (message, delay) pairs and wake their queues' consumers, in one write.

        Each message goes through Dramatiq's own enqueue (ids, delays, middleware), whose script
        call is queued on a pipeline instead of sent; the wake-ups follow it. Middleware's
        `after_enqueue` therefore runs before the write (none of the configured ones has one).
        The pipeline is not a transaction: when it fails, some messages may have been enqueued
        and the others not, and it raises as a failed enqueue would (the engine's recovery sweep
        sends again what was lost; a message sent twice is claimed once). A lost wake-up costs
        only the consumer's back-off.
        """
        script = self.scripts["dispatch"]
        pipeline = self.client.pipeline(transaction=False)
        with script.queued_on(pipeline) as calls:
            enqueued = [RedisBroker.enqueue(self, message, delay=delay) for message, delay in sends]
        queue_names = sorted({message.queue_name for message in enqueued})
        for queue_name in queue_names:
            pipeline.publish(self.wake_channel(queue_name), b"")
        replies = pipeline.execute(raise_on_error=False)
        dispatched = replies[: len(calls)]
        for reply in dispatched:
            if isinstance(reply, Exception) and not isinstance(reply, NoScriptError):
                raise reply
        unknown = [call for call, reply in zip(calls, dispatched, strict=True) if isinstance(reply, NoScriptError)]
        if unknown:
            # Redis lost the script (a restart, a flush) and ran none of these: the ordinary
            # call loads it. Their wake-ups went out too early, so they go again.
            for keys, args in unknown:
                script.script(keys=keys, args=args)
            for queue_name in queue_names:
                self._wake(queue_name)
        elif any(isinstance(reply, Exception) for reply in replies[len(calls) :]):
            logger.debug("Wake-ups for %s not published", ", ".join(queue_names))
        return enqueued

    def _wake(self, queue_name):
        try:
            self.client.publish(self.wake_channel(queue_name), b"")
        except redis.RedisError:
            logger.debug("Wake-up for %s not published", queue_name, exc_info=True)


class _PipelinedScript:
    """Dramatiq's dispatch script, queued on this thread's pipeline while one is open.

    Queued as a bare EVALSHA: a script called on a redis-py pipeline makes the pipeline ask
    Redis first whether it holds the script, one more round trip on every send. The calls
    queued are listed, for the sender to run again the ordinary way if Redis answers NOSCRIPT.
    """

    def __init__(self, script):
        self.script = script
        self.local = threading.local()

    def __call__(self, keys=None, args=None, client=None):
        pipeline = getattr(self.local, "pipeline", None)
        if client is not None or pipeline is None:
            return self.script(keys=keys, args=args, client=client)
        keys, args = list(keys or []), list(args or [])
        self.local.calls.append((keys, args))
        return pipeline.evalsha(self.script.sha, len(keys), *keys, *args)

    @contextlib.contextmanager
    def queued_on(self, pipeline):
        """Queue this thread's calls on `pipeline` meanwhile; yields the list of (keys, args) queued."""
        outer = getattr(self.local, "pipeline", None), getattr(self.local, "calls", None)
        self.local.pipeline, self.local.calls = pipeline, []
        try:
            yield self.local.calls
        finally:
            self.local.pipeline, self.local.calls = outer


# An idle subscription carries nothing: a ping this often finds a link that a proxy dropped.
WAKE_PING_SECONDS = 30.0


class WakingConsumer(_RedisConsumer):
    """Wait on the queue's wake-up channel where Dramatiq's consumer would sleep.

    Every idle consumer of the queue, in every process, wakes for a send and fetches; one gets
    the message. The subscription is a connection of its own: when it fails, this consumer
    sleeps as Dramatiq's would and subscribes again on its next wait. Only the fetch, which is
    Dramatiq's, reports a broken broker (ConnectionClosed), so a lost subscription never
    restarts the consumer (which would drop the delayed messages it holds).
    """

    def __init__(self, broker, queue_name, prefetch, timeout):
        # The parent backs off with max_backoff = its timeout: 0 makes its sleep 0, and the wait
        # happens below instead, bounded by the real timeout.
        super().__init__(broker, queue_name, prefetch, 0)
        self.most_outstanding = prefetch
        # Delayed messages wait in the worker until due: those are still fetched in bulk.
        self.fetch_at_once = 1 if q_name(queue_name) == queue_name else prefetch
        self.idle_timeout = timeout
        self.freed = threading.Event()  # set by every ack and nack (worker threads)
        self.idle_misses = 0
        self.subscription = None
        self.pinged_at = 0.0

    def __next__(self):
        if not self.message_cache:
            # One message per fetch: the consumers of every process share a burst (a fan-out's
            # children) instead of the first one woken taking all of it, and a busier process,
            # slower to come back for more, takes less. The parent fetches up to its prefetch.
            self.prefetch = min(self.most_outstanding, self.outstanding_message_count + self.fetch_at_once)
        self.freed.clear()
        message = super().__next__()
        if message is not None:
            self.idle_misses = 0
            return message
        if self.outstanding_message_count >= self.most_outstanding:
            # Every thread has a message: only an ack makes room for the next fetch, and a
            # wake-up cannot. An ack since the clear above ends this wait at once.
            self.freed.wait(self.idle_timeout / 1000)
            return None
        self.idle_misses, backoff_ms = compute_backoff(self.idle_misses, max_backoff=self.idle_timeout)
        if self.wait_for_wake_up(backoff_ms / 1000):
            self.idle_misses = 0
        return None

    def ack(self, message):
        try:
            super().ack(message)
        finally:
            self.freed.set()

    def nack(self, message):
        try:
            super().nack(message)
        finally:
            self.freed.set()

    def wait_for_wake_up(self, seconds):
        """Wait at most `seconds` for a send to this queue; return True if one came. Never raises."""
        try:
            if self.subscription is None:
                subscription = self.broker.client.pubsub(ignore_subscribe_messages=True)
                self.subscription = subscription
                subscription.subscribe(self.broker.wake_channel(self.queue_name))
                self.pinged_at = time.monotonic()
            elif time.monotonic() - self.pinged_at > WAKE_PING_SECONDS:
                self.subscription.ping()
                self.pinged_at = time.monotonic()
            # Wake-ups sent while this consumer was fetching wait in the subscription: the first
            # returns at once, and the rest are drained so they do not end the next wait too.
            woken = self.subscription.get_message(timeout=seconds)
            if woken is None or woken["type"] != "message":  # nothing, or the answer to a ping
                return False
            while self.subscription.get_message(timeout=0) is not None:
                pass
            return True
        except (redis.RedisError, OSError):
            logger.warning("Wake-ups for %s lost; polling until subscribed again", self.queue_name, exc_info=True)
            self.unsubscribe()
            time.sleep(seconds)
            return False

    def unsubscribe(self):
        subscription, self.subscription = self.subscription, None
        if subscription is not None:
            with contextlib.suppress(redis.RedisError, OSError):
                subscription.close()

    def close(self):
        try:
            self.unsubscribe()
        finally:
            super().close()


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
