"""GET /metrics: Prometheus text computed from the database, for staff sessions and the bearer token."""

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from breakers.services import breaker_configure, breaker_get_or_create
from executions import prometheus, tasks
from executions.models import StepExecution, WorkflowExecution
from tests.conftest import require_service
from tests.support.admin import staff_client
from tests.support.workers import bound_broker

TOKEN = "s3cret-scrape-token"


@pytest.fixture
def staff(db):
    return staff_client("executions.view_workflowexecution")


def scrape(client, **headers):
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def samples(text):
    """Return {(sample name, frozenset of labels): value} from the exposition text."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(parsed, name, **labels):
    return parsed.get((name, frozenset(labels.items())))


def http_step(url, **config):
    return [{"id": "call", "type": "HTTP_REQUEST", "config": {"url": url, **config}}]


# ---------------------------------------------------------------- figures from real runs


def test_counters_and_histogram_follow_the_runs_of_a_real_worker(worker, server, run_workflow, staff):
    server.route("GET", "/ok", json={"ok": True})
    completed = run_workflow(http_step(server.url("/ok")), name="ok flow")
    run_workflow(http_step(server.url("/ok")), name="ok flow")
    failed = run_workflow(http_step(server.url("/missing")), name="broken flow")
    assert (completed.status, failed.status) == ("COMPLETED", "FAILED")

    parsed = samples(scrape(staff))

    ok = {"workflow_id": str(completed.workflow_id), "workflow": "ok flow"}
    broken = {"workflow_id": str(failed.workflow_id), "workflow": "broken flow"}
    assert value(parsed, "orchestration_executions_started_total", **ok) == 1
    assert value(parsed, "orchestration_executions_completed_total", **ok) == 1
    assert value(parsed, "orchestration_executions_failed_total", **ok) == 0
    assert value(parsed, "orchestration_executions_started_total", **broken) == 1
    assert value(parsed, "orchestration_executions_failed_total", **broken) == 1
    assert value(parsed, "orchestration_executions_completed_total", **broken) == 0
    # The two "ok flow" workflows are distinct workflows with the same name: two series.
    assert len([key for key in parsed if key[0] == "orchestration_executions_started_total"]) == 3

    # Three HTTP steps ran; the buckets are cumulative and end with +Inf = count.
    durations = list(StepExecution.objects.values_list("duration", flat=True))
    assert value(parsed, "orchestration_step_duration_seconds_count", step_type="HTTP_REQUEST") == 3
    assert value(parsed, "orchestration_step_duration_seconds_sum", step_type="HTTP_REQUEST") == pytest.approx(
        sum(durations) / 1000
    )
    buckets = [
        (float(dict(labels)["le"]), count)
        for (name, labels), count in parsed.items()
        if name == "orchestration_step_duration_seconds_bucket"
    ]
    assert len(buckets) == len(prometheus.DURATION_BUCKETS) + 1
    counts = [count for _, count in sorted(buckets)]
    assert counts == sorted(counts)
    assert dict(buckets)[float("inf")] == 3
    for bound, count in buckets:
        assert count == sum(1 for duration in durations if duration <= bound * 1000)

    # Nothing is queued once the runs are over.
    assert value(parsed, "orchestration_queue_depth") == 0
    assert value(parsed, "orchestration_steps", status="RUNNING") == 0
    assert value(parsed, "orchestration_executions_active", status="RUNNING") == 0


def test_breaker_state_gauge_flips_when_the_breaker_opens(worker, server, run_workflow, staff):
    server.route("POST", "/quote", status=503, json={})
    breaker_configure(breaker=breaker_get_or_create(service_id="carrier-a"), config={"threshold": 1})
    breaker_get_or_create(service_id="carrier-b")

    before = samples(scrape(staff))
    run_workflow(http_step(server.url("/quote"), method="POST", body={}, serviceId="carrier-a"))
    after = samples(scrape(staff))

    assert value(before, "orchestration_circuit_breaker_state", service_id="carrier-a") == 0
    assert value(after, "orchestration_circuit_breaker_state", service_id="carrier-a") == 2
    assert value(after, "orchestration_circuit_breaker_failures", service_id="carrier-a") == 1
    assert value(after, "orchestration_circuit_breaker_state", service_id="carrier-b") == 0


def test_queue_depth_counts_pending_steps(staff, make_workflow):
    workflow = make_workflow([], name="queued")
    execution = WorkflowExecution.objects.create(workflow=workflow, status="RUNNING")
    StepExecution.objects.bulk_create(
        StepExecution(execution=execution, key=key, step_id=key, step_type="WAIT", status=status)
        for key, status in [("a", "PENDING"), ("b", "PENDING"), ("c", "WAITING"), ("d", "COMPLETED")]
    )

    parsed = samples(scrape(staff))

    assert value(parsed, "orchestration_queue_depth") == 2
    assert value(parsed, "orchestration_steps", status="PENDING") == 2
    assert value(parsed, "orchestration_steps", status="WAITING") == 1
    assert value(parsed, "orchestration_executions_active", status="RUNNING") == 1
    # The in-process broker has no queue to read: no broker series.
    assert value(parsed, "orchestration_broker_up") is None


def test_inputs_and_errors_never_appear(staff, make_workflow):
    workflow = make_workflow([], name="private")
    WorkflowExecution.objects.create(
        workflow=workflow, status="FAILED", input={"apiKey": "sk-live-123"}, error="token sk-live-123 refused"
    )

    text = scrape(staff)

    assert "sk-live-123" not in text
    assert value(
        samples(text), "orchestration_executions_failed_total", workflow_id=str(workflow.pk), workflow="private"
    )


# ---------------------------------------------------------------- broker queue length


@pytest.mark.parametrize("kind", ["redis", "rabbitmq"])
def test_broker_queue_length_when_the_broker_is_redis_or_rabbitmq(kind, transactional_db, staff):
    require_service(kind)
    with bound_broker(kind) as broker:
        for _ in range(3):
            tasks.start_execution.send("00000000-0000-0000-0000-000000000000")

        parsed = samples(scrape(staff))

        broker.flush_all()
    assert value(parsed, "orchestration_broker_up") == 1
    assert value(parsed, "orchestration_broker_messages", queue=tasks.QUEUE) == 3


def test_a_broker_error_does_not_break_the_scrape(transactional_db, staff, monkeypatch):
    require_service("redis")

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    with bound_broker("redis"):
        monkeypatch.setattr(prometheus, "broker_queue_lengths", refuse)
        parsed = samples(scrape(staff))

    assert value(parsed, "orchestration_broker_up") == 0
    assert value(parsed, "orchestration_queue_depth") == 0


# ---------------------------------------------------------------- access


def test_anonymous_is_refused_with_401(db):
    response = Client().get("/metrics")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_user_who_is_not_staff_gets_403(db):
    client = Client()
    client.force_login(User.objects.create_user("viewer", password="pw"))

    assert client.get("/metrics").status_code == 403


def test_staff_who_may_not_view_executions_get_403(db):
    response = staff_client("workflows.view_workflow").get("/metrics")

    assert response.status_code == 403
    assert "executions.view_workflowexecution" in response.content.decode()


@override_settings(METRICS_TOKEN=TOKEN)
def test_the_bearer_token_lets_a_scraper_in(db):
    assert "orchestration_queue_depth" in scrape(Client(), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


@override_settings(METRICS_TOKEN="")
def test_no_token_is_accepted_when_none_is_configured(db):
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_only_reads_are_allowed(staff):
    assert staff.post("/metrics").status_code == 405
