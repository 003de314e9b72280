"""B5: FOR_EACH over many items: worker memory growth, and time per item as the list grows."""

import time

from executions.benchmarks.registry import Row, scenario


def for_each_workflow(bench):
    loop = {"id": "loop", "name": "loop", "type": "FOR_EACH", "config": {"items": "items", "steps": ["call"]}}
    return bench.workflow("for each", [loop, bench.http_step("call", "/item", queryParams={"id": "{{item.id}}"})])


def per_item_ms(bench, workflow, items):
    _, elapsed = bench.run(workflow, {"items": [{"id": i} for i in range(items)]}, timeout=1800)
    return elapsed / items


@scenario("B5", "FOR_EACH over 10,000 items")
def for_each_items(bench, sizes):
    items = sizes["for_each_items"]
    bench.server.reset(delay_ms=0)
    workflow = for_each_workflow(bench)
    small = per_item_ms(bench, workflow, max(1, items // 10))  # also warms the workers up
    before = bench.workers.rss_mb()
    time.sleep(0.2)
    large = per_item_ms(bench, workflow, items)
    after = bench.workers.rss_mb()
    growth = max(((after.get(pid) or 0) - (rss or 0) for pid, rss in before.items()), default=None)
    memory = Row("B5", f"worker RSS growth over a {items}-item run (largest of {len(before)})", growth, unit="MB")
    memory.target, memory.passed = "≤ 64 MB", growth is not None and growth <= 64
    memory.notes = {"rssBeforeMb": before, "rssAfterMb": after}
    scaling = Row("B5", f"time per item at {items} (baseline: at {max(1, items // 10)})", large, small)
    scaling.target, scaling.passed = "≤ 1.3×", scaling.ratio <= 1.3
    return [memory, scaling]
