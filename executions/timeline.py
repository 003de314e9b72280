"""The step timeline of an execution: one bar per step record, placed by its start and duration.

Plain arithmetic over step records (anything with the StepExecution attributes), so it is tested
without a database; `templates/admin/executions/_timeline.html` draws the bars.
"""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Mark:
    """A failed attempt on a bar: where it happened (percent of the timeline) and what it said."""

    offset: float
    title: str


@dataclass
class Bar:
    """One step record on the timeline; `offset` and `width` are percentages of the whole run."""

    key: str
    label: str
    step_type: str
    status: str
    depth: int
    offset: float
    width: float
    duration_ms: int | None
    attempt: int
    started: bool
    marks: list = field(default_factory=list)


@dataclass
class Timeline:
    """The bars in tree order (children under their parent), and the run's span in milliseconds."""

    total_ms: int
    bars: list


def _ms(later, earlier):
    return max(0.0, (later - earlier).total_seconds() * 1000)


def _parse(value):
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _label(row):
    name = row.step_name or row.step_id
    if row.item_index is not None:
        return f"[{row.item_index}] {name}"
    if "!" in row.key.rsplit("/", 1)[-1]:
        return f"on error: {name}"
    return name


def _in_tree_order(rows):
    """Depth-first: each parent followed by its children (items by index), siblings by creation."""
    children = {}
    ids = {row.pk for row in rows}
    for row in rows:
        parent = row.parent_id if row.parent_id in ids else None
        children.setdefault(parent, []).append(row)

    def sort_key(row):
        return (row.item_index if row.item_index is not None else -1, row.created_at, row.key)

    ordered = []
    stack = [(row, 0) for row in sorted(children.get(None, []), key=sort_key, reverse=True)]
    while stack:
        row, depth = stack.pop()
        ordered.append((row, depth))
        stack.extend((child, depth + 1) for child in sorted(children.get(row.pk, []), key=sort_key, reverse=True))
    return ordered


def timeline_of(rows, *, start, end):
    """Return the Timeline of step records between `start` and `end` (the run's start, and its end or now)."""
    rows = list(rows)
    started = [row.started_at for row in rows if row.started_at]
    if started:
        start = min([start, *started])
    total = max(_ms(end, start), 1.0)
    bars = []
    for row, depth in _in_tree_order(rows):
        if row.started_at is None:
            offset, width = 0.0, 0.0
        else:
            finish = row.completed_at or end
            offset = _ms(row.started_at, start) / total * 100
            width = max(_ms(finish, row.started_at) / total * 100, 0.5)
            width = min(width, 100 - offset) if offset < 100 else 0.5
        marks = []
        for entry in row.logs or []:
            if not isinstance(entry, dict) or "attempt" not in entry or not isinstance(entry.get("error"), dict):
                continue
            at = _parse(entry.get("at"))
            error = entry["error"]
            title = f"attempt {entry['attempt']} failed: {error.get('type') or error.get('errorType') or ''} "
            title += str(error.get("message", ""))[:200]
            if "retryInMs" in entry:
                title += f" (retry in {entry['retryInMs']} ms)"
            if "waitForBreakerMs" in entry:
                title += f" (waiting {entry['waitForBreakerMs']} ms for the breaker)"
            position = min(max(_ms(at, start) / total * 100, 0.0), 100.0) if at else offset
            marks.append(Mark(offset=round(position, 2), title=title.strip()))
        bars.append(
            Bar(
                key=row.key,
                label=_label(row),
                step_type=row.step_type,
                status=row.status,
                depth=depth,
                offset=round(offset, 2),
                width=round(width, 2),
                duration_ms=row.duration,
                attempt=row.attempt,
                started=row.started_at is not None,
                marks=marks,
            )
        )
    return Timeline(total_ms=round(total), bars=bars)
