"""A catastrophic user regex fails its step with REGEX_TIMEOUT quickly, and the worker goes on."""

import pytest

from executions.models import StepExecution

CATASTROPHIC = r"^(a+)+$"
SUBJECT = "a" * 5000 + "!"


def conditional():
    return {
        "id": "check",
        "type": "CONDITIONAL",
        "config": {"conditions": [{"field": "name", "operator": "regex", "value": CATASTROPHIC}]},
    }


def validation():
    return {
        "id": "check",
        "type": "VALIDATION",
        "config": {"rules": [{"field": "name", "type": "pattern", "pattern": CATASTROPHIC}]},
    }


@pytest.mark.parametrize("step", [conditional, validation], ids=["CONDITIONAL", "VALIDATION"])
def test_a_catastrophic_pattern_fails_the_step_and_the_next_run_completes(worker, run_workflow, step):
    # With the default REGEX_TIMEOUT_S: `regex` needs about 0.1-0.2 s for this subject, past the limit.
    execution = run_workflow([step()], input={"name": SUBJECT})

    assert execution.status == "FAILED"
    assert execution.error_type == "REGEX_TIMEOUT"
    record = StepExecution.objects.get(execution_id=execution.pk, step_id="check")
    assert (record.status, record.error_type) == ("FAILED", "REGEX_TIMEOUT")
    assert record.duration < 1500
    assert execution.duration < 1500

    # The same worker runs the next execution to the end.
    after = run_workflow(
        [
            {
                "id": "fine",
                "type": "CONDITIONAL",
                "config": {"conditions": [{"field": "name", "operator": "regex", "value": r"^a+$"}]},
            }
        ],
        input={"name": "aaaa"},
    )
    assert after.status == "COMPLETED", after.error
    assert after.output["steps"]["fine"]["result"] is True


def test_a_pattern_made_by_a_template_that_would_take_the_memory_fails_its_step(worker, run_workflow):
    # Compiled, this would ask for a billion nodes; it is weighed first and refused in milliseconds.
    step = {
        "id": "check",
        "type": "CONDITIONAL",
        "config": {"conditions": [{"field": "name", "operator": "regex", "value": "{{pattern}}"}]},
    }
    execution = run_workflow([step], input={"name": "aaa", "pattern": "(?:(?:a{1000}){1000}){1000}"})

    assert execution.status == "FAILED"
    record = StepExecution.objects.get(execution_id=execution.pk, step_id="check")
    assert (record.status, record.error_type) == ("FAILED", "CONDITION_ERROR")
    assert "Repeats too much" in record.error
    assert record.duration < 1500
