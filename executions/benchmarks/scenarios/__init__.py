"""One module per scenario (or per family of scenarios); importing them registers them."""

from executions.benchmarks.scenarios import api, breaker, for_each, latency, linear, parallel, pickup  # noqa: F401
