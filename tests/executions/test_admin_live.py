"""Live pages: the execution page's fragment, the active executions page, and the failed preset."""

import pytest
from django.utils import timezone

from executions.models import StepExecution, WorkflowExecution
from tests.support.admin import staff_client
from workflows.services import config_set, workflow_create

VIEWER = ("executions.view_workflowexecution",)


@pytest.fixture
def workflow(db):
    steps = [{"id": "wait", "type": "WAIT", "config": {"duration": 1}}]
    return workflow_create(data={"name": "Live", "category": "test", "status": "ACTIVE", "steps": steps})


def make(workflow, status, **fields):
    return WorkflowExecution.objects.create(
        workflow=workflow, status=status, definition=workflow.definition(), **fields
    )


def live_url(execution):
    return f"/admin/executions/workflowexecution/{execution.pk}/live/"


def test_the_fragment_says_whether_the_run_has_ended(workflow):
    client = staff_client(*VIEWER)
    running, done = make(workflow, "RUNNING"), make(workflow, "COMPLETED", completed_at=timezone.now(), duration=5)

    live = client.get(live_url(running))
    ended = client.get(live_url(done))

    assert (live.status_code, live["X-Finished"]) == (200, "0")
    assert 'data-status="RUNNING"' in live.content.decode()
    assert (ended.status_code, ended["X-Finished"]) == (200, "1")
    assert "no-store" in live["Cache-Control"]


def test_the_page_polls_its_fragment_with_the_static_script(workflow):
    execution = make(workflow, "RUNNING")

    html = staff_client(*VIEWER).get(f"/admin/executions/workflowexecution/{execution.pk}/change/").content.decode()

    assert f'data-live-url="{live_url(execution)}"' in html
    assert "/static/executions/live.js" in html
    assert 'data-finished="0"' in html


def test_step_records_are_shown_pretty_with_secrets_masked(workflow):
    config_set(key="apiKey", value="k-123-secret", is_secret=True)
    execution = make(workflow, "FAILED", error="call failed with k-123-secret")
    StepExecution.objects.create(
        execution=execution,
        key="wait",
        step_id="wait",
        step_type="WAIT",
        status="FAILED",
        started_at=timezone.now(),
        input={"header": "Bearer k-123-secret"},
        output={"ok": False},
        error="k-123-secret refused",
        logs=[{"attempt": 1, "at": timezone.now().isoformat(), "error": {"type": "HTTP_ERROR", "message": "503"}}],
    )

    html = staff_client(*VIEWER).get(live_url(execution)).content.decode()

    assert "k-123-secret" not in html
    assert "Bearer ***" in html and "*** refused" in html
    assert "attempt 1 failed: HTTP_ERROR 503" in html  # the retry shows on the timeline


def test_the_active_page_lists_only_running_waiting_paused_and_pending_runs(workflow):
    active = [make(workflow, status) for status in ("PENDING", "RUNNING", "WAITING", "PAUSED")]
    finished = [make(workflow, status) for status in ("COMPLETED", "FAILED", "CANCELLED")]
    client = staff_client(*VIEWER)

    page = client.get("/admin/executions/workflowexecution/active/")
    fragment = client.get("/admin/executions/workflowexecution/active/live/")

    assert page.status_code == 200 and 'data-live-url="/admin/executions/workflowexecution/active/live/"' in (
        page.content.decode()
    )
    html = fragment.content.decode()
    assert all(str(execution.pk) in html for execution in active)
    assert not any(str(execution.pk) in html for execution in finished)


def test_the_failed_preset_lists_failed_and_timed_out_runs(workflow):
    failed, timed_out, completed = make(workflow, "FAILED"), make(workflow, "TIMED_OUT"), make(workflow, "COMPLETED")

    response = staff_client(*VIEWER).get("/admin/executions/workflowexecution/?outcome=failed")

    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].result_list}
    assert shown == {failed.pk, timed_out.pk}
    assert completed.pk not in shown
    assert "?outcome=failed" in staff_client(*VIEWER).get("/admin/executions/workflowexecution/").content.decode()


@pytest.mark.parametrize(
    "query", ["status__exact=FAILED", "started_at__gte=2000-01-01T00:00:00%2B00:00", "workflow__id__exact={workflow}"]
)
def test_the_changelist_filters_by_status_date_and_workflow(workflow, query):
    execution = make(workflow, "FAILED")

    response = staff_client(*VIEWER).get(f"/admin/executions/workflowexecution/?{query.format(workflow=workflow.pk)}")

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [execution.pk]


def test_live_endpoints_need_the_view_permission(workflow):
    execution = make(workflow, "RUNNING")
    client = staff_client()

    for url in (
        live_url(execution),
        "/admin/executions/workflowexecution/active/",
        "/admin/executions/workflowexecution/active/live/",
    ):
        assert client.get(url).status_code == 403, url
