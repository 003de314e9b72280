"""A step's config values and breaker, read ahead by the statement that started it, are current.

On PostgreSQL the statement that records a step also reads the config and the next step's
breaker. What happens while a step's call is in flight (a config change, a new secret, a
breaker opened by another worker) must still reach the step after it.
"""

import threading

import dramatiq
import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from breakers.models import CircuitBreaker
from breakers.services import breaker_get_or_create
from executions import services
from executions.engine import runner
from executions.models import StepExecution, WorkflowExecution
from workflows.models import ConfigEntry


@pytest.fixture
def quiet_broker(transactional_db):
    """The in-process broker with no worker: the test runs the steps itself, inline."""
    broker = dramatiq.get_broker()
    broker.flush_all()
    runner.STOPPING.clear()
    yield broker
    broker.flush_all()


def run_then_disconnect(execution_id):
    try:
        runner.start(execution_id)
    finally:
        connection.close()  # this thread's own connection


def run_held_at_first_step(make_workflow, server, second_step, input=None):
    """Start a run whose first call waits on a gate; return (execution id, gate, thread)."""
    gate = threading.Event()
    first = {"id": "first", "type": "HTTP_REQUEST", "config": {"url": server.route("GET", "/first", gate=gate)}}
    execution = services.execution_start(workflow=make_workflow([first, second_step]), input=input)
    thread = threading.Thread(target=run_then_disconnect, args=(execution.pk,))
    thread.start()
    return execution.pk, gate, thread


def wait_until_called(server, path):
    for _ in range(500):
        if server.received("GET", path):
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"{path} was never called")


def finish(gate, thread, execution_id):
    gate.set()
    thread.join(timeout=30)
    return WorkflowExecution.objects.get(pk=execution_id)


def test_a_config_change_during_a_call_reaches_the_next_step(quiet_broker, make_workflow, server):
    ConfigEntry.objects.create(key="region", value="eu")
    url = server.route("GET", "/second", json={"ok": True})
    second = {"id": "second", "type": "HTTP_REQUEST", "config": {"url": url + "?region={{config.region}}"}}
    execution_id, gate, thread = run_held_at_first_step(make_workflow, server, second)
    wait_until_called(server, "/first")

    ConfigEntry.objects.filter(key="region").update(value="us")
    execution = finish(gate, thread, execution_id)

    assert execution.status == "COMPLETED"
    assert [request["query"] for request in server.received("GET", "/second")] == [{"region": ["us"]}]


def test_a_secret_added_during_a_call_is_sent_by_the_next_step_and_masked_in_its_record(
    quiet_broker, make_workflow, server
):
    url = server.route("GET", "/second", json={"ok": True})
    second = {
        "id": "second",
        "type": "HTTP_REQUEST",
        "config": {"url": url, "headers": {"Authorization": "Bearer {{config.carrier_token}}"}},
    }
    execution_id, gate, thread = run_held_at_first_step(make_workflow, server, second)
    wait_until_called(server, "/first")

    ConfigEntry.objects.create(key="carrier_token", value="s3cr3t-added-mid-run", is_secret=True)
    execution = finish(gate, thread, execution_id)

    assert execution.status == "COMPLETED"
    assert server.received("GET", "/second")[0]["headers"]["Authorization"] == "Bearer s3cr3t-added-mid-run"
    record = StepExecution.objects.get(execution_id=execution_id, step_id="second")
    assert "s3cr3t-added-mid-run" not in str(record.input)
    assert record.input["headers"]["Authorization"] == "Bearer ***"


@pytest.mark.parametrize(
    "config",
    [
        {"serviceId": "carrier"},
        {"serviceId": "{{input.carrier}}"},  # known only once rendered: read when called
        {"path": "/second/{{input.quote}}"},  # the URL's service: its host and port are settled
    ],
    ids=["named", "templated-name", "by-url"],
)
def test_a_breaker_opened_during_a_call_stops_the_next_step_before_it_sends(
    quiet_broker, make_workflow, server, config
):
    url = server.route("GET", "/second", json={"ok": True})
    path = config.pop("path", "/second")
    second = {"id": "second", "type": "HTTP_REQUEST", "config": {"url": server.url(path), **config}}
    service_id = "carrier" if "serviceId" in config else url.rsplit("/", 1)[0]
    breaker_get_or_create(service_id=service_id)
    execution_id, gate, thread = run_held_at_first_step(
        make_workflow, server, second, {"carrier": "carrier", "quote": "q1"}
    )
    wait_until_called(server, "/first")

    # Another worker's failures open it while the first call is in flight.
    CircuitBreaker.objects.filter(service_id=service_id).update(state="OPEN", opened_at="2999-01-01T00:00:00Z")
    execution = finish(gate, thread, execution_id)

    assert execution.status == "FAILED"
    assert execution.error_type == "CIRCUIT_OPEN"
    assert [request["path"] for request in server.received()] == ["/first"]


