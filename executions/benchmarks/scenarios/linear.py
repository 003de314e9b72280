"""B1, B2, B9: linear HTTP workflows against a bare `requests.Session` loop making the same calls."""

import time

from django.utils import timezone

from executions.benchmarks.harness import NAMESPACE
from executions.benchmarks.registry import Row, median, scenario
from executions.models import StepExecution, WorkflowExecution
from executions.statuses import ExecutionStatus


def linear_workflow(bench, steps):
    return bench.workflow(f"linear {steps}", [bench.http_step(f"s{i}") for i in range(steps)])


def bare_loop(bench, steps, save_to=None, tag=""):
    """Make the same calls with one session; with `save_to`, store one row per step as well. Return ms."""
    started = time.perf_counter()
    for i in range(steps):
        response = bench.session.get(bench.server.url(f"/s{i}"), timeout=30)
        body = response.json()
        if save_to is not None:
            StepExecution.objects.create(
                execution=save_to,
                key=f"{tag}/s{i}",
                step_id=f"s{i}",
                step_type="HTTP_REQUEST",
                status=ExecutionStatus.COMPLETED,
                output={"status": response.status_code, "headers": dict(response.headers), "body": body},
                completed_at=timezone.now(),
            )
    return (time.perf_counter() - started) * 1000


def baseline_execution(bench):
    """An execution in the namespace to hang the bare loop's rows on."""
    workflow = bench.workflow("bare loop rows", [])
    return WorkflowExecution.objects.create(workflow=workflow, status=ExecutionStatus.COMPLETED)


def compare(bench, workflow, steps, runs, save_rows, delay_ms):
    """Alternate bare and engine runs (so both meet the same noise); return their medians in ms."""
    rows_to = baseline_execution(bench) if save_rows else None
    bench.server.reset(delay_ms=0)
    bench.warm_up(workflow)  # connections, caches, a first breaker row
    bare_loop(bench, steps, rows_to, "warm-up")
    bench.server.reset(delay_ms=delay_ms)
    engine, bare = [], []
    for run in range(runs):
        bare.append(bare_loop(bench, steps, rows_to, f"run{run}"))
        engine.append(bench.run(workflow)[1])
    return median(engine), median(bare)


@scenario("B1", "20-step linear HTTP workflow vs a bare session loop, 50 ms delay")
def linear_delayed(bench, sizes):
    steps = sizes["linear_steps"]
    engine, bare = compare(bench, linear_workflow(bench, steps), steps, sizes["linear_runs"], False, delay_ms=50)
    row = Row("B1", f"{steps}-step run, 50 ms delay (median of {sizes['linear_runs']})", engine, bare)
    row.target, row.passed = "≤ 1.05×", row.ratio <= 1.05
    return [row]


@scenario("B2", "the same at 0 ms delay vs a bare loop that also saves one row per step")
def linear_fast(bench, sizes):
    steps = sizes["linear_steps"]
    runs = sizes["linear_runs"] * 2
    engine, bare = compare(bench, linear_workflow(bench, steps), steps, runs, True, delay_ms=0)
    row = Row("B2", f"{steps}-step run, 0 ms delay (median of {runs})", engine, bare)
    row.target, row.passed = "≤ 2.0×", row.ratio <= 2.0
    row.notes = {"engineMsPerStep": engine / steps, "bareMsPerStep": bare / steps}
    return [row]


@scenario("B9", "5-step workflow throughput on the worker processes", needs=("postgresql", "processes"))
def throughput(bench, sizes):
    count, steps = sizes["throughput_executions"], 5
    bench.server.reset(delay_ms=0)
    workflow = linear_workflow(bench, steps)
    rows_to = baseline_execution(bench)
    bench.run(workflow)
    bare = [bare_loop(bench, steps, rows_to, f"t{i}") for i in range(max(5, count // 10))]
    started = [bench.start(workflow) for _ in range(count)]
    done = bench.wait([execution_id for execution_id, _ in started])
    first = min(accepted for _, accepted in started)
    last = max(execution.completed_at for execution in done.values())
    engine_rate = count / (last - first).total_seconds()
    bare_rate = 1000 / median(bare)
    row = Row("B9", f"{count} runs of 5 steps submitted at once: executions/s", engine_rate, bare_rate, unit="/s")
    row.target = f"report (vs B2's bare loop, 1 thread; {bench.workers.description})"
    row.notes = {"failed": sum(1 for e in done.values() if e.status != "COMPLETED"), "namespace": NAMESPACE}
    return [row]
