"""A fan-out's messages go out in one batch, and the workers of every process share them."""

import contextlib
import threading
import time
import uuid

import dramatiq
import pytest
import redis
from dramatiq.brokers.stub import StubBroker

from executions import tasks
from tests.conftest import BROKERS, require_service
from tests.support.workers import make_broker, wait_until, worker_on


def queued(broker, queue_name):
    """Messages in the broker's queue that no consumer has fetched yet."""
    return broker.client.llen(f"{broker.namespace}:{queue_name}")


@contextlib.contextmanager
def emptied(*brokers):
    """Use brokers (the first holding every queue) from empty, then empty and close them."""
    brokers[0].flush_all()
    try:
        yield brokers
    finally:
        brokers[0].flush_all()
        for broker in brokers:
            broker.close()


@pytest.fixture
def redis_broker():
    require_service("redis")
    with emptied(make_broker("redis")) as (broker,):
        yield broker


@pytest.fixture
def brokers_of_two_processes():
    """Two brokers on one Redis namespace, as two worker processes have."""
    require_service("redis")
    namespace = f"orch-test-{uuid.uuid4().hex[:8]}"
    with emptied(make_broker("redis", namespace=namespace), make_broker("redis", namespace=namespace)) as brokers:
        yield brokers


@pytest.mark.parametrize("kind", BROKERS)
def test_a_batch_of_sends_delivers_every_message(kind):
    require_service(kind)
    received = []
    every_one = threading.Event()
    with emptied(StubBroker() if kind == "stub" else make_broker(kind)) as (broker,):

        @dramatiq.actor(broker=broker, queue_name=f"batch-{kind}")
        def collect(value):
            received.append(value)
            if len(received) == 12:
                every_one.set()

        with worker_on(broker, threads=4):
            tasks.send_many(collect, [f"child-{i}" for i in range(12)])
            assert every_one.wait(10), f"only {len(received)} of 12 messages arrived"
    assert sorted(received) == sorted(f"child-{i}" for i in range(12))


