"""The admin's metrics pages: staff who may view executions, SVG charts and figures that match the stored executions."""

import datetime
import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import timezone

from breakers.models import CircuitBreaker
from executions.models import StepExecution, WorkflowExecution
from tests.support.admin import staff_client
from tests.support.charts import charts_in, shapes, tooltips

OVERVIEW = "/admin/metrics/"


def workflow_url(workflow):
    return f"/admin/metrics/workflows/{workflow.pk}/"


@pytest.fixture
def staff(db):
    """Staff who may view workflows and executions: what the metrics pages show."""
    return staff_client("executions.view_workflowexecution", "workflows.view_workflow")


def run(workflow, status, *, at, duration=None, error_type=None, steps=()):
    """Store an execution (and its step records) as if it had run at `at`."""
    execution = WorkflowExecution.objects.create(
        workflow=workflow,
        status=status,
        started_at=at,
        duration=duration,
        error_type=error_type,
        error="boom" if error_type else None,
        current_step_id=steps[-1][0] if steps else None,
    )
    StepExecution.objects.bulk_create(
        StepExecution(
            execution=execution,
            key=step_id,
            step_id=step_id,
            step_type="HTTP_REQUEST",
            status=status,
            duration=step_duration,
        )
        for step_id, step_duration in steps
    )
    return execution


@pytest.fixture
def seeded(make_workflow):
    """Two workflows: `orders` ran 7 times in the last day (and once 3 days ago), `quotes` once."""
    orders = make_workflow([], name="orders")
    quotes = make_workflow([], name="quotes")
    now = timezone.now()
    five_hours_ago, two_hours_ago = now - datetime.timedelta(hours=5), now - datetime.timedelta(hours=2)
    for duration in (100, 200, 300):
        run(orders, "COMPLETED", at=five_hours_ago, duration=duration, steps=[("fetch", 80), ("transform", 20)])
    run(orders, "FAILED", at=five_hours_ago, duration=400, error_type="HTTP_ERROR", steps=[("fetch", 380)])
    for duration in (500, 600):
        run(orders, "COMPLETED", at=two_hours_ago, duration=duration, steps=[("fetch", 140), ("transform", 20)])
    run(orders, "RUNNING", at=now)
    run(orders, "TIMED_OUT", at=now - datetime.timedelta(days=3), duration=900, error_type="TIMEOUT")
    run(quotes, "FAILED", at=two_hours_ago, duration=50, error_type="VALIDATION_ERROR")
    CircuitBreaker.objects.create(service_id="carrier-a", state="OPEN", failure_count=5, opened_at=now)
    CircuitBreaker.objects.create(service_id="carrier-b")
    return {"orders": orders, "quotes": quotes, "times": (five_hours_ago, two_hours_ago)}


def figure(html, name):
    return re.search(rf'data-figure="{name}">([^<]*)<', html).group(1)


