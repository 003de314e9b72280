"""Run the chosen scenarios on the configured database and broker; return the header and rows."""

import logging
import os
import platform
import time
import traceback

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.test.utils import override_settings

from executions.benchmarks import harness
from executions.benchmarks.registry import SCENARIOS, Row
from executions.benchmarks.server import LoopbackServer

logger = logging.getLogger(__name__)


class Refused(Exception):
    """The database holds data the benchmark did not create (pass force to run anyway)."""


def _missing(needs, vendor, broker):
    if "postgresql" in needs and vendor != "postgresql":
        return f"needs PostgreSQL, running on {vendor}"
    if "redis" in needs and broker != "redis":
        return f"needs the Redis broker, running on {broker}"
    if "processes" in needs and broker == "in-process":
        return "needs worker processes on a real broker, running in-process"
    return ""


def _where(url):
    """A broker URL without its credentials."""
    return url.split("@")[-1]


def python_probe_ms(rounds=3):
    """The best of `rounds` timings of a fixed pure-Python loop: how fast this machine runs
    Python at the moment, so runs made on different days can be compared by it."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return best * 1000


def machine_description():
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            memory = f", {int(meminfo.readline().split()[1]) / 1024 / 1024:.1f} GB memory"
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    probe = f"a 1M-step Python loop in {python_probe_ms():.0f} ms"
    return f"{os.cpu_count()} CPUs{memory}, Python {platform.python_version()}, {system}; {probe}"


def _run_once_more_after_database_errors(scenario, bench, sizes, say):
    """Run a scenario; when the database went away meanwhile (a restart), run it once more."""
    try:
        return scenario.run(bench, sizes)
    except (OperationalError, InterfaceError) as exc:
        say(f"{scenario.id}: the database went away ({exc}); running it again")
        connection.close()
        time.sleep(5)
        return scenario.run(bench, sizes)


def benchmark_run(*, scenario_ids, sizes, processes=2, threads=16, force=False, say=None):
    """Run the scenarios (ids in order) and return (header lines, rows).

    Refuses a database with workflows or executions of its own unless `force`; whatever it
    creates is deleted at the end, however it ends.
    """
    say = say or (lambda message: None)
    if not force:
        workflows, executions = harness.foreign_data()
        if workflows or executions:
            raise Refused(
                f"the database holds {workflows} workflows and {executions} executions that are not the "
                "benchmark's; use an empty database (or pass --force: figures of B6 then include them)"
            )
    harness.cleanup()
    workers = harness.Workers(processes, threads)
    header = [
        f"database: {harness.database_description()}",
        f"broker: {workers.kind}"
        + ("" if workers.kind == "in-process" else f" ({_where(settings.DRAMATIQ_BROKER_URL)})"),
        f"workers: {workers.description}",
        f"machine: {machine_description()}",
    ]
    rows, failed = [], False
    allow = ",".join(filter(None, [settings.OUTBOUND_ALLOW_NETWORKS, "127.0.0.1/32"]))
    try:
        with (
            override_settings(EMBEDDED_WORKER=False, OUTBOUND_ALLOW_NETWORKS=allow),
            LoopbackServer() as server,
        ):
            bench = harness.Bench(server, workers, say=say)
            started = False
            for scenario_id in scenario_ids:
                scenario = SCENARIOS[scenario_id]
                reason = _missing(scenario.needs, connection.vendor, workers.kind)
                if reason:
                    rows.append(Row(scenario_id, scenario.title, skipped=reason))
                    continue
                if not started:
                    workers.start()
                    bench.ready()
                    started = True
                # A database restart (or an idle timeout) between scenarios must not end the run.
                connection.close_if_unusable_or_obsolete()
                say(f"{scenario_id}: {scenario.title} …")
                began = time.monotonic()
                try:
                    found = _run_once_more_after_database_errors(scenario, bench, sizes, say)
                except Exception as exc:  # one scenario's failure is a row, not the end of the run
                    logger.debug("Scenario %s failed", scenario_id, exc_info=True)
                    say(traceback.format_exc())
                    found = [Row(scenario_id, scenario.title, skipped=f"error: {type(exc).__name__}: {exc}"[:200])]
                    connection.close()  # the next query reconnects
                    _quietly(harness.cancel_active, say)  # its leftovers must not load the next scenario
                rows.extend(found)
                say(f"{scenario_id}: done in {time.monotonic() - began:.1f} s")
    except BaseException:
        failed = True
        raise
    finally:
        workers.stop()
        workers.drop_log(keep=failed or any(row.skipped.startswith("error:") for row in rows), say=say)
        _quietly(harness.cleanup, say)
    return header, rows


def _quietly(func, say, attempts=3):
    """Run a clean-up step, again after database errors; report (not raise) a last failure."""
    for attempt in range(1, attempts + 1):
        try:
            connection.close_if_unusable_or_obsolete()
            return func()
        except Exception as exc:
            connection.close()
            if attempt == attempts:
                say(f"{func.__name__} failed: {exc}")
                return None
            time.sleep(3)