@contextlib.contextmanager
def writes_and_wake_ups(broker, queue_name, monkeypatch):
    """Yield (the writes this thread sends to Redis, the wake-ups published on the queue's channel)."""
    subscription = broker.client.pubsub(ignore_subscribe_messages=True)
    subscription.subscribe(broker.wake_channel(queue_name))
    while subscription.get_message(timeout=0.2) is not None:
        pass
    broker.client.ping()  # the subscription took the pooled connection: open the next one now
    writes, wake_ups = [], []
    send = redis.connection.AbstractConnection.send_packed_command
    this_thread = threading.get_ident()

    def counted(connection, command, *args, **kwargs):
        if threading.get_ident() == this_thread:
            writes.append(command)
        return send(connection, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    try:
        yield writes, wake_ups
        monkeypatch.undo()
        while (message := subscription.get_message(timeout=0.3)) is not None:
            wake_ups.append(message)
    finally:
        monkeypatch.undo()
        subscription.close()


def test_on_redis_a_batch_is_one_write_with_one_wake_up(redis_broker, monkeypatch):
    broker, queue_name = redis_broker, "batch-round-trip"

    @dramatiq.actor(broker=broker, queue_name=queue_name)
    def noop(value):
        pass

    noop.send("loads the script")  # a first send may also have to load the script into Redis
    with writes_and_wake_ups(broker, queue_name, monkeypatch) as (writes, wake_ups):
        broker.enqueue_many([noop.message(i) for i in range(20)])
        # Every script call and the wake-up in one write (one send each would be forty, and
        # redis-py's own pipeline would first ask whether Redis holds the script).
        assert len(writes) == 1
    assert queued(broker, queue_name) == 21
    assert [message["type"] for message in wake_ups] == ["message"]


def test_on_redis_one_send_is_one_write(redis_broker, monkeypatch):
    broker, queue_name = redis_broker, "single-round-trip"

    @dramatiq.actor(broker=broker, queue_name=queue_name)
    def noop(value):
        pass

    noop.send("loads the script")
    with writes_and_wake_ups(broker, queue_name, monkeypatch) as (writes, wake_ups):
        noop.send("the message and its wake-up")
        assert len(writes) == 1
    assert queued(broker, queue_name) == 2
    assert [message["type"] for message in wake_ups] == ["message"]


@pytest.mark.parametrize("batch", [False, True], ids=["one send", "a batch"])
def test_sends_after_redis_lost_its_scripts_load_them_and_are_delivered(redis_broker, batch):
    broker, queue_name = redis_broker, "lost-script"
    received = []
    every_one = threading.Event()

    @dramatiq.actor(broker=broker, queue_name=queue_name)
    def collect(value):
        received.append(value)
        if len(received) == 3:
            every_one.set()

    collect.send("first")  # the script is loaded, and the broker knows its digest
    broker.client.script_flush()  # as after a Redis restart
    if batch:
        broker.enqueue_many([collect.message("second"), collect.message("third")])
    else:
        collect.send("second")
        collect.send("third")
    assert queued(broker, queue_name) == 3
    with worker_on(broker, threads=2):
        assert every_one.wait(10), f"only {received} arrived"
    assert sorted(received) == ["first", "second", "third"]


def test_a_consumer_fetches_one_message_at_a_time_so_another_process_gets_its_share(brokers_of_two_processes):
    first, second = brokers_of_two_processes
    queue_name = "batch-share"
    for broker in (first, second):
        broker.declare_queue(queue_name)
    messages = [
        dramatiq.Message(queue_name=queue_name, actor_name="noop", args=(i,), kwargs={}, options={}) for i in range(10)
    ]
    consumers = []
    try:
        first.enqueue_many(messages)
        consumers = [
            first.consume(queue_name, prefetch=16, timeout=100),
            second.consume(queue_name, prefetch=16, timeout=100),
        ]
        taken = [next(consumers[0]), next(consumers[1])]
        assert all(message is not None for message in taken)
        assert queued(first, queue_name) == 8, "a consumer fetched more than it was about to run"
        for consumer, message in zip(consumers, taken, strict=True):
            consumer.ack(message)
    finally:
        for consumer in consumers:
            consumer.close()


def test_a_busy_worker_leaves_the_messages_it_cannot_run_yet_to_another_worker(brokers_of_two_processes):
    busy, other = brokers_of_two_processes
    queue_name = "batch-prefetch"
    release = threading.Event()
    running = []
    lock = threading.Lock()

    def block(value):
        with lock:
            running.append(value)
        release.wait(20)

    for broker in (busy, other):
        dramatiq.actor(block, broker=broker, queue_name=queue_name, actor_name="block")
    try:
        with worker_on(busy, threads=2):
            tasks.send_many(busy.get_actor("block"), [f"m{i}" for i in range(4)])
            wait_until(lambda: len(running) == 2, what="the first worker running two messages")
            # Dramatiq's default prefetch (twice the threads) would have taken all four here.
            assert queued(busy, queue_name) == 2
            with worker_on(other, threads=2):
                wait_until(lambda: len(running) == 4, what="the second worker running the other two")
                release.set()
    finally:
        release.set()


def test_a_worker_whose_threads_are_all_busy_fetches_again_as_soon_as_one_is_freed(redis_broker):
    broker, queue_name = redis_broker, "batch-freed"
    times = {}

    @dramatiq.actor(broker=broker, queue_name=queue_name)
    def long_call(value):
        times[f"{value} started"] = time.monotonic()
        time.sleep(1.5)  # long enough for an idle consumer's back-off to grow to its timeout
        times[f"{value} finished"] = time.monotonic()

    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=3000)
    worker.start()
    try:
        tasks.send_many(long_call, ["first", "second"])
        wait_until(lambda: "second finished" in times, timeout=15, what="two long calls on one thread")
        gap = times["second started"] - times["first finished"]
        # Waiting out the back-off instead of the ack would leave the thread idle for about a second.
        assert gap < 0.5, f"the freed thread waited {gap:.2f} s for the message queued behind it"
    finally:
        worker.stop(timeout=10_000)
