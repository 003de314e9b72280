"""Condition operators, AND/OR precedence, and the regex time limit."""

import time

import pytest

from executions.engine.conditions import compare, evaluate, regex_search
from executions.engine.errors import CONDITION_ERROR, REGEX_TIMEOUT, StepError
from executions.engine.resolver import MISSING, dig, split_path
from workflows.definition.patterns import MAX_PATTERN_LENGTH

LEAD = {
    "qualityScore": 85,
    "scoreText": "85",
    "insuranceType": "auto",
    "tags": ["vip", "new"],
    "email": "ada@example.com",
    "contact": {"address": {"zip": "90210"}},
    "price": 12.5,
    "active": True,
    "nothing": None,
    "meta": {"source": "web"},
}


@pytest.mark.parametrize(
    ("actual", "operator", "expected", "result"),
    [
        # eq / ne: exact equality, types matter.
        ("auto", "eq", "auto", True),
        ("auto", "eq", "home", False),
        (85, "eq", 85, True),
        (85, "eq", 85.0, True),
        ("85", "eq", 85, False),
        (None, "eq", None, True),
        (MISSING, "eq", None, True),
        (MISSING, "eq", "auto", False),
        ({"a": 1}, "eq", {"a": 1}, True),
        ("auto", "ne", "home", True),
        ("auto", "ne", "auto", False),
        (MISSING, "ne", "auto", True),
        (MISSING, "ne", None, False),
        # gt / lt / gte / lte: numbers, numeric strings, strings with strings.
        (85, "gt", 80, True),
        (80, "gt", 80, False),
        (80, "gte", 80, True),
        (79, "gte", 80, False),
        (1, "lt", 2, True),
        (2, "lt", 2, False),
        (2, "lte", 2, True),
        (3, "lte", 2, False),
        (12.5, "gt", 12, True),
        ("85", "gte", 80, True),
        ("85", "lt", 80, False),
        (85, "gt", "80", True),
        ("1e3", "gt", 999, True),
        (" 7 ", "eq", 7, False),
        ("b", "gt", "a", True),
        ("10", "gt", "9", False),  # two strings compare as text
        ("apple", "lt", "banana", True),
        (0, "gte", 0, True),
        (-1, "gte", 0, False),
        # Missing or null fields order with nothing.
        (MISSING, "gt", 0, False),
        (MISSING, "lt", 0, False),
        (MISSING, "gte", 0, False),
        (MISSING, "lte", 0, False),
        (None, "gte", 0, False),
        (5, "gt", None, False),
        # in / not_in: membership in a list (or a substring of a string).
        ("auto", "in", ["auto", "home"], True),
        ("life", "in", ["auto", "home"], False),
        (1, "in", [1, 2], True),
        ("1", "in", [1, 2], False),
        ("to", "in", "auto", True),
        (1, "in", "123", False),
        ("source", "in", {"source": 1}, True),
        ([1], "in", {"source": 1}, False),
        ([1], "not_in", {"source": 1}, True),
        ([1], "in", [[1], [2]], True),
        (MISSING, "in", ["auto"], False),
        (MISSING, "in", [None], True),
        ("life", "not_in", ["auto", "home"], True),
        ("auto", "not_in", ["auto", "home"], False),
        (MISSING, "not_in", ["auto"], True),
        # contains: substring of a string, member of a list, key of an object.
        ("ada@example.com", "contains", "@example", True),
        ("ada@example.com", "contains", "@other", False),
        ("ada", "contains", 1, False),
        (["vip", "new"], "contains", "vip", True),
        (["vip", "new"], "contains", "old", False),
        ([1, 2], "contains", 2, True),
        ({"source": "web"}, "contains", "source", True),
        ({"source": "web"}, "contains", "web", False),
        ({"source": "web"}, "contains", ["source"], False),
        ([{"id": 1}], "contains", {"id": 1}, True),
        (MISSING, "contains", "x", False),
        (None, "contains", "x", False),
        (12, "contains", 1, False),
        # regex: a search, not a full match; non-strings are matched as text.
        ("ada@example.com", "regex", r"^[^@]+@example\.com$", True),
        ("ada@example.org", "regex", r"@example\.com$", False),
        ("abc123", "regex", r"\d+", True),
        (90210, "regex", r"^902", True),
        (MISSING, "regex", ".*", False),
        (None, "regex", ".*", False),
    ],
)
def test_compare(actual, operator, expected, result):
    assert compare(actual, operator, expected, field="f") is result


@pytest.mark.parametrize(
    ("actual", "operator", "expected"),
    [
        ({"a": 1}, "gt", 1),
        ([1], "lt", 2),
        ("abc", "gt", 1),
        (True, "gt", 0),
        (5, "gte", True),
        (5, "lte", [1]),
        ("auto", "in", 5),
        ("auto", "not_in", None),
        ("auto", "regex", 5),
        ("auto", "bogus", 5),
        ("auto", "regex", "("),
        ("auto", "regex", "a" * (MAX_PATTERN_LENGTH + 1)),
    ],
)
def test_incomparable_values_raise_condition_error(actual, operator, expected):
    with pytest.raises(StepError) as caught:
        compare(actual, operator, expected, field="lead.x")
    assert caught.value.error_type == CONDITION_ERROR


