"""B4: a PARALLEL of many calls under maxConcurrency, against a bare thread pool of that size."""

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from executions.benchmarks.registry import Row, median, scenario


def bare_pool(bench, calls, concurrency):
    local = threading.local()

    def call(i):
        if getattr(local, "session", None) is None:
            local.session = requests.Session()
            local.session.trust_env = False
        local.session.get(bench.server.url(f"/c{i}"), timeout=30).json()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(call, range(calls)))
    return (time.perf_counter() - started) * 1000


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
    engine, bare, in_flight = [], [], []
    for _ in range(3 if calls > 20 else 1):
        bench.server.reset(delay_ms=delay)
        bare.append(bare_pool(bench, calls, limit))
        bench.server.reset()
        engine.append(bench.run(workflow)[1])
        in_flight.append(bench.server.max_in_flight)
    ideal = math.ceil(calls / limit) * delay
    elapsed = Row("B4", f"elapsed (median of {len(engine)}; ideal {ideal} ms)", median(engine), median(bare))
    elapsed.target, elapsed.passed = f"≤ 1.15 × ideal ({1.15 * ideal:.0f} ms)", elapsed.engine <= 1.15 * ideal
    peak = Row("B4", "most requests in flight at once", max(in_flight), float(limit), unit="")
    peak.target, peak.passed = f"never > {limit}", peak.engine <= limit
    return [elapsed, peak]
