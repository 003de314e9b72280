"""Condition operators and AND/OR evaluation, as pure functions.

Precedence: AND binds tighter than OR, as in SQL. Each condition's `logic` joins it to the
condition before it (the first condition's `logic` is ignored), so
`a, OR b, AND c` means `a OR (b AND c)`.
"""

from executions.engine.errors import CONDITION_ERROR, REGEX_TIMEOUT, StepError
from executions.engine.resolver import MISSING
from workflows.definition.patterns import PatternError, compile_pattern

MAX_SUBJECT_LENGTH = 100_000


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _ordered(actual, expected, field):
    """Return a comparable pair: numbers (numeric strings count) or two strings."""
    if isinstance(actual, str) and isinstance(expected, str):
        return actual, expected
    left, right = _number(actual), _number(expected)
    if left is None or right is None:
        raise StepError(
            CONDITION_ERROR,
            f"Cannot compare {field!r} ({type(actual).__name__}) with {expected!r}.",
            details={"field": field},
        )
    return left, right


def _member(item, container):
    try:
        return item in container
    except TypeError:  # an unhashable value (a list, an object) is never a key of an object
        return False


def regex_search(pattern, subject, *, timeout):
    """Search with a time limit, so a catastrophic pattern cannot hang a worker.

    The pattern is weighed before it is compiled (a template may have made it just now), so one
    whose compiling alone would take minutes and gigabytes fails its step instead.
    """
    try:
        compiled = compile_pattern(pattern)
    except PatternError as problem:
        raise StepError(CONDITION_ERROR, f"Pattern {pattern[:100]!r}: {problem}") from None
    try:
        return compiled.search(subject[:MAX_SUBJECT_LENGTH], timeout=timeout) is not None
    except TimeoutError:
        raise StepError(REGEX_TIMEOUT, f"Pattern {pattern!r} took longer than {timeout} s.") from None


def same(left, right):
    """JSON equality: true is not 1 and false is not 0 (Python's == says they are)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return left == right


def compare(actual, operator, expected, *, field="", regex_timeout=1.0):
    """Apply one operator. A missing field is null: it equals only null and orders with nothing."""
    if actual is MISSING:
        actual = None
    if operator == "eq":
        return same(actual, expected)
    if operator == "ne":
        return not same(actual, expected)
    if operator in ("gt", "lt", "gte", "lte"):
        if actual is None or expected is None:
            return False
        left, right = _ordered(actual, expected, field)
        return {"gt": left > right, "lt": left < right, "gte": left >= right, "lte": left <= right}[operator]
    if operator in ("in", "not_in"):
        if not isinstance(expected, (list, str, dict)):
            raise StepError(CONDITION_ERROR, f"Operator {operator} needs a list value for {field!r}.")
        found = _member(actual, expected) if not isinstance(expected, str) or isinstance(actual, str) else False
        return found if operator == "in" else not found
    if operator == "contains":
        if isinstance(actual, str):
            return isinstance(expected, str) and expected in actual
        if isinstance(actual, (list, dict)):
            return _member(expected, actual)
        return False
    if operator == "regex":
        if actual is None:
            return False
        if not isinstance(expected, str):
            raise StepError(CONDITION_ERROR, f"Operator regex needs a pattern string for {field!r}.")
        subject = actual if isinstance(actual, str) else str(actual)
        return regex_search(expected, subject, timeout=regex_timeout)
    raise StepError(CONDITION_ERROR, f"Unknown operator {operator!r}.")


def evaluate(conditions, lookup, *, regex_timeout=1.0):
    """Evaluate conditions against `lookup(field)`; return True or False."""
    groups = []
    for position, condition in enumerate(conditions):
        if position == 0 or condition.get("logic", "AND") == "OR":
            groups.append([])
        groups[-1].append(condition)
    return any(
        all(
            compare(lookup(c["field"]), c["operator"], c.get("value"), field=c["field"], regex_timeout=regex_timeout)
            for c in group
        )
        for group in groups
    )
