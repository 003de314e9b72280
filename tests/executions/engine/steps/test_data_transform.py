"""DATA_TRANSFORM: MAP, CALCULATE, FORMAT and MERGE, applied in order to the input variable."""

import pytest

from executions.engine.errors import TRANSFORM_ERROR, VARIABLE_ERROR, StepError
from executions.engine.outcomes import Completed
from executions.engine.steps.conditional import Conditional
from executions.engine.steps.data_transform import DataTransform
from tests.support.invocations import invocation

QUOTES = [
    {"carrier": "A", "premium": 120.5},
    {"carrier": "B", "premium": 99},
    {"carrier": "C", "premium": 150},
]


def run(config, **context):
    return DataTransform().execute(invocation(config, type_name="DATA_TRANSFORM", **context))


def transform(data, *transformations, **context):
    """Run transformations over `data` held in the variable `data`; return the output."""
    outcome = run(
        {"inputVariable": "data", "transformations": list(transformations)},
        input={"data": data, **context.pop("input", {})},
        **context,
    )
    assert isinstance(outcome, Completed)
    return outcome.output


def MAP(mapping):
    return {"type": "MAP", "config": {"mapping": mapping}}


def CALC(operation, field=None, result=None):
    config = {"operation": operation}
    if field:
        config["field"] = field
    if result:
        config["resultField"] = result
    return {"type": "CALCULATE", "config": config}


def FORMAT(operation, *fields):
    return {"type": "FORMAT", "config": {"operation": operation, "fields": list(fields)}}


def MERGE(*sources):
    return {"type": "MERGE", "config": {"sources": list(sources)}}


# ---------------------------------------------------------------- the spec's example 2


def test_spec_example_2_shape_feeds_the_conditional():
    # Given the spec's example 2 transform, with resultField "bestQuote" added
    config = {
        "inputVariable": "quotes",
        "outputVariable": "standardizedQuotes",
        "transformations": [
            MAP({"premium": "totalPremium", "carrier": "insuranceCarrier"}),
            CALC("min", "totalPremium", "bestQuote"),
        ],
    }
    # When it runs over the quotes
    outcome = run(config, input={"quotes": QUOTES})
    # Then the output keeps the mapped items beside the result field
    assert outcome.output == {
        "items": [
            {"insuranceCarrier": "A", "totalPremium": 120.5},
            {"insuranceCarrier": "B", "totalPremium": 99},
            {"insuranceCarrier": "C", "totalPremium": 150},
        ],
        "bestQuote": 99,
    }
    assert outcome.variables == {"standardizedQuotes": outcome.output}
    # And the example's CONDITIONAL reads standardizedQuotes.bestQuote
    conditional = invocation(
        {"conditions": [{"field": "standardizedQuotes.bestQuote", "operator": "gte", "value": 0}]},
        type_name="CONDITIONAL",
        results=[("transform_quotes", outcome.output, outcome.variables)],
    )
    assert Conditional().execute(conditional).output["result"] is True


def test_without_result_field_the_value_is_under_result():
    assert transform(QUOTES, CALC("min", "premium")) == {"items": QUOTES, "result": 99}


# ---------------------------------------------------------------- MAP


@pytest.mark.parametrize(
    ("data", "mapping", "expected"),
    [
        ({"a": 1, "b": 2}, {"a": "x"}, {"x": 1, "b": 2}),
        ({"a": 1}, {"missing": "x"}, {"a": 1}),
        ({"a": 1, "b": 2}, {"a": "b", "b": "a"}, {"a": 2, "b": 1}),
        ({"contact": {"email": "e"}}, {"contact.email": "email"}, {"contact": {}, "email": "e"}),
        ({"email": "e"}, {"email": "contact.email"}, {"contact": {"email": "e"}}),
        ({"a": None}, {"a": "b"}, {"b": None}),
        ([{"a": 1}, {"a": 2, "c": 3}], {"a": "z"}, [{"z": 1}, {"z": 2, "c": 3}]),
        ([], {"a": "z"}, []),
    ],
)
def test_map(data, mapping, expected):
    assert transform(data, MAP(mapping)) == expected


def test_map_over_non_objects_fails():
    with pytest.raises(StepError) as caught:
        transform([{"a": 1}, 5], MAP({"a": "b"}))
    assert caught.value.error_type == TRANSFORM_ERROR
    assert "transformations[0] (MAP)" in caught.value.message
    assert str(caught.value) == caught.value.message


def test_map_into_a_non_object_fails():
    with pytest.raises(StepError) as caught:
        transform({"a": 1, "b": "text"}, MAP({"a": "b.c"}))
    assert caught.value.error_type == TRANSFORM_ERROR


# ---------------------------------------------------------------- CALCULATE


@pytest.mark.parametrize(
    ("operation", "field", "value"),
    [
        ("sum", "premium", 369.5),
        ("avg", "premium", pytest.approx(369.5 / 3)),
        ("min", "premium", 99),
        ("max", "premium", 150),
        ("count", "premium", 3),
        ("count", None, 3),
    ],
)
def test_calculate(operation, field, value):
    assert transform(QUOTES, CALC(operation, field, "value"))["value"] == value


@pytest.mark.parametrize(
    ("operation", "value"),
    [("sum", 0), ("avg", None), ("min", None), ("max", None), ("count", 0)],
)
def test_calculate_over_no_values(operation, value):
    assert transform([{"other": 1}, {"premium": None}], CALC(operation, "premium"))["result"] == value


