"""An idle Redis consumer is woken by a send, instead of sleeping out its back-off."""

import threading
import time

import dramatiq

from tests.conftest import require_service
from tests.support.workers import make_broker

# Long enough that a consumer which only polled would still be asleep when the test looks.
IDLE_TIMEOUT_MS = 10_000


def idle_consumer(broker, queue_name):
    consumer = broker.consume(queue_name, prefetch=1, timeout=IDLE_TIMEOUT_MS)
    consumer.idle_misses = 20  # as after a long quiet spell: the next wait is the whole timeout
    return consumer


def next_in_thread(consumer):
    """Call next(consumer) in a thread; return (thread, result holder)."""
    result = {}

    def fetch():
        result["message"] = next(consumer)
        result["at"] = time.monotonic()

    thread = threading.Thread(target=fetch, daemon=True)
    thread.start()
    return thread, result


def test_a_send_ends_an_idle_consumers_wait_and_its_message_is_delivered():
    require_service("redis")
    broker = make_broker("redis")
    queue_name = "wakeup-test"

    @dramatiq.actor(broker=broker, queue_name=queue_name)
    def noop(value):
        pass

    broker.flush_all()
    consumer = idle_consumer(broker, queue_name)
    try:
        next(consumer)  # the subscription's confirmation: an empty, immediate return
        thread, result = next_in_thread(consumer)
        time.sleep(0.3)
        assert thread.is_alive(), "the idle consumer returned before anything was sent"

        sent_at = time.monotonic()
        noop.send(7)
        thread.join(timeout=3)
        assert not thread.is_alive(), "the send did not wake the idle consumer"
        assert result["at"] - sent_at < 3

        message = next(consumer) or next(consumer)  # woken, it fetches the message next
        assert message is not None and message.args == (7,)
        consumer.ack(message)
    finally:
        consumer.close()
        broker.flush_all()
        broker.close()


def test_an_idle_consumer_still_looks_again_when_no_wake_up_comes():
    require_service("redis")
    broker = make_broker("redis")
    consumer = broker.consume("wakeup-quiet", prefetch=1, timeout=200)
    try:
        started = time.monotonic()
        for _ in range(5):
            assert next(consumer) is None
        # Each wait is bounded by the worker timeout, so the loop (and delayed messages) go on.
        assert time.monotonic() - started < 5 * 0.2 + 1
    finally:
        consumer.close()
        broker.close()


def kill_connection(client, connection):
    """CLIENT KILL the server side of one redis-py connection, as a proxy's idle timeout would."""
    host, port = connection._sock.getsockname()[:2]
    client.execute_command("CLIENT", "KILL", "ADDR", f"{host}:{port}")


def test_a_dropped_subscription_neither_stops_the_worker_nor_strands_delayed_messages():
    require_service("redis")
    broker = make_broker("redis")
    queue_name = "wakeup-dropped"
    done = []

    @dramatiq.actor(broker=broker, queue_name=queue_name)
    def record(value):
        done.append(value)

    broker.flush_all()
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=1000)
    worker.start()
    try:
        consumers = started_consumers(worker)
        wait_until_subscribed(consumers)
        for consumer in consumers:  # the main queue's and the delay queue's
            kill_connection(broker.client, consumer.subscription.connection)

        record.send_with_options(args=("delayed",), delay=200)
        record.send("now")
        deadline = time.monotonic() + 5
        while len(done) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(done) == ["delayed", "now"]

        # Subscribed again: a send still wakes an idle consumer.
        wait_until_subscribed(consumers)
        record.send("after")
        deadline = time.monotonic() + 3
        while "after" not in done and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "after" in done
    finally:
        worker.stop()
        broker.flush_all()
        broker.close()


def started_consumers(worker, timeout=5.0):
    deadline = time.monotonic() + timeout
    while any(thread.consumer is None for thread in worker.consumers.values()):
        assert time.monotonic() < deadline, "the worker's consumers never started"
        time.sleep(0.02)
    return [thread.consumer for thread in worker.consumers.values()]


def wait_until_subscribed(consumers, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not all(c.subscription is not None and c.subscription.connection for c in consumers):
        assert time.monotonic() < deadline, "the consumers never subscribed"
        time.sleep(0.02)