def test_a_breaker_due_to_half_open_lets_exactly_one_probe_through(quiet_broker, make_workflow, server):
    url = server.route("GET", "/second", json={"ok": True})
    second = {"id": "second", "type": "HTTP_REQUEST", "config": {"url": url, "serviceId": "carrier"}}
    breaker_get_or_create(service_id="carrier")
    execution_id, gate, thread = run_held_at_first_step(make_workflow, server, second)
    wait_until_called(server, "/first")

    # Read ahead OPEN past its timeout: the step takes the probe slot under the row lock.
    CircuitBreaker.objects.filter(service_id="carrier").update(
        state="OPEN", opened_at="2000-01-01T00:00:00Z", timeout=1000, half_open_max_calls=1
    )
    execution = finish(gate, thread, execution_id)

    assert execution.status == "COMPLETED"
    assert len(server.received("GET", "/second")) == 1
    assert CircuitBreaker.objects.get(service_id="carrier").state == "CLOSED"


def test_a_pause_during_a_call_leaves_the_next_step_unstarted_until_resume(quiet_broker, make_workflow, server):
    url = server.route("GET", "/second", json={"ok": True})
    second = {"id": "second", "type": "HTTP_REQUEST", "config": {"url": url}}
    execution_id, gate, thread = run_held_at_first_step(make_workflow, server, second)
    wait_until_called(server, "/first")

    services.execution_pause(execution=WorkflowExecution.objects.get(pk=execution_id))
    execution = finish(gate, thread, execution_id)

    assert execution.status == "PAUSED"
    assert StepExecution.objects.get(execution_id=execution_id, step_id="first").status == "COMPLETED"
    assert StepExecution.objects.get(execution_id=execution_id, step_id="second").status == "PENDING"
    assert server.received("GET", "/second") == []


def test_a_secret_known_by_the_end_is_masked_in_the_runs_output(quiet_broker, make_workflow, server):
    # The first step's answer holds a string that becomes a secret while the run goes on: the
    # run's output is masked with every secret known when it is written, as any record is.
    gate = threading.Event()
    first = {"id": "first", "type": "HTTP_REQUEST", "config": {"url": server.route("GET", "/first", json={"ok": 1})}}
    echo = server.route("GET", "/echo", json={"token": "tok-later-9981"}, gate=gate)
    steps = [
        first,
        {"id": "echo", "type": "HTTP_REQUEST", "config": {"url": echo}},
        {
            "id": "use",
            "type": "HTTP_REQUEST",
            "config": {"url": server.route("GET", "/use", json={}), "headers": {"X-Token": "{{config.token}}"}},
        },
    ]
    execution = services.execution_start(workflow=make_workflow(steps))
    thread = threading.Thread(target=run_then_disconnect, args=(execution.pk,))
    thread.start()
    wait_until_called(server, "/echo")
    ConfigEntry.objects.create(key="token", value="tok-later-9981", is_secret=True)
    gate.set()
    thread.join(timeout=30)

    execution = WorkflowExecution.objects.get(pk=execution.pk)
    assert execution.status == "COMPLETED"
    assert server.received("GET", "/use")[0]["headers"]["X-Token"] == "tok-later-9981"
    assert execution.output["steps"]["echo"]["body"] == {"token": "***"}
    assert "tok-later-9981" not in str(execution.output)


def test_a_secret_that_cannot_be_decrypted_fails_the_step_that_reads_it_and_no_other(
    quiet_broker, make_workflow, server
):
    url = server.route("GET", "/second", json={"ok": True})
    second = {"id": "second", "type": "HTTP_REQUEST", "config": {"url": url, "headers": {"X-Key": "{{config.lost}}"}}}
    execution_id, gate, thread = run_held_at_first_step(make_workflow, server, second)
    wait_until_called(server, "/first")

    # Stored under a key this worker does not have (as after a key was removed from rotation).
    with override_settings(SECRETS_ENCRYPTION_KEY=Fernet.generate_key().decode()):
        ConfigEntry.objects.create(key="lost", value="under another key", is_secret=True)
    execution = finish(gate, thread, execution_id)

    assert execution.status == "FAILED"
    record = StepExecution.objects.get(execution_id=execution_id, step_id="second")
    assert record.status == "FAILED"
    assert "'lost' cannot be read" in record.error and "rotate_secrets" in record.error
    assert server.received("GET", "/second") == []

    plain = {"id": "plain", "type": "HTTP_REQUEST", "config": {"url": url}}
    other = services.execution_start(workflow=make_workflow([plain]))
    runner.start(other.pk)
    assert WorkflowExecution.objects.get(pk=other.pk).status == "COMPLETED"
