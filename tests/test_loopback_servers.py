"""The loopback servers of the tests and of the benchmark take a burst of new connections at once.

A listen backlog too short for the burst drops SYNs, and each dropped one costs its client the
kernel's one-second retransmission: a fan-out would then look a second slower than it is.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from executions.benchmarks.server import LoopbackServer
from tests.support.server import RecordingServer

BURST = 40
# Far below the retransmission timer (1 s): only a dropped SYN takes this long on loopback.
SLOWEST_S = 0.9


def burst_of_new_connections(url):
    start = threading.Barrier(BURST)

    def call(index):
        with requests.Session() as session:
            session.trust_env = False
            start.wait()
            began = time.monotonic()
            response = session.get(f"{url}/burst{index}", timeout=10)
            return response.status_code, time.monotonic() - began

    with ThreadPoolExecutor(BURST) as pool:
        return list(pool.map(call, range(BURST)))


@pytest.mark.parametrize("kind", ["recording", "benchmark"])
def test_a_burst_of_new_connections_is_answered_without_a_retransmitted_syn(kind):
    if kind == "recording":
        server = RecordingServer().start()
        url, stop = server.url(), server.stop
    else:
        server = LoopbackServer().__enter__()
        url, stop = server.url(""), lambda: server.__exit__(None, None, None)
    try:
        answers = burst_of_new_connections(url)
    finally:
        stop()
    assert len(answers) == BURST
    slowest = max(seconds for _, seconds in answers)
    assert slowest < SLOWEST_S, f"a connection waited {slowest:.2f} s: its SYN was dropped and resent"
