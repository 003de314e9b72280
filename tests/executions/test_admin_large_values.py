"""The execution pages stay small whatever a run holds: values are cut, deep ones shown compact."""

from executions import admin as execution_admin
from executions.models import StepExecution, WorkflowExecution


def nested(depth):
    value = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def record(execution, key, **fields):
    return StepExecution.objects.create(
        execution=execution, key=key, step_id=key, step_type="DATA_TRANSFORM", status="COMPLETED", **fields
    )


def test_a_value_nested_hundreds_deep_is_shown_compact_and_cut(admin_client):
    # Indented, 700 levels of 1,200 arrays would be hundreds of MB of HTML.
    deep = [nested(700) for _ in range(50)]
    execution = WorkflowExecution.objects.create(status="COMPLETED", input={"deep": nested(700)}, output={"x": deep})
    step = record(execution, "copy", output=deep)

    for page in (
        f"/admin/executions/workflowexecution/{execution.pk}/change/",
        f"/admin/executions/stepexecution/{step.pk}/change/",
    ):
        response = admin_client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert len(html) < 500_000, page
        assert "more characters (the API shows the whole value)" in html, page


def test_a_small_value_is_shown_whole_and_indented(admin_client):
    execution = WorkflowExecution.objects.create(status="COMPLETED", input={})
    step = record(execution, "copy", output={"quote": {"premium": 120}})

    html = admin_client.get(f"/admin/executions/stepexecution/{step.pk}/change/").content.decode()

    assert "{\n  &quot;quote&quot;: {\n    &quot;premium&quot;: 120\n  }\n}" in html
    assert "more characters" not in html


def test_a_run_with_more_steps_than_the_page_lists_says_so(admin_client, monkeypatch):
    monkeypatch.setattr(execution_admin, "MAX_SHOWN_STEPS", 5)
    execution = WorkflowExecution.objects.create(status="RUNNING", input={})
    for n in range(7):
        record(execution, f"item-{n}")

    html = admin_client.get(f"/admin/executions/workflowexecution/{execution.pk}/change/").content.decode()

    assert "Steps (7)" in html
    assert "The first 5 are shown" in html
    assert f"/api/v1/executions/{execution.pk}/steps" in html
    assert html.count('class="exec-step"') == 5