def test_calculate_skips_missing_and_null_values():
    data = [{"p": 1}, {}, {"p": None}, {"p": 3}]
    assert transform(data, CALC("avg", "p"))["result"] == 2
    assert transform(data, CALC("count", "p"))["result"] == 2
    assert transform(data, CALC("count"))["result"] == 4


def test_calculate_nested_field():
    data = [{"quote": {"total": 5}}, {"quote": {"total": 7}}]
    assert transform(data, CALC("sum", "quote.total"))["result"] == 12


def test_two_calculations_sit_side_by_side():
    output = transform(QUOTES, CALC("min", "premium", "best"), CALC("max", "premium", "worst"), CALC("count"))
    assert output == {"items": QUOTES, "best": 99, "worst": 150, "result": 3}


@pytest.mark.parametrize(
    ("data", "transformation"),
    [
        ([{"p": "12"}], CALC("sum", "p")),
        ([{"p": True}], CALC("max", "p")),
        ({"not": "an array"}, CALC("count")),
        ("text", CALC("count")),
        (QUOTES, CALC("sum")),
        ([{"v": 1e308}, {"v": 1e308}], CALC("sum", "v")),
        ([{"v": 1e308}, {"v": 1e308}], CALC("avg", "v")),
        ([{"v": 10**400}, {"v": 0.5}], CALC("sum", "v")),
        ([{"v": 10**400}, {"v": 0.5}], CALC("avg", "v")),
    ],
)
def test_calculate_errors(data, transformation):
    with pytest.raises(StepError) as caught:
        transform(data, transformation)
    assert caught.value.error_type == TRANSFORM_ERROR
    assert "(CALCULATE)" in caught.value.message


# ---------------------------------------------------------------- FORMAT


@pytest.mark.parametrize(
    ("data", "transformation", "expected"),
    [
        ({"n": "Ada", "x": 1}, FORMAT("uppercase", "n"), {"n": "ADA", "x": 1}),
        ({"n": "ADA"}, FORMAT("lowercase", "n"), {"n": "ada"}),
        ({"n": "  Ada \n"}, FORMAT("trim", "n"), {"n": "Ada"}),
        ({"n": 5, "m": None}, FORMAT("uppercase", "n", "m", "absent"), {"n": 5, "m": None}),
        ({"c": {"e": "A@X"}}, FORMAT("lowercase", "c.e"), {"c": {"e": "a@x"}}),
        ([{"n": "a"}, {"n": "b"}], FORMAT("uppercase", "n"), [{"n": "A"}, {"n": "B"}]),
        ({"a": " x ", "b": " y "}, FORMAT("trim", "a", "b"), {"a": "x", "b": "y"}),
    ],
)
def test_format(data, transformation, expected):
    assert transform(data, transformation) == expected


# ---------------------------------------------------------------- MERGE and order


def test_merge_later_sources_win():
    output = run(
        {"transformations": [MERGE("lead", "step_1.output.extra", "{{overrides}}")]},
        input={"lead": {"id": 1, "name": "Ada", "tier": "basic"}, "overrides": {"tier": "gold"}},
        results=[("step_1", {"extra": {"score": 9, "name": "Ada L."}}, None)],
    ).output
    assert output == {"id": 1, "name": "Ada L.", "tier": "gold", "score": 9}


def test_merge_into_the_input_variable():
    assert transform({"a": 1}, MERGE("other"), input={"other": {"b": 2}}) == {"a": 1, "b": 2}


def test_merge_of_a_missing_source_names_it():
    with pytest.raises(StepError) as caught:
        transform({"a": 1}, MERGE("nowhere.to.be.found"))
    assert caught.value.error_type == VARIABLE_ERROR
    assert "nowhere.to.be.found" in caught.value.message


def test_merge_of_a_non_object_fails():
    with pytest.raises(StepError) as caught:
        transform({"a": 1}, MERGE("list"), input={"list": [1]})
    assert caught.value.error_type == TRANSFORM_ERROR


def test_transformations_apply_in_order():
    output = transform(
        [{"name": " ada ", "premium": 3}, {"name": "bob", "premium": 5}],
        FORMAT("trim", "name"),
        MAP({"name": "holder"}),
        FORMAT("uppercase", "holder"),
        CALC("sum", "premium", "total"),
    )
    assert output == {
        "items": [{"holder": "ADA", "premium": 3}, {"holder": "BOB", "premium": 5}],
        "total": 8,
    }


# ---------------------------------------------------------------- input and output


def test_the_context_is_not_mutated():
    quotes = [{"premium": 1}]
    transform(quotes, MAP({"premium": "p"}))
    assert quotes == [{"premium": 1}]


def test_missing_input_variable_names_it():
    with pytest.raises(StepError) as caught:
        run({"inputVariable": "quotes", "transformations": [CALC("count")]})
    assert caught.value.error_type == VARIABLE_ERROR
    assert caught.value.details == {"variable": "quotes"}


def test_no_input_variable_starts_from_an_empty_object():
    outcome = run({"transformations": []})
    assert outcome.output == {}
    assert outcome.variables is None


def test_input_variable_reads_step_outputs():
    outcome = run(
        {"inputVariable": "steps.get_quotes.output", "outputVariable": "n", "transformations": [CALC("count")]},
        results=[("get_quotes", QUOTES, None)],
    )
    assert outcome.output["result"] == 3
    assert outcome.variables == {"n": outcome.output}
