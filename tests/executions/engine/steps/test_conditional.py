"""CONDITIONAL: evaluate, fork into the chosen branch, skip the other, and join."""

import pytest

from executions.engine.errors import CONDITION_ERROR, HTTP_ERROR, StepError
from executions.engine.outcomes import ChildResult, ChildSpec, Completed, Fork
from executions.engine.steps.conditional import Conditional
from tests.support.invocations import invocation

ROUTING = {
    "conditions": [
        {"field": "lead.qualityScore", "operator": "gte", "value": 80, "logic": "AND"},
        {"field": "lead.insuranceType", "operator": "eq", "value": "auto", "logic": "AND"},
    ],
    "trueStepId": "route_premium",
    "falseStepId": "route_standard",
}


def run(config, lead):
    return Conditional().execute(invocation(config, type_name="CONDITIONAL", input={"lead": lead}))


@pytest.mark.parametrize(
    ("lead", "taken", "skipped", "result"),
    [
        ({"qualityScore": 85, "insuranceType": "auto"}, "route_premium", "route_standard", True),
        ({"qualityScore": 50, "insuranceType": "auto"}, "route_standard", "route_premium", False),
        ({"qualityScore": 85, "insuranceType": "home"}, "route_standard", "route_premium", False),
        ({"insuranceType": "auto"}, "route_standard", "route_premium", False),
    ],
)
def test_spec_example_3_forks_into_one_branch_and_skips_the_other(lead, taken, skipped, result):
    outcome = run(ROUTING, lead)
    assert isinstance(outcome, Fork)
    assert outcome.start == [ChildSpec(taken)]
    assert outcome.skip == [skipped]
    assert outcome.detach is False
    assert outcome.output == {"result": result, "nextStepId": taken}
    assert outcome.state == {"result": result, "branch": taken}


def test_without_branches_it_completes_with_the_result():
    outcome = run({"conditions": ROUTING["conditions"]}, {"qualityScore": 90, "insuranceType": "auto"})
    assert isinstance(outcome, Completed)
    assert outcome.output == {"result": True, "nextStepId": None}


def test_only_the_untaken_branch_exists():
    config = {"conditions": ROUTING["conditions"], "falseStepId": "route_standard"}
    outcome = run(config, {"qualityScore": 90, "insuranceType": "auto"})
    # Nothing to run, but the false branch is still recorded SKIPPED.
    assert isinstance(outcome, Fork)
    assert outcome.start == []
    assert outcome.skip == ["route_standard"]
    assert outcome.output == {"result": True, "nextStepId": None}


def test_only_the_taken_branch_exists():
    config = {"conditions": ROUTING["conditions"], "trueStepId": "route_premium"}
    outcome = run(config, {"qualityScore": 90, "insuranceType": "auto"})
    assert outcome.start == [ChildSpec("route_premium")]
    assert outcome.skip == []


def test_same_step_for_both_branches_is_never_skipped():
    config = {"conditions": ROUTING["conditions"], "trueStepId": "next", "falseStepId": "next"}
    outcome = run(config, {"qualityScore": 10})
    assert outcome.start == [ChildSpec("next")]
    assert outcome.skip == []


def test_or_logic_through_the_handler():
    config = {
        "conditions": [
            {"field": "lead.insuranceType", "operator": "eq", "value": "home"},
            {"field": "lead.qualityScore", "operator": "gt", "value": 80, "logic": "OR"},
        ],
        "trueStepId": "yes",
    }
    assert run(config, {"insuranceType": "auto", "qualityScore": 90}).output["result"] is True


def test_incomparable_values_raise_condition_error():
    with pytest.raises(StepError) as caught:
        run({"conditions": [{"field": "lead.qualityScore", "operator": "gt", "value": 1}]}, {"qualityScore": [1]})
    assert caught.value.error_type == CONDITION_ERROR


def test_regex_timeout_option_reaches_the_conditions():
    config = {"conditions": [{"field": "lead.name", "operator": "regex", "value": r"^(a|a)+$"}]}
    call = invocation(
        config, type_name="CONDITIONAL", input={"lead": {"name": "a" * 3000 + "!"}}, options={"REGEX_TIMEOUT_S": 0.05}
    )
    with pytest.raises(StepError) as caught:
        Conditional().execute(call)
    assert caught.value.error_type == "REGEX_TIMEOUT"


def test_join_succeeds_with_the_branch():
    state = {"result": True, "branch": "route_premium"}
    join = Conditional().on_child_finished(ROUTING, state, ChildResult("route_premium", None, True, {"ok": 1}))
    assert join.done is True
    assert join.error is None
    assert join.start == []
    completed = Conditional().collect_output(ROUTING, state, [])
    assert completed.output == {"result": True, "nextStepId": "route_premium"}


def test_join_fails_with_the_branch_error():
    error = StepError(HTTP_ERROR, "answered 500", status=500)
    join = Conditional().on_child_finished(
        ROUTING, {"result": False}, ChildResult("route_standard", None, False, None, error)
    )
    assert join.done is True
    assert join.error is error
