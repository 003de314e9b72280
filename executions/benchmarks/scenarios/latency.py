"""B3: a 3-step workflow from API accepted to COMPLETED, by the stored timestamps."""

from executions.benchmarks.registry import Row, median, percentile, scenario
from executions.benchmarks.scenarios.linear import bare_loop


@scenario("B3", "3-step workflow, accepted → COMPLETED", needs=("postgresql", "redis"))
def accepted_to_completed(bench, sizes):
    runs = sizes["latency_runs"]
    bench.server.reset(delay_ms=0)
    workflow = bench.workflow("latency", [bench.http_step(f"s{i}") for i in range(3)])
    bench.run(workflow)
    engine, bare = [], []
    for _ in range(runs):
        bare.append(bare_loop(bench, 3))
        engine.append(bench.run(workflow)[1])
    p50 = Row("B3", f"median of {runs} runs (bare: the 3 calls alone)", median(engine), median(bare))
    p50.target, p50.passed = "≤ 15 ms", p50.engine <= 15
    p99 = Row("B3", f"p99 of {runs} runs", percentile(engine, 99), percentile(bare, 99))
    p99.target, p99.passed = "≤ 50 ms", p99.engine <= 50
    return [p50, p99]
