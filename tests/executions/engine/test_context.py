"""The variables a step sees: layers and their precedence, the config store, secrets and masking."""

import pytest

from executions.engine.context import SECRET_MASK, ConfigStore, Context, mask
from executions.engine.resolver import MISSING, MissingVariable, render


def value(context, path):
    return context.lookup(path)


# ---------------------------------------------------------------- layers and precedence


def test_input_fields_are_top_level_and_under_input():
    context = Context(input={"leadId": "L1", "lead": {"email": "a@x"}})
    assert value(context, "leadId") == "L1"
    assert value(context, "input.leadId") == "L1"
    assert value(context, "lead.email") == "a@x"
    assert value(context, "input.lead.email") == "a@x"
    assert value(context, "input") == {"leadId": "L1", "lead": {"email": "a@x"}}


def test_step_outputs_by_id_and_under_steps():
    context = Context(input={}, results=[("step_1", {"data": {"id": 7}}, None)])
    assert value(context, "step_1.output.data.id") == 7
    assert value(context, "steps.step_1.output.data.id") == 7
    assert value(context, "step_1.output") == {"data": {"id": 7}}


def test_the_specs_output_paths_read_an_http_steps_response_body():
    # The spec writes {{step_1.output.data.id}} and {{step_1.output.recommendedAgent}}.
    http = {"status": 200, "headers": {"X-Id": "h"}, "body": {"data": {"id": 7}, "recommendedAgent": "ana"}}
    context = Context(input={}, results=[("step_1", http, None)])
    assert value(context, "step_1.output.data.id") == 7
    assert value(context, "steps.step_1.output.recommendedAgent") == "ana"
    assert value(context, "step_1.output.body.data.id") == 7
    assert value(context, "step_1.output.status") == 200
    assert value(context, "step_1.output.headers.X-Id") == "h"
    assert value(context, "step_1.output.nothing") is MISSING


def test_a_body_field_named_like_an_output_field_is_reached_under_body():
    http = {"status": 200, "headers": {}, "body": {"status": "APPROVED"}}
    context = Context(input={}, results=[("quote", http, None)])
    assert value(context, "quote.output.status") == 200
    assert value(context, "quote.output.body.status") == "APPROVED"


def test_an_output_field_that_is_absent_does_not_read_the_body():
    http = {"status": 200, "headers": {}, "body": {"truncated": "yes", "extracted": 1}}
    context = Context(input={}, results=[("call", http, None)])
    assert value(context, "call.output.truncated") is MISSING
    assert value(context, "call.output.extracted") is MISSING


def test_step_output_shadows_an_input_field_of_the_same_name():
    context = Context(input={"step_1": "from input"}, results=[("step_1", "from step", None)])
    assert value(context, "step_1.output") == "from step"
    assert value(context, "input.step_1") == "from input"


def test_extracted_variable_shadows_input_and_step_output():
    context = Context(
        input={"leadData": "from input"},
        results=[("step_1", {"body": 1}, {"leadData": {"email": "v@x"}})],
    )
    assert value(context, "leadData.email") == "v@x"
    assert value(context, "input.leadData") == "from input"


def test_extracted_variable_shadows_a_later_step_with_the_same_id():
    # Given a variable `quotes` extracted by step_1 and a later step whose id is also `quotes`
    context = Context(
        input={},
        results=[("step_1", {"body": 1}, {"quotes": [1, 2]}), ("quotes", {"other": True}, None)],
    )
    # Then the variable still wins, whatever order the results arrived in
    assert value(context, "quotes") == [1, 2]
    assert value(context, "steps.quotes.output") == {"other": True}


def test_a_variable_named_steps_or_input_does_not_hide_those_namespaces():
    context = Context(
        input={"leadId": "L1"},
        results=[("step_1", {"x": 1}, {"steps": [1, 2], "input": "shadow"}), ("step_2", {"y": 2}, None)],
    )
    assert value(context, "steps.step_1.output.x") == 1
    assert value(context, "steps.step_2.output.y") == 2
    assert value(context, "input.leadId") == "L1"


def test_extras_shadow_everything_else():
    context = Context(
        input={"item": "input item", "index": -1, "error": "input error"},
        results=[("item", "step item", {"error": "variable error"})],
    )
    scoped = context.with_extras({"item": {"id": "A"}, "index": 4, "error": {"type": "TIMEOUT"}})
    assert value(scoped, "item.id") == "A"
    assert value(scoped, "index") == 4
    assert value(scoped, "error.type") == "TIMEOUT"
    # The parent context is not changed by the view.
    assert value(context, "item.output") == "step item"
    assert value(context, "error") == "variable error"


