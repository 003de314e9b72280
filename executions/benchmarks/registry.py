"""Scenarios by id, the rows they report, and the sizes they run at (full or smoke)."""

import statistics
from dataclasses import dataclass, field

SCENARIOS = {}

# Full sizes as the issue states them; smoke sizes run every scenario in seconds (CI).
SIZES = {
    "linear_steps": (20, 3),
    "linear_runs": (5, 1),
    "latency_runs": (100, 3),
    "parallel_calls": (100, 10),
    "parallel_concurrency": (20, 5),
    "parallel_delay_ms": (100, 20),
    "for_each_items": (10_000, 40),
    "api_workflows": (10_000, 100),
    "api_executions": (100_000, 500),
    "api_requests": (200, 5),
    "breaker_calls": (1000, 20),
    "idle_s": (10.0, 0.2),
    "pickups": (5, 2),
    "throughput_executions": (200, 4),
}


def sizes_for(smoke=False, overrides=None):
    """Return {name: size} for a full or smoke run, with `name=value` overrides applied."""
    sizes = {name: pair[1] if smoke else pair[0] for name, pair in SIZES.items()}
    for name, value in (overrides or {}).items():
        if name not in sizes:
            raise KeyError(name)
        sizes[name] = type(sizes[name])(value)
    return sizes


@dataclass
class Row:
    """One line of the table: what was measured, the engine's figure and the bare baseline's."""

    scenario: str
    measured: str
    engine: float | None = None
    baseline: float | None = None
    unit: str = "ms"
    target: str = ""
    # True/False against the target; None when the row only reports (no target).
    passed: bool | None = None
    skipped: str = ""
    notes: dict = field(default_factory=dict)

    @property
    def ratio(self):
        if self.engine is None or not self.baseline:
            return None
        return self.engine / self.baseline

    @property
    def result(self):
        if self.skipped:
            return "SKIPPED"
        if self.passed is None:
            return "INFO"
        return "PASS" if self.passed else "MISS"

    def as_dict(self):
        return {
            "scenario": self.scenario,
            "measured": self.measured,
            "engine": self.engine,
            "baseline": self.baseline,
            "unit": self.unit,
            "ratio": self.ratio,
            "target": self.target,
            "result": self.result,
            "skipped": self.skipped or None,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    run: object
    # What it needs: "postgresql" (the database), "redis" (the broker), "processes" (any real broker).
    needs: frozenset = frozenset()


def scenario(id, title, needs=()):
    """Register a scenario function `run(bench, sizes) -> [Row, ...]` under its id."""

    def register(func):
        SCENARIOS[id] = Scenario(id, title, func, frozenset(needs))
        return func

    return register


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def median(values):
    return statistics.median(values)
