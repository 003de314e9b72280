"""`{{path}}` substitution: types kept or rendered as text, paths, missing variables, no evaluation."""

import pytest

from executions.engine.errors import VARIABLE_ERROR, StepError
from executions.engine.resolver import MISSING, MissingVariable, dig, placeholders, render, split_path

DATA = {
    "leadId": "lead_123",
    "lead": {"contact": {"email": "ada@example.com"}, "score": 85, "tags": ["a", "b"]},
    "items": [{"id": "first", "price": 1.5}, {"id": "second", "price": 2}],
    "count": 3,
    "ratio": 0.25,
    "yes": True,
    "no": False,
    "nothing": None,
    "empty": "",
    "a": {"b": {"c": "deep"}},
}


def lookup(path):
    return dig(DATA, split_path(path))


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # A string that is exactly one placeholder keeps the value's type.
        ("{{lead}}", DATA["lead"]),
        ("{{items}}", DATA["items"]),
        ("{{count}}", 3),
        ("{{ratio}}", 0.25),
        ("{{yes}}", True),
        ("{{nothing}}", None),
        ("{{empty}}", ""),
        # Embedded placeholders render as text.
        ("id={{leadId}}", "id=lead_123"),
        ("n={{count}}", "n=3"),
        ("r={{ratio}}", "r=0.25"),
        ("{{yes}}/{{no}}", "true/false"),
        ("[{{nothing}}]", "[]"),
        ("lead: {{lead.contact}}", 'lead: {"email":"ada@example.com"}'),
        ("tags: {{lead.tags}}", 'tags: ["a","b"]'),
        ("{{leadId}}{{count}}", "lead_1233"),
        # Nested paths and array indexes, both spellings, and `$.` paths.
        ("{{lead.contact.email}}", "ada@example.com"),
        ("{{a.b.c}}", "deep"),
        ("{{items.0.id}}", "first"),
        ("{{items[1].id}}", "second"),
        ("{{items[0]}}", {"id": "first", "price": 1.5}),
        ("{{$.a.b.c}}", "deep"),
        ("{{$.items[1].price}}", 2),
        ("x {{items.1.price}} y", "x 2 y"),
        # Whitespace inside the braces is ignored.
        ("{{ leadId }}", "lead_123"),
        ("{{   lead.score\t}}", 85),
        ("Bearer {{ leadId}}!", "Bearer lead_123!"),
        # No placeholder: unchanged.
        ("plain text", "plain text"),
        ("{ leadId }", "{ leadId }"),
    ],
)
def test_render_string(template, expected):
    assert render(template, lookup) == expected


def test_whole_placeholder_keeps_the_identical_type_not_text():
    assert isinstance(render("{{count}}", lookup), int)
    assert render("{{nothing}}", lookup) is None
    assert render("{{yes}}", lookup) is True


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (123, 123),
        (None, None),
        (True, True),
        ({"id": "{{leadId}}", "n": "{{count}}"}, {"id": "lead_123", "n": 3}),
        ({"{{leadId}}": "key", "plain": 1}, {"lead_123": "key", "plain": 1}),
        (["{{leadId}}", "{{count}}", {"x": ["{{a.b.c}}"]}], ["lead_123", 3, {"x": ["deep"]}]),
        ({"body": "{{lead}}"}, {"body": DATA["lead"]}),
    ],
)
def test_render_walks_dicts_lists_and_keys(template, expected):
    assert render(template, lookup) == expected


def test_render_does_not_mutate_the_template():
    template = {"a": ["{{leadId}}"]}
    render(template, lookup)
    assert template == {"a": ["{{leadId}}"]}


@pytest.mark.parametrize(
    ("template", "missing"),
    [
        ("{{unknown}}", "unknown"),
        ("id={{lead.contact.phone}}", "lead.contact.phone"),
        ("{{items.5.id}}", "items.5.id"),
        ("{{items[9]}}", "items[9]"),
        ("{{leadId.length}}", "leadId.length"),
        ({"nested": ["ok", "{{ nope }}"]}, "nope"),
        ({"{{badKey}}": 1}, "badKey"),
    ],
)
def test_missing_variable_raises_naming_the_path(template, missing):
    with pytest.raises(MissingVariable) as caught:
        render(template, lookup)
    assert isinstance(caught.value, StepError)
    assert caught.value.error_type == VARIABLE_ERROR
    assert caught.value.path == missing
    assert caught.value.details == {"variable": missing}
    assert missing in caught.value.message


@pytest.mark.parametrize(
    "template",
    [
        "{{__import__('os').system('echo pwned')}}",
        "{{ 1 + 1 }}",
        "{{lead.__class__}}",
        "{{leadId.upper()}}",
    ],
)
def test_no_code_is_evaluated(template):
    with pytest.raises(MissingVariable):
        render(template, lookup)


def test_a_lookup_that_sees_code_receives_it_only_as_a_path():
    seen = []

    def recording(path):
        seen.append(path)
        return MISSING

    with pytest.raises(MissingVariable):
        render("{{__import__('os')}}", recording)
    assert seen == ["__import__('os')"]


def test_null_from_the_lookup_is_a_value_not_missing():
    assert render("{{x}}", lambda path: None) is None
    assert render("x={{x}}", lambda path: None) == "x="


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("a.b.c", ["a", "b", "c"]),
        ("items[0].id", ["items", "0", "id"]),
        ("items.0.id", ["items", "0", "id"]),
        ("$.data.items[0]", ["data", "items", "0"]),
        ("$", []),
        ("  a.b  ", ["a", "b"]),
        ("matrix[1][2]", ["matrix", "1", "2"]),
    ],
)
def test_split_path(path, segments):
    assert split_path(path) == segments


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        (["items", "0", "id"], "first"),
        (["items", "-1", "id"], "second"),
        (["items", "2"], MISSING),
        (["items", "x"], MISSING),
        (["count", "x"], MISSING),
        (["nothing", "x"], MISSING),
        (["nothing"], None),
        ([], DATA),
    ],
)
def test_dig(segments, expected):
    assert dig(DATA, segments) is expected or dig(DATA, segments) == expected


def test_placeholders_lists_every_path():
    template = {"url": "https://x/{{leadId}}?q={{ a.b }}", "{{k}}": ["{{items[0].id}}"]}
    assert sorted(placeholders(template)) == ["a.b", "items[0].id", "k", "leadId"]
