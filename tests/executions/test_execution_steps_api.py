"""GET /api/v1/executions/:id/steps: one execution's step records a page at a time, filterable."""

from datetime import UTC, datetime, timedelta

import pytest

from executions.models import StepExecution, WorkflowExecution
from orchestration_site import pagination
from tests.support.pages import follow_pages
from tests.support.workers import wait_for_execution

URL = "/api/v1/executions"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def steps_url(execution_id):
    return f"{URL}/{execution_id}/steps"


def record(run, key, *, seconds=0, **fields):
    fields.setdefault("step_id", key)
    fields.setdefault("step_type", "HTTP_REQUEST")
    return StepExecution.objects.create(execution=run, key=key, created_at=T0 + timedelta(seconds=seconds), **fields)


@pytest.fixture
def run(db):
    """A finished run: a PARALLEL whose two children were created together, a retried call, a loop."""
    run = WorkflowExecution.objects.create(workflow_version=1, status="FAILED", started_at=T0)
    fan = record(run, "fan", step_type="PARALLEL", status="COMPLETED")
    record(run, "fan/a", seconds=1, step_id="a", parent=fan, status="COMPLETED")
    record(run, "fan/b", seconds=1, step_id="b", parent=fan, status="COMPLETED")
    record(run, "call", seconds=2, status="FAILED", attempt=1, error="HTTP 503", error_type="HTTP_ERROR")
    record(run, "call#2", seconds=3, step_id="call", status="COMPLETED", attempt=2)
    loop = record(run, "loop", seconds=4, step_type="FOR_EACH", status="FAILED")
    for index in range(3):
        record(
            run,
            f"loop[{index}]/t",
            seconds=5,
            step_id="t",
            step_type="DATA_TRANSFORM",
            parent=loop,
            item_index=index,
            status="FAILED" if index == 1 else "COMPLETED",
        )
    other = WorkflowExecution.objects.create(workflow_version=1, status="COMPLETED", started_at=T0)
    record(other, "elsewhere")
    return run


def all_pages(api, url, **params):
    bodies = follow_pages(api, url, params)
    return [step["key"] for body in bodies for step in body["results"]], len(bodies)


def test_pages_hold_every_record_of_the_run_once_in_the_details_order(api, run):
    detail = [step["key"] for step in api.get(f"{URL}/{run.pk}").json()["stepsExecuted"]]

    keys, pages = all_pages(api, steps_url(run.pk), pageSize=3)

    assert keys == detail
    assert len(keys) == 9 and pages == 3
    assert "elsewhere" not in keys


def test_a_page_carries_the_count_and_the_details_step_fields(api, run):
    body = api.get(steps_url(run.pk), {"pageSize": 2}).json()
    detail = api.get(f"{URL}/{run.pk}").json()["stepsExecuted"]

    assert body["count"] == 9
    assert body["previous"] is None and body["next"] is not None
    assert body["results"] == detail[:2]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "FAILED"}, ["call", "loop", "loop[1]/t"]),
        ({"status": ["FAILED", "COMPLETED"], "stepId": "call"}, ["call", "call#2"]),
        ({"stepType": "DATA_TRANSFORM"}, ["loop[0]/t", "loop[1]/t", "loop[2]/t"]),
        ({"stepId": "nothing"}, []),
    ],
)
def test_filters(api, run, params, expected):
    keys, _ = all_pages(api, steps_url(run.pk), **params)

    assert keys == expected


def test_filter_by_parent(api, run):
    loop = run.steps_executed.get(key="loop")

    keys, _ = all_pages(api, steps_url(run.pk), parentId=str(loop.pk))

    assert keys == ["loop[0]/t", "loop[1]/t", "loop[2]/t"]


@pytest.mark.parametrize(("params", "path"), [({"status": "DONE"}, "status"), ({"parentId": "loop"}, "parentId")])
def test_invalid_filters_are_refused_by_name(api, run, params, path):
    response = api.get(steps_url(run.pk), params)

    assert response.status_code == 400
    assert path in [error["path"] for error in response.json()["errors"]]


@pytest.mark.parametrize("pk", ["5f0c6a70-2d69-4a4f-9a34-0f5b6b7c0d1e", "nope"])
def test_an_unknown_execution_is_404(api, pk):
    assert api.get(steps_url(pk)).status_code == 404


def test_reading_needs_a_user_who_may_view_executions(anon_api, viewer_api, viewer_role_api, run):
    assert anon_api.get(steps_url(run.pk)).status_code == 401
    assert viewer_api.get(steps_url(run.pk)).status_code == 403
    assert viewer_role_api.get(steps_url(run.pk)).status_code == 200


def test_steps_are_read_only(api, run):
    assert api.post(steps_url(run.pk), {}, format="json").status_code == 405


def test_the_records_of_a_real_loop_page_through(worker, api, make_workflow):
    loop = {"id": "loop", "name": "Loop", "type": "FOR_EACH", "config": {"items": "items", "steps": ["t"]}}
    body = {
        "id": "t",
        "name": "Rename",
        "type": "DATA_TRANSFORM",
        "config": {"inputVariable": "item", "transformations": [{"type": "MAP", "config": {"mapping": {"n": "m"}}}]},
    }
    workflow = make_workflow([loop, body])
    started = api.post(
        f"/api/v1/workflows/{workflow.pk}/execute", {"input": {"items": [{"n": i} for i in range(7)]}}, format="json"
    )
    execution = wait_for_execution(started.json()["id"])
    assert execution.status == "COMPLETED", execution.error

    pages = [api.get(steps_url(execution.pk), {"pageSize": 3, "page": page}).json() for page in (1, 2, 3)]

    assert [page["count"] for page in pages] == [8, 8, 8]
    records = [step for page in pages for step in page["results"]]
    assert [(step["stepId"], step["itemIndex"]) for step in records] == [("loop", None)] + [("t", i) for i in range(7)]
    assert [step["output"] for step in records[1:]] == [{"m": i} for i in range(7)]


def test_a_run_past_the_lists_count_bound_is_counted_exactly_and_paged_to_its_end(api, run, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "_estimates", {})
    monkeypatch.setattr(pagination, "planner_estimate", lambda queryset: 4)

    body = api.get(steps_url(run.pk), {"pageSize": 2}).json()
    keys, pages = all_pages(api, steps_url(run.pk), pageSize=2)

    assert body["count"] == 9
    assert len(keys) == len(set(keys)) == 9 and pages == 5
