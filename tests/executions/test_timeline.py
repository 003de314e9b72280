"""The execution page's step timeline: bars placed by start and duration, children under parents, retries."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from executions.timeline import timeline_of

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def at(ms):
    return T0 + timedelta(milliseconds=ms)


def row(key, *, pk=None, parent=None, start=None, end=None, status="COMPLETED", item=None, logs=(), attempt=1):
    return SimpleNamespace(
        pk=pk or key,
        parent_id=parent,
        key=key,
        step_id=key.rsplit("/", 1)[-1],
        step_name="",
        step_type="WAIT",
        status=status,
        item_index=item,
        created_at=at(start or 0),
        started_at=at(start) if start is not None else None,
        completed_at=at(end) if end is not None else None,
        duration=(end - start) if end is not None and start is not None else None,
        attempt=attempt,
        logs=list(logs),
    )


def test_bars_are_placed_by_start_and_duration():
    rows = [row("a", start=0, end=250), row("b", start=250, end=1000)]

    timeline = timeline_of(rows, start=T0, end=at(1000))

    assert timeline.total_ms == 1000
    assert [(bar.key, bar.offset, bar.width) for bar in timeline.bars] == [("a", 0.0, 25.0), ("b", 25.0, 75.0)]


def test_parallel_children_sit_under_their_parent_side_by_side_in_time():
    rows = [
        row("after", start=600, end=800),
        row("group", start=0, end=500),
        row("group/x", parent="group", start=10, end=500),
        row("group/y", parent="group", start=10, end=300),
    ]

    timeline = timeline_of(rows, start=T0, end=at(1000))

    assert [(bar.key, bar.depth) for bar in timeline.bars] == [
        ("group", 0),
        ("group/x", 1),
        ("group/y", 1),
        ("after", 0),
    ]
    x, y = timeline.bars[1:3]
    assert x.offset == y.offset == 1.0  # started together: their bars begin at the same place


def test_for_each_items_are_in_index_order_and_labelled():
    rows = [
        row("loop", start=0, end=100),
        row("loop[1]/call", parent="loop", item=1, start=5, end=50),
        row("loop[0]/call", parent="loop", item=0, start=5, end=90),
    ]

    bars = timeline_of(rows, start=T0, end=at(100)).bars

    assert [bar.label for bar in bars] == ["loop", "[0] call", "[1] call"]


def test_failed_attempts_are_marked_on_the_bar():
    logs = [
        {"attempt": 1, "at": at(100).isoformat(), "error": {"type": "HTTP_ERROR", "message": "503"}, "retryInMs": 50},
        {"attempt": 2, "at": at(300).isoformat(), "error": {"type": "HTTP_ERROR", "message": "503"}, "final": True},
        {"message": "not an attempt"},
    ]
    rows = [row("call", start=0, end=400, status="FAILED", logs=logs, attempt=2)]

    (bar,) = timeline_of(rows, start=T0, end=at(1000)).bars

    assert [mark.offset for mark in bar.marks] == [10.0, 30.0]
    assert bar.marks[0].title == "attempt 1 failed: HTTP_ERROR 503 (retry in 50 ms)"
    assert bar.attempt == 2


def test_a_running_step_reaches_now_and_a_pending_one_has_no_bar():
    rows = [row("running", start=200, status="RUNNING"), row("queued", status="PENDING")]

    bars = {bar.key: bar for bar in timeline_of(rows, start=T0, end=at(1000)).bars}
    running, queued = bars["running"], bars["queued"]

    assert (running.offset, running.width) == (20.0, 80.0)
    assert not queued.started and queued.width == 0


def test_an_empty_run_has_no_bars_and_a_positive_span():
    timeline = timeline_of([], start=T0, end=T0)

    assert timeline.bars == [] and timeline.total_ms == 1
