"""VALIDATION: check fields before going on: required, type, range and pattern rules.

Rules other than `required` pass when their field is absent. failOnFirstError true stops at
the first failed rule; false (the default) collects them all. The output is {"valid", "errors"}; a failure
is a VALIDATION_ERROR naming every failed field.
"""

from executions.engine.conditions import regex_search
from executions.engine.errors import VALIDATION_ERROR, StepError
from executions.engine.outcomes import Completed, Failed
from executions.engine.registry import register
from executions.engine.resolver import MISSING
from executions.engine.steps.base import StepType

TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def check_rule(rule, value, regex_timeout):
    """Return an error message for one rule, or None when it passes."""
    kind = rule["type"]
    if kind == "required":
        return "is required" if value is MISSING or value is None or value == "" else None
    if value is MISSING or value is None:
        return None
    if kind == "type":
        return None if TYPE_CHECKS[rule["dataType"]](value) else f"must be of type {rule['dataType']}"
    if kind == "range":
        if not TYPE_CHECKS["number"](value):
            return "must be a number"
        if "min" in rule and value < rule["min"]:
            return f"must be at least {rule['min']}"
        if "max" in rule and value > rule["max"]:
            return f"must be at most {rule['max']}"
        return None
    if kind == "pattern":
        subject = value if isinstance(value, str) else str(value)
        return None if regex_search(rule["pattern"], subject, timeout=regex_timeout) else "does not match the pattern"
    return f"unknown rule {kind!r}"


@register
class Validation(StepType):
    type_name = "VALIDATION"
    path_keys = frozenset({"field", "pattern"})

    def execute(self, invocation):
        config = invocation.config
        regex_timeout = invocation.options.get("REGEX_TIMEOUT_S", 1.0)
        errors = []
        for rule in config["rules"]:
            problem = check_rule(rule, invocation.lookup(rule["field"]), regex_timeout)
            if problem:
                errors.append({"field": rule["field"], "rule": rule["type"], "message": rule.get("message") or problem})
                if config.get("failOnFirstError", False):
                    break
        output = {"valid": not errors, "errors": errors}
        if not errors:
            return Completed(output)
        summary = "; ".join(f"{e['field']} {e['message']}" for e in errors)
        return Failed(StepError(VALIDATION_ERROR, f"Validation failed: {summary}.", details={"errors": errors}), output)