def test_workflow_page_shows_its_charts_and_figures(staff, seeded):
    response = staff.get(workflow_url(seeded["orders"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Metrics: orders" in html
    # Last 24 h: 6 finished (5 completed, 1 failed) and 1 running; the one 3 days ago is out of range.
    assert [figure(html, name) for name in ("total", "completed", "failed", "cancelled")] == ["7", "5", "1", "0"]
    assert figure(html, "success-rate") == "83.33 %"
    assert figure(html, "average") == "350.0 ms"

    charts = charts_in(html)
    assert set(charts) == {
        "Executions per hour",
        "Success rate per hour",
        "Duration percentiles",
        "Average duration per step",
        "Failures by error type",
    }
    assert all(svg.get("aria-label") for svg in charts.values())
    # Two hours with runs: 3 completed + 1 failed five hours ago, 2 completed two hours ago.
    per_hour = charts["Executions per hour"]
    assert sorted(tooltip.split(": ")[1] for tooltip in tooltips(per_hour, "bar")) == [
        "1 failed",
        "2 completed",
        "3 completed",
    ]
    assert [text.text for text in per_hour.iter("{http://www.w3.org/2000/svg}text")][-2:] == [
        "hour started",
        "executions",
    ]
    assert sorted(t.split(": ")[1] for t in tooltips(charts["Success rate per hour"], "point")) == [
        "100% success rate",
        "75% success rate",
    ]
    assert tooltips(charts["Average duration per step"], "bar") == ["fetch: 150 ms", "transform: 20 ms"]
    assert tooltips(charts["Failures by error type"], "bar") == ["HTTP_ERROR: 1"]
    # percentile_cont interpolates on PostgreSQL; elsewhere the nearest rank is taken.
    p50, p95, p99 = (350, 575, 595) if connection.vendor == "postgresql" else (300, 600, 600)
    assert tooltips(charts["Duration percentiles"], "bar") == [f"p50: {p50} ms", f"p95: {p95} ms", f"p99: {p99} ms"]
    assert f"<td>{p50} ms</td><td>{p95} ms</td><td>{p99} ms</td>" in html


def test_workflow_page_over_seven_days_counts_days(staff, seeded):
    five_hours_ago, two_hours_ago = seeded["times"]

    html = staff.get(workflow_url(seeded["orders"]) + "?range=7d").content.decode()

    per_day = charts_in(html)["Executions per day"]
    days_with_runs = len({timezone.localdate(five_hours_ago), timezone.localdate(two_hours_ago)}) + 1
    assert len({bar.get("x") for bar in shapes(per_day, "bar")}) == days_with_runs
    assert len([t for t in per_day.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "tick"]) >= 7
    assert figure(html, "total") == "8"
    assert figure(html, "failed") == "2"
    assert tooltips(charts_in(html)["Failures by error type"], "bar") == ["HTTP_ERROR: 1", "TIMEOUT: 1"]


def test_workflow_page_lists_recent_failures_by_error_type(staff, seeded):
    html = staff.get(workflow_url(seeded["orders"]) + "?range=30d").content.decode()

    failures = html[html.index('id="failures"') :]
    assert re.search(r"<td>HTTP_ERROR</td><td>1</td>", failures)
    assert re.search(r"<td>TIMEOUT</td><td>1</td>", failures)
    failed = WorkflowExecution.objects.filter(workflow=seeded["orders"], status="FAILED").get()
    assert f"/admin/executions/workflowexecution/{failed.pk}/change/" in failures


def test_overview_page_shows_totals_failing_workflows_active_runs_and_open_breakers(staff, seeded):
    response = staff.get(OVERVIEW)

    assert response.status_code == 200
    html = response.content.decode()
    assert [figure(html, name) for name in ("total", "completed", "failed")] == ["8", "5", "2"]
    assert figure(html, "active-total") == "1"
    charts = charts_in(html)
    assert set(charts) == {"Executions per hour", "Success rate per hour", "Most failing workflows"}
    assert tooltips(charts["Most failing workflows"], "bar") == ["orders: 1", "quotes: 1"]
    # 5 h ago: 3 completed + 1 failed; 2 h ago: 2 completed + 1 failed (of quotes).
    assert sorted(t.split(": ")[1] for t in tooltips(charts["Executions per hour"], "bar")) == [
        "1 failed",
        "1 failed",
        "2 completed",
        "3 completed",
    ]
    most_failing = html[html.index('id="most-failing"') :]
    assert f'href="{workflow_url(seeded["orders"])}?range=24h"' in most_failing
    workflows = html[html.index('id="workflows"') : html.index('id="active"')]
    assert re.findall(r">(\w+)</a></td>\s*<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", workflows) == [
        ("orders", "7", "5", "1"),
        ("quotes", "1", "0", "1"),
    ]
    breakers = html[html.index('id="open-breakers"') :]
    assert "carrier-a" in breakers
    assert "carrier-b" not in breakers


def test_every_chart_is_an_accessible_svg_with_axes_labels(staff, seeded):
    html = staff.get(OVERVIEW + "?range=30d").content.decode()

    assert html.count('<svg class="chart"') == 3
    for title, svg in charts_in(html).items():
        labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "axis-label"]
        assert len(labels) == 2 and all(labels), title
        assert title in svg.get("aria-label")
        assert svg.get("role") == "img"


def test_unknown_range_is_a_400_that_names_the_parameter(staff, seeded):
    response = staff.get(OVERVIEW + "?range=1y")

    assert response.status_code == 400
    assert b"range: must be one of 24h, 7d, 30d" in response.content


def test_unknown_workflow_is_a_404(staff):
    assert staff.get(f"/admin/metrics/workflows/{uuid.uuid4()}/").status_code == 404


@pytest.mark.parametrize("url", [OVERVIEW, "/admin/metrics/workflows/00000000-0000-0000-0000-000000000000/"])
def test_non_staff_are_sent_to_the_admin_login(db, url):
    client = Client()
    client.force_login(User.objects.create_user("someone", password="pw"))

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/admin/login/?next={url}")
    assert Client().get(url)["Location"].startswith("/admin/login/")


def test_admin_index_links_to_the_metrics(staff):
    html = staff.get("/admin/").content.decode()

    assert 'href="/admin/metrics/"' in html
    assert 'href="/metrics"' in html


def test_staff_who_may_not_view_executions_get_403_and_no_links(make_workflow):
    workflow = make_workflow([], name="hidden")
    only_workflows = staff_client("workflows.view_workflow")

    assert only_workflows.get(OVERVIEW).status_code == 403
    assert only_workflows.get(workflow_url(workflow)).status_code == 403
    assert "/admin/metrics/" not in only_workflows.get("/admin/").content.decode()
    change_page = only_workflows.get(f"/admin/workflows/workflow/{workflow.pk}/change/")
    assert change_page.status_code == 200 and workflow_url(workflow) not in change_page.content.decode()


def test_a_workflows_page_also_needs_the_view_workflow_permission(make_workflow):
    workflow = make_workflow([], name="flows hidden")
    only_executions = staff_client("executions.view_workflowexecution")

    assert only_executions.get(OVERVIEW).status_code == 200
    assert only_executions.get(workflow_url(workflow)).status_code == 403


def test_pages_with_no_executions(staff, make_workflow):
    workflow = make_workflow([], name="idle")

    for url in (OVERVIEW, workflow_url(workflow)):
        html = staff.get(url).content.decode()
        assert figure(html, "success-rate") == "–"
        assert "No data in this period" in html