def test_with_extras_layers_on_previous_extras():
    outer = Context(input={}).with_extras({"item": "outer", "index": 0})
    inner = outer.with_extras({"item": "inner"})
    assert value(inner, "item") == "inner"
    assert value(inner, "index") == 0


def test_unknown_and_empty_paths_are_missing():
    context = Context(input={"a": 1})
    assert value(context, "b") is MISSING
    assert value(context, "a.b") is MISSING
    assert value(context, "") is MISSING
    assert value(context, "config") is MISSING


def test_non_object_input_is_reachable_only_under_input():
    context = Context(input=[1, 2])
    assert value(context, "input.1") == 2
    assert value(context, "0") is MISSING


# ---------------------------------------------------------------- config store


@pytest.mark.parametrize(
    ("values", "path", "expected"),
    [
        ({"carrierA": {"apiKey": "nested"}}, "config.carrierA.apiKey", "nested"),
        ({"carrierA.apiKey": "dotted"}, "config.carrierA.apiKey", "dotted"),
        # Both present: the longest key wins.
        ({"carrierA": {"apiKey": "nested"}, "carrierA.apiKey": "dotted"}, "config.carrierA.apiKey", "dotted"),
        # The longest key that exists, then a descent into it.
        ({"a": {"b": {"c": 1}}, "a.b": {"c": 2}}, "config.a.b.c", 2),
        ({"a.b": {"c": 2}}, "config.a.b", {"c": 2}),
        ({"apiKey": "k"}, "config.apiKey", "k"),
        ({"list": [{"x": 1}]}, "config.list[0].x", 1),
        ({"carrierA": {"apiKey": "nested"}}, "config.carrierA.other", MISSING),
        ({"carrierA": {"apiKey": "nested"}}, "config.carrierB", MISSING),
    ],
)
def test_config_lookup(values, path, expected):
    context = Context(input={"config": "input config is shadowed"}, config=ConfigStore(values))
    assert value(context, path) == expected


def test_config_renders_in_a_header():
    context = Context(input={}, config=ConfigStore({"carrierA": {"apiKey": "key-A"}}))
    assert render({"Authorization": "Bearer {{config.carrierA.apiKey}}"}, context.lookup) == {
        "Authorization": "Bearer key-A"
    }


def test_missing_config_names_the_full_path():
    context = Context(input={}, config=ConfigStore({}))
    with pytest.raises(MissingVariable) as caught:
        render("{{config.carrierA.apiKey}}", context.lookup)
    assert caught.value.path == "config.carrierA.apiKey"


def test_secrets_collects_every_string_of_secret_values_only():
    store = ConfigStore(
        {
            "carrierA": {"apiKey": "key-A", "nested": {"list": ["s1", "", None, 42]}},
            "token": "tok",
            "public": "visible",
            "absent-from-values": None,
        },
        secret_keys=["carrierA", "token", "missing"],
    )
    assert store.secrets() == {"key-A", "s1", "42", "tok"}


def test_booleans_in_a_secret_value_are_not_secrets():
    # As the records' masking (orchestration_site/masking.py) treats them: else "True" in any text becomes ***.
    store = ConfigStore({"carrierA": {"apiKey": "key-A", "sandbox": True, "pin": 1234}}, secret_keys=["carrierA"])

    assert store.secrets() == {"key-A", "1234"}
    assert mask("sandbox=True", store.secrets()) == "sandbox=True"


def test_no_secret_keys_no_secrets():
    assert ConfigStore({"a": "b"}).secrets() == set()


# ---------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("key-A", SECRET_MASK),
        ("Bearer key-A", f"Bearer {SECRET_MASK}"),
        ("key-A and key-A", f"{SECRET_MASK} and {SECRET_MASK}"),
        (
            {"headers": {"Authorization": "Bearer key-A"}, "list": ["x", "tok", {"deep": "tok-tok"}]},
            {
                "headers": {"Authorization": f"Bearer {SECRET_MASK}"},
                "list": ["x", SECRET_MASK, {"deep": f"{SECRET_MASK}-{SECRET_MASK}"}],
            },
        ),
        ({"key-A": 1}, {SECRET_MASK: 1}),
        (42, 42),
        (None, None),
    ],
)
def test_mask(data, expected):
    assert mask(data, {"key-A", "tok"}) == expected


def test_mask_replaces_the_longest_secret_first():
    # "key-A-long" contains "key-A": masking the short one first would leave "***-long".
    assert mask("x key-A-long", {"key-A", "key-A-long"}) == f"x {SECRET_MASK}"


def test_mask_without_secrets_returns_the_value_itself():
    data = {"a": ["b"]}
    assert mask(data, set()) is data


def test_mask_does_not_mutate_its_input():
    data = {"h": ["Bearer key-A"]}
    mask(data, {"key-A"})
    assert data == {"h": ["Bearer key-A"]}
