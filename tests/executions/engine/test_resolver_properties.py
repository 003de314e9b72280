"""Property tests of `{{path}}` substitution: exact values, no evaluation, only its documented error."""

import json
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from executions.engine.context import Context
from executions.engine.errors import VARIABLE_ERROR
from executions.engine.resolver import MissingVariable, as_text, render

# Random examples locally; a fixed sequence in CI (CI=true), so a run there never flakes.
SETTINGS = settings(max_examples=150, deadline=None, derandomize=bool(os.environ.get("CI")))

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
)
# Text with placeholder-like pieces in it, so that templates often hold `{{…}}`, broken or not.
template_text = st.lists(
    st.text(max_size=6) | st.sampled_from(["{{", "}}", "{", "}", "{{name}}", "{{ a.b[0] }}", "{{$.x}}", "{{}}", "."]),
    max_size=6,
).map("".join)
templates = st.recursive(
    template_text | scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(template_text, inner, max_size=4),
    max_leaves=15,
)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True).filter(
    lambda name: name not in {"config", "input", "steps"}
)
plain_text = st.text(max_size=20).filter(lambda text: "{" not in text and "}" not in text)


def strings(value):
    """Every string in a JSON value, object keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@SETTINGS
@given(template=templates, data=st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_render_never_raises_anything_but_a_missing_variable(template, data):
    context = Context(input=data)
    try:
        result = render(template, context.lookup)
    except MissingVariable as error:
        assert error.error_type == VARIABLE_ERROR
        assert any(error.path in text for text in strings(template))
        return
    json.dumps(result)  # the result is still JSON


@SETTINGS
@given(name=names, value=json_values)
def test_a_whole_placeholder_is_replaced_by_the_exact_value(name, value):
    context = Context(input={name: value})

    assert render(f"{{{{{name}}}}}", context.lookup) == value
    assert render({"body": f"{{{{ {name} }}}}"}, context.lookup) == {"body": value}
    assert render([f"{{{{input.{name}}}}}"], context.lookup) == [value]


@SETTINGS
@given(name=names, value=json_values, prefix=plain_text, suffix=plain_text)
def test_an_embedded_placeholder_is_replaced_by_the_value_as_text(name, value, prefix, suffix):
    context = Context(input={name: value})

    rendered = render(f"{prefix}{{{{{name}}}}}{suffix}", context.lookup)

    if prefix or suffix:
        assert rendered == prefix + as_text(value) + suffix
    else:
        assert rendered == value


@SETTINGS
@given(name=names, text=template_text)
def test_a_substituted_value_is_never_rendered_again(name, text):
    # A value that itself looks like a template is data, not code.
    context = Context(input={name: text})

    assert render(f"{{{{{name}}}}}", context.lookup) == text
    assert render(f"<{{{{{name}}}}}>", context.lookup) == f"<{text}>"


@SETTINGS
@given(template=json_values.filter(lambda value: "{{" not in json.dumps(value, ensure_ascii=False)))
def test_a_template_without_placeholders_is_returned_unchanged(template):
    assert render(template, Context().lookup) == template


@SETTINGS
@given(name=names, other=names)
def test_a_missing_variable_names_itself(name, other):
    context = Context(input={other: 1} if other != name else {})

    try:
        render(f"x {{{{{name}.field}}}}", context.lookup)
    except MissingVariable as error:
        assert error.path == f"{name}.field"
    else:
        raise AssertionError("a missing variable must fail")


@SETTINGS
@given(name=names, value=json_values)
def test_an_object_key_is_always_rendered_as_text(name, value):
    # JSON object keys are text: a key that is one placeholder does not keep the value's type.
    context = Context(input={name: value})

    assert render({f"{{{{{name}}}}}": 1}, context.lookup) == {as_text(value): 1}
