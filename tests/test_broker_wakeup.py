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
