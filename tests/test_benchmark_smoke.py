"""`manage.py benchmark --smoke` prints a row for every scenario and leaves nothing behind.

Figures are not asserted: the benchmark checks its own targets, and timings in tests flake.
"""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings

from breakers.models import CircuitBreaker
from executions.benchmarks.harness import API_USER, Workers
from executions.benchmarks.registry import SCENARIOS
from executions.models import StepExecution, WorkflowExecution
from tests.conftest import require_service
from tests.support.processes import process_redis_url
from tests.support.workers import bound_broker
from workflows.models import Workflow


@pytest.mark.django_db(transaction=True)
def test_smoke_run_prints_every_scenario_and_cleans_up():
    out = io.StringIO()

    call_command("benchmark", "--smoke", stdout=out, stderr=io.StringIO())

    text = out.getvalue()
    assert "database: " in text and "broker: " in text and "workers: " in text
    rows = [line for line in text.splitlines() if line.startswith("| B")]
    assert {line.split("|")[1].strip() for line in rows} == set(SCENARIOS)
    assert not [line for line in rows if "error:" in line], text
    assert all(
        line.rstrip(" |").split("|")[-1].strip().split()[0] in {"PASS", "MISS", "INFO", "SKIPPED"} for line in rows
    )
    assert_nothing_left()


def assert_nothing_left():
    assert not Workflow.objects.exists() and not WorkflowExecution.objects.exists()
    assert not StepExecution.objects.exists()
    assert not CircuitBreaker.objects.filter(service_id__startswith="benchmark-").exists()
    assert not User.objects.filter(username=API_USER).exists()


@pytest.mark.django_db(transaction=True)
def test_smoke_run_on_redis_starts_worker_processes_and_cleans_up(monkeypatch):
    require_service("redis")
    url = process_redis_url()
    # The worker processes inherit DJANGO_SETTINGS_MODULE: under the test settings, which keep the
    # in-process broker, they would ignore the Redis URL the benchmark passes them.
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "orchestration_site.settings")
    out = io.StringIO()

    with bound_broker("redis", url=url, namespace="dramatiq"), override_settings(DRAMATIQ_BROKER_URL=url):
        call_command("benchmark", "--smoke", "--workers", "1", "--threads", "4", stdout=out, stderr=io.StringIO())

    text = out.getvalue()
    assert "broker: redis" in text and "workers: 1 rundramatiq processes × 4 threads" in text, text
    rows = [line for line in text.splitlines() if line.startswith("| B")]
    assert {line.split("|")[1].strip() for line in rows} == set(SCENARIOS)
    assert not [line for line in rows if "error:" in line or "needs worker processes" in line], text
    assert_nothing_left()


@pytest.mark.django_db(transaction=True)
def test_a_database_with_other_data_is_refused(make_workflow):
    make_workflow([], name="Somebody's workflow")

    with pytest.raises(CommandError, match="1 workflows and 0 executions"):
        call_command("benchmark", "--smoke", "--scenarios", "B1", stdout=io.StringIO(), stderr=io.StringIO())

    assert Workflow.objects.count() == 1


def test_unknown_scenarios_and_sizes_are_refused():
    with pytest.raises(CommandError, match="Unknown scenario"):
        call_command("benchmark", "--scenarios", "B42", stdout=io.StringIO())
    with pytest.raises(CommandError, match="Bad --size"):
        call_command("benchmark", "--size", "nonsense=1", stdout=io.StringIO())


def test_the_workers_output_is_deleted_after_a_clean_run_and_kept_and_named_after_a_failure(tmp_path):
    said = []
    for keep in (False, True):
        workers = Workers(processes=1, threads=1)
        workers.log = open(tmp_path / f"workers-{keep}.log", "w")  # noqa: SIM115 (as start() leaves it)
        workers.log.close()

        workers.drop_log(keep=keep, say=said.append)

        assert (tmp_path / f"workers-{keep}.log").exists() is keep
    assert said == [f"the worker processes' output: {tmp_path / 'workers-True.log'}"]
