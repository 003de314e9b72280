"""VALIDATION: required, type, range and pattern rules; stop at the first error or collect all."""

import time

import pytest

from executions.engine.errors import REGEX_TIMEOUT, VALIDATION_ERROR, StepError
from executions.engine.outcomes import Completed, Failed
from executions.engine.steps.validation import Validation
from tests.support.invocations import invocation

LEAD = {
    "email": "ada@example.com",
    "insuranceType": "auto",
    "age": 42,
    "score": 85.5,
    "count": 3.0,
    "vip": False,
    "tags": ["a"],
    "contact": {"zip": "90210"},
    "blank": "",
    "nothing": None,
}


def run(rules, *, fail_on_first=None, data=None, **kwargs):
    config = {"rules": rules}
    if fail_on_first is not None:
        config["failOnFirstError"] = fail_on_first
    return Validation().execute(
        invocation(config, type_name="VALIDATION", input={"lead": LEAD if data is None else data}, **kwargs)
    )


def rule(field, kind, **extra):
    return {"field": field, "type": kind, **extra}


def problems(outcome):
    return [(error["field"], error["rule"]) for error in outcome.output["errors"]]


@pytest.mark.parametrize(
    ("validation_rule", "passes"),
    [
        # required: absent, null and "" fail; anything else (even false, 0, []) passes.
        (rule("lead.email", "required"), True),
        (rule("lead.vip", "required"), True),
        (rule("lead.tags", "required"), True),
        (rule("lead.phone", "required"), False),
        (rule("lead.nothing", "required"), False),
        (rule("lead.blank", "required"), False),
        (rule("lead.contact.zip", "required"), True),
        (rule("lead.contact.city", "required"), False),
        # type
        (rule("lead.email", "type", dataType="string"), True),
        (rule("lead.age", "type", dataType="string"), False),
        (rule("lead.age", "type", dataType="number"), True),
        (rule("lead.score", "type", dataType="number"), True),
        (rule("lead.vip", "type", dataType="number"), False),
        (rule("lead.email", "type", dataType="number"), False),
        (rule("lead.age", "type", dataType="integer"), True),
        (rule("lead.count", "type", dataType="integer"), True),
        (rule("lead.score", "type", dataType="integer"), False),
        (rule("lead.vip", "type", dataType="integer"), False),
        (rule("lead.vip", "type", dataType="boolean"), True),
        (rule("lead.age", "type", dataType="boolean"), False),
        (rule("lead.contact", "type", dataType="object"), True),
        (rule("lead.tags", "type", dataType="object"), False),
        (rule("lead.tags", "type", dataType="array"), True),
        (rule("lead.contact", "type", dataType="array"), False),
        # range
        (rule("lead.age", "range", min=18, max=99), True),
        (rule("lead.age", "range", min=42, max=42), True),
        (rule("lead.age", "range", min=43), False),
        (rule("lead.age", "range", max=41), False),
        (rule("lead.score", "range", min=85.5), True),
        (rule("lead.email", "range", min=0), False),
        (rule("lead.vip", "range", min=0), False),
        # pattern (a search)
        (rule("lead.email", "pattern", pattern=r"^[^@\s]+@[^@\s]+\.[a-z]+$"), True),
        (rule("lead.email", "pattern", pattern=r"@other\.com$"), False),
        (rule("lead.contact.zip", "pattern", pattern=r"^\d{5}$"), True),
        (rule("lead.age", "pattern", pattern=r"^\d+$"), True),
        # Rules other than required pass when the field is absent or null.
        (rule("lead.phone", "type", dataType="string"), True),
        (rule("lead.phone", "range", min=1), True),
        (rule("lead.phone", "pattern", pattern="x"), True),
        (rule("lead.nothing", "type", dataType="string"), True),
    ],
)
def test_rule(validation_rule, passes):
    outcome = run([validation_rule])
    if passes:
        assert isinstance(outcome, Completed)
        assert outcome.output == {"valid": True, "errors": []}
    else:
        assert isinstance(outcome, Failed)
        assert outcome.error.error_type == VALIDATION_ERROR
        assert problems(outcome) == [(validation_rule["field"], validation_rule["type"])]


FAILING = [
    rule("lead.phone", "required"),
    rule("lead.age", "type", dataType="string"),
    rule("lead.email", "required"),
    rule("lead.age", "range", max=10),
    rule("lead.email", "pattern", pattern="^nobody@"),
]


def test_collects_all_errors_by_default():
    outcome = run(FAILING)
    assert isinstance(outcome, Failed)
    assert problems(outcome) == [
        ("lead.phone", "required"),
        ("lead.age", "type"),
        ("lead.age", "range"),
        ("lead.email", "pattern"),
    ]
    assert outcome.output["valid"] is False
    assert outcome.error.details == {"errors": outcome.output["errors"]}
    for field in ("lead.phone", "lead.age", "lead.email"):
        assert field in outcome.error.message


def test_fail_on_first_error_false_collects_all():
    assert problems(run(FAILING, fail_on_first=False)) == problems(run(FAILING))


def test_fail_on_first_error_stops_at_the_first():
    outcome = run(FAILING, fail_on_first=True)
    assert isinstance(outcome, Failed)
    assert problems(outcome) == [("lead.phone", "required")]
    assert "lead.phone" in outcome.error.message
    assert "lead.age" not in outcome.error.message


def test_spec_example_1_without_email_names_the_field():
    rules = [rule("leadData.email", "required"), rule("leadData.insuranceType", "required")]
    outcome = Validation().execute(
        invocation(
            {"rules": rules, "failOnFirstError": True},
            type_name="VALIDATION",
            results=[("step_1", {"status": 200}, {"leadData": {"insuranceType": "auto"}})],
        )
    )
    assert isinstance(outcome, Failed)
    assert outcome.error.error_type == VALIDATION_ERROR
    assert "leadData.email" in outcome.error.message
    assert problems(outcome) == [("leadData.email", "required")]


def test_messages_default_and_custom():
    outcome = run(
        [
            rule("lead.age", "range", min=50),
            rule("lead.age", "range", max=10),
            rule("lead.phone", "required", message="Phone please."),
            rule("lead.age", "type", dataType="array"),
        ]
    )
    assert [error["message"] for error in outcome.output["errors"]] == [
        "must be at least 50",
        "must be at most 10",
        "Phone please.",
        "must be of type array",
    ]
    assert "lead.phone Phone please." in outcome.error.message


def test_paths_with_brackets_and_placeholders():
    data = {"items": [{"id": "x1"}]}
    assert isinstance(run([rule("lead.items[0].id", "required")], data=data), Completed)
    assert isinstance(run([rule("{{lead.items.0.id}}", "pattern", pattern="^x")], data=data), Completed)


def test_catastrophic_pattern_times_out():
    started = time.monotonic()
    with pytest.raises(StepError) as caught:
        run(
            [rule("lead.name", "pattern", pattern=r"^(a|a)+$")],
            data={"name": "a" * 5000 + "!"},
            options={"REGEX_TIMEOUT_S": 0.1},
        )
    assert caught.value.error_type == REGEX_TIMEOUT
    assert time.monotonic() - started < 1.5
