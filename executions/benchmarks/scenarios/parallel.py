"""B4: a PARALLEL of many calls under maxConcurrency, against a bare thread pool of that size."""

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from executions.benchmarks.registry import Row, median, scenario


class BarePool:
    """`concurrency` threads, each with its own session, kept warm across runs as the workers are."""

    def __init__(self, bench, concurrency):
        self.bench = bench
        self.local = threading.local()
        self.sessions = []
        self.pool = ThreadPoolExecutor(concurrency)

    def call(self, i):
        if getattr(self.local, "session", None) is None:
            self.local.session = requests.Session()
            self.local.session.trust_env = False
            self.sessions.append(self.local.session)
        self.local.session.get(self.bench.server.url(f"/c{i}"), timeout=30).json()

    def run(self, calls):
        """Make `calls` calls, `concurrency` at a time; return ms."""
        started = time.perf_counter()
        list(self.pool.map(self.call, range(calls)))
        return (time.perf_counter() - started) * 1000

    def close(self):
        self.pool.shutdown(cancel_futures=True)  # after a failed run, its queued calls are dropped
        for session in self.sessions:
            session.close()


@scenario("B4", "PARALLEL of 100 calls, maxConcurrency 20, 100 ms delay")
def parallel_fan_out(bench, sizes):
    calls, limit, delay = sizes["parallel_calls"], sizes["parallel_concurrency"], sizes["parallel_delay_ms"]
    children = [bench.http_step(f"c{i}") for i in range(calls)]
    fan = {
        "id": "fan",
        "name": "fan",
        "type": "PARALLEL",
        "config": {"steps": [child["id"] for child in children], "maxConcurrency": limit},
    }
    workflow = bench.workflow("parallel", [fan, *children])
    bench.server.reset(delay_ms=0)
    bench.run(workflow)  # warm-up
    bench.warm_every_thread(delay)
    pool = BarePool(bench, limit)
    engine, bare, in_flight = [], [], []
    try:
        # Every pool thread opens its connection at once, a burst as warm_every_thread()'s.
        pool.run(limit)
        for _ in range(3 if calls > 20 else 1):
            bench.server.reset(delay_ms=delay)
            bare.append(pool.run(calls))
            bench.server.reset()
            # The figure is the stored timestamps': polling less often only disturbs the run less.
            engine.append(bench.run(workflow, poll_s=0.05)[1])
            in_flight.append(bench.server.max_in_flight)
    finally:
        pool.close()
    ideal = math.ceil(calls / limit) * delay
    elapsed = Row("B4", f"elapsed (median of {len(engine)}; ideal {ideal} ms)", median(engine), median(bare))
    elapsed.target, elapsed.passed = f"≤ 1.15 × ideal ({1.15 * ideal:.0f} ms)", elapsed.engine <= 1.15 * ideal
    peak = Row("B4", "most requests in flight at once", max(in_flight), float(limit), unit="")
    peak.target, peak.passed = f"never > {limit}", peak.engine <= limit
    return [elapsed, peak]