def test_condition_error_names_the_field():
    with pytest.raises(StepError) as caught:
        compare({"a": 1}, "gt", 1, field="lead.qualityScore")
    assert caught.value.details == {"field": "lead.qualityScore"}
    assert "lead.qualityScore" in caught.value.message


def lookup(path):
    return dig({"lead": LEAD}, split_path(path))


def cond(field, operator, value, logic=None):
    condition = {"field": field, "operator": operator, "value": value}
    if logic:
        condition["logic"] = logic
    return condition


T = cond("lead.insuranceType", "eq", "auto")
F = cond("lead.insuranceType", "eq", "home")


def joined(condition, logic):
    return {**condition, "logic": logic}


@pytest.mark.parametrize(
    ("conditions", "result"),
    [
        ([T], True),
        ([F], False),
        ([T, joined(T, "AND")], True),
        ([T, joined(F, "AND")], False),
        ([F, joined(T, "OR")], True),
        ([F, joined(F, "OR")], False),
        # `logic` defaults to AND.
        ([T, F], False),
        # The first condition's logic is ignored.
        ([joined(F, "OR"), joined(T, "AND")], False),
        # AND binds tighter: T OR (F AND F) is True; (T OR F) AND F would be False.
        ([T, joined(F, "OR"), joined(F, "AND")], True),
        # F AND T OR T: (F AND T) OR T is True.
        ([F, joined(T, "AND"), joined(T, "OR")], True),
        # F OR T AND F: F OR (T AND F) is False; left to right would give False too, so
        # also check T AND F OR T AND T -> (T AND F) OR (T AND T) is True.
        ([F, joined(T, "OR"), joined(F, "AND")], False),
        ([T, joined(F, "AND"), joined(T, "OR"), joined(T, "AND")], True),
        # F OR F OR T AND T
        ([F, joined(F, "OR"), joined(T, "OR"), joined(T, "AND")], True),
    ],
)
def test_and_binds_tighter_than_or(conditions, result):
    assert evaluate(conditions, lookup) is result


def test_spec_example_3_routing():
    conditions = [
        cond("lead.qualityScore", "gte", 80, "AND"),
        cond("lead.insuranceType", "eq", "auto", "AND"),
    ]
    assert evaluate(conditions, lookup) is True
    low = {**LEAD, "qualityScore": 50}
    assert evaluate(conditions, lambda p: dig({"lead": low}, split_path(p))) is False


def test_nested_fields_and_missing_fields_in_evaluate():
    assert evaluate([cond("lead.contact.address.zip", "eq", "90210")], lookup) is True
    assert evaluate([cond("lead.contact.phone", "eq", None)], lookup) is True
    assert evaluate([cond("lead.contact.phone", "gt", 1)], lookup) is False


def test_or_short_circuits_an_error_in_a_later_group():
    # T OR (incomparable): the first group decides; the second is never evaluated.
    conditions = [T, joined(cond("lead.meta", "gt", 1), "OR")]
    assert evaluate(conditions, lookup) is True


def test_an_incomparable_condition_that_is_evaluated_raises():
    with pytest.raises(StepError) as caught:
        evaluate([T, joined(cond("lead.meta", "gt", 1), "AND")], lookup)
    assert caught.value.error_type == CONDITION_ERROR


@pytest.mark.parametrize(
    ("pattern", "timeout"),
    [
        # The `regex` module backtracks this one in quadratic time (about 0.15-0.25 s for 5,000
        # characters here), so a 0.2 s limit would be a coin toss: 0.05 s always trips.
        (r"^(a+)+$", 0.05),
        # Exponential even for `regex`.
        (r"^(a|a)+$", 0.2),
    ],
)
def test_catastrophic_regex_times_out_quickly(pattern, timeout):
    subject = "a" * 5000 + "!"
    started = time.monotonic()
    with pytest.raises(StepError) as caught:
        compare(subject, "regex", pattern, field="lead.name", regex_timeout=timeout)
    elapsed = time.monotonic() - started
    assert caught.value.error_type == REGEX_TIMEOUT
    assert elapsed < 1.5


def test_regex_search_within_time_returns_a_boolean():
    assert regex_search(r"^(a+)+$", "aaaa", timeout=0.2) is True
    assert regex_search(r"^b", "aaaa", timeout=0.2) is False


@pytest.mark.parametrize(
    ("actual", "expected", "equal"),
    [(True, 1, False), (False, 0, False), (1, 1.0, True), (True, True, True), (0, False, False)],
)
def test_eq_is_json_equality(actual, expected, equal):
    assert compare(actual, "eq", expected) is equal
    assert compare(actual, "ne", expected) is not equal
