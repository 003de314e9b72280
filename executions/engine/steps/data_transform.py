"""DATA_TRANSFORM: reshape data between steps with MAP, CALCULATE, FORMAT and MERGE.

Transformations apply in order to the value at `inputVariable` (an empty object when it is
not set); the result is the step's output and, with `outputVariable`, a variable.

- MAP `{"mapping": {"source": "target"}}` renames fields of an object, or of each object in
  an array; fields not named are kept. Paths may be nested (`contact.email`).
- CALCULATE `{"field", "operation", "resultField"}` over an array gives
  `{"items": [...], "<resultField>": value}`; resultField defaults to "result". A second
  CALCULATE adds its own field beside the first. `count` without `field` counts items.
- FORMAT `{"fields": [...], "operation": "uppercase" | "lowercase" | "trim"}` changes string
  fields of an object or of each object in an array; other values are left alone.
- MERGE `{"sources": ["pathA", "pathB"]}` merges the current object with the objects at
  those paths, later ones winning.
"""

import copy
import math

from executions.engine.errors import TRANSFORM_ERROR, StepError
from executions.engine.outcomes import Completed
from executions.engine.registry import register
from executions.engine.resolver import MISSING, dig, split_path
from executions.engine.steps.base import StepType, require_path


def _each_object(data, change):
    if isinstance(data, list):
        return [_object(item, change) for item in data]
    return _object(data, change)


def _object(item, change):
    if not isinstance(item, dict):
        raise StepError(TRANSFORM_ERROR, f"Expected an object, got {type(item).__name__}.")
    return change(copy.deepcopy(item))


def _pop(obj, segments):
    parent = dig(obj, segments[:-1]) if len(segments) > 1 else obj
    if isinstance(parent, dict) and segments[-1] in parent:
        return parent.pop(segments[-1])
    return MISSING


def _put(obj, segments, value):
    for segment in segments[:-1]:
        obj = obj.setdefault(segment, {})
        if not isinstance(obj, dict):
            raise StepError(TRANSFORM_ERROR, f"Cannot write below non-object field {segment!r}.")
    obj[segments[-1]] = value


def apply_map(data, config, invocation):
    mapping = config["mapping"]

    def rename(obj):
        moved = [(split_path(target), _pop(obj, split_path(source))) for source, target in mapping.items()]
        for target, value in moved:
            if value is not MISSING:
                _put(obj, target, value)
        return obj

    return _each_object(data, rename)


def _items_of(data):
    if isinstance(data, list):
        return data, {}
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return data["items"], {key: value for key, value in data.items() if key != "items"}
    raise StepError(TRANSFORM_ERROR, "CALCULATE needs an array (or the result of another CALCULATE).")


def _calculate(operation, values):
    if operation == "count":
        return len(values)
    if operation == "sum":
        return sum(values)
    if not values:
        return None
    if operation == "avg":
        return sum(values) / len(values)
    return min(values) if operation == "min" else max(values)


def apply_calculate(data, config, invocation):
    items, results = _items_of(data)
    operation, field = config["operation"], config.get("field")
    if operation == "count" and not field:
        value = len(items)
    else:
        if not field:
            raise StepError(TRANSFORM_ERROR, f"CALCULATE {operation} needs a field.")
        values = []
        for position, item in enumerate(items):
            found = dig(item, split_path(field))
            if found is MISSING or found is None:
                continue
            if isinstance(found, bool) or not isinstance(found, (int, float)):
                raise StepError(TRANSFORM_ERROR, f"items[{position}].{field} is not a number: {found!r}.")
            values.append(found)
        try:
            value = _calculate(operation, values)
        except OverflowError:  # a huge integer beside a float
            value = math.inf
        if isinstance(value, float) and not math.isfinite(value):  # JSON has no Infinity to store
            raise StepError(TRANSFORM_ERROR, f"CALCULATE {operation} of {field} is out of range.")
    return {"items": items, **results, config.get("resultField", "result"): value}


def apply_format(data, config, invocation):
    operation = {"uppercase": str.upper, "lowercase": str.lower, "trim": str.strip}[config["operation"]]

    def change(obj):
        for field in config["fields"]:
            segments = split_path(field)
            value = dig(obj, segments)
            if isinstance(value, str):
                _put(obj, segments, operation(value))
        return obj

    return _each_object(data, change)


def apply_merge(data, config, invocation):
    if data is not None and not isinstance(data, dict):
        raise StepError(TRANSFORM_ERROR, "MERGE needs an object to merge into.")
    merged = dict(data or {})
    for source in config["sources"]:
        value = require_path(invocation, source, "MERGE source")
        if not isinstance(value, dict):
            raise StepError(TRANSFORM_ERROR, f"MERGE source {source!r} is not an object.")
        merged.update(value)
    return merged


TRANSFORMATIONS = {"MAP": apply_map, "CALCULATE": apply_calculate, "FORMAT": apply_format, "MERGE": apply_merge}


@register
class DataTransform(StepType):
    type_name = "DATA_TRANSFORM"
    path_keys = frozenset({"inputVariable", "outputVariable", "mapping", "field", "resultField", "fields", "sources"})

    def execute(self, invocation):
        config = invocation.config
        data = require_path(invocation, config["inputVariable"], "inputVariable") if config.get("inputVariable") else {}
        data = copy.deepcopy(data)
        for position, transformation in enumerate(config["transformations"]):
            try:
                data = TRANSFORMATIONS[transformation["type"]](data, transformation["config"], invocation)
            except StepError as error:
                error.message = f"transformations[{position}] ({transformation['type']}): {error.message}"
                error.args = (error.message,)
                raise
        variables = {config["outputVariable"]: data} if config.get("outputVariable") else None
        return Completed(output=data, variables=variables)
