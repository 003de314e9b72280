"""B8: how long the first message after a quiet period waits before a worker picks it up."""

import time

from executions.benchmarks.registry import Row, percentile, scenario
from executions.models import WorkflowExecution


def _pickup_ms(bench, workflow):
    execution_id, accepted = bench.start(workflow)
    bench.wait([execution_id])
    # A worker sets started_at when it takes the execution up (start() marks it RUNNING).
    started = WorkflowExecution.objects.values_list("started_at", flat=True).get(pk=execution_id)
    return (started - accepted).total_seconds() * 1000


@scenario("B8", "pickup of the first message after 10 s idle")
def idle_pickup(bench, sizes):
    idle, count = sizes["idle_s"], sizes["pickups"]
    workflow = bench.workflow("pickup", [])
    _pickup_ms(bench, workflow)
    busy = [_pickup_ms(bench, workflow) for _ in range(count * 4)]
    after_idle = []
    for _ in range(count):
        time.sleep(idle)
        after_idle.append(_pickup_ms(bench, workflow))
    row = Row(
        "B8",
        f"p99 pickup after {idle:g} s idle ({count} samples; baseline: back to back)",
        percentile(after_idle, 99),
        percentile(busy, 99),
    )
    row.target, row.passed = "p99 ≤ 100 ms", row.engine <= 100
    row.notes = {"afterIdleMs": after_idle}
    return [row]
