"""Validate a workflow definition and report every problem at once, each with its path."""

import re
from collections import deque
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter
from django.conf import settings
from jsonschema import Draft202012Validator

from orchestration_site.parsers import MAX_BODY_DEPTH, nests_deeper_than
from workflows.definition.graph import child_ids, find_cycle, nested_ids
from workflows.definition.patterns import MAX_DEFINITION_PATTERN_WEIGHT, PatternError, compile_pattern, weigh
from workflows.definition.schema import (
    ERROR_HANDLER,
    MAX_WAIT_MS,
    STEP,
    STEP_CONFIG_SCHEMAS,
    TRIGGER,
    TRIGGER_CONFIG_SCHEMAS,
    WAIT_UNIT_MS,
    WORKFLOW,
    wait_until,
)

MAX_DEPTH = MAX_BODY_DEPTH  # a definition from the admin or an import, as an API body

_workflow_validator = Draft202012Validator(WORKFLOW)
_step_validator = Draft202012Validator({"type": "array", "items": STEP})
_single_step_validator = Draft202012Validator(STEP)
_error_handlers_validator = Draft202012Validator({"type": "array", "items": ERROR_HANDLER, "maxItems": 500})
_config_validators = {kind: Draft202012Validator(schema) for kind, schema in STEP_CONFIG_SCHEMAS.items()}
_trigger_validator = Draft202012Validator(TRIGGER)
_trigger_config_validators = {kind: Draft202012Validator(schema) for kind, schema in TRIGGER_CONFIG_SCHEMAS.items()}

_REQUIRED = re.compile(r"^'(.+)' is a required property$")


class DefinitionError(Exception):
    """Raised with a list of {"path", "message"} dicts when a definition is invalid."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))
        self.errors = errors


def format_path(parts, prefix=""):
    """Render a jsonschema path as `steps[2].config.url`."""
    text = prefix
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _required_alternatives(alternatives):
    """Return the field names when each alternative only requires fields (`oneOf` duration/until)."""
    names = []
    for alternative in alternatives:
        if not isinstance(alternative, dict) or set(alternative) != {"required"}:
            return None
        names += alternative["required"]
    return names


def _schema_errors(validator, instance, prefix=""):
    errors = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        message = error.message
        if error.validator == "required" and (match := _REQUIRED.match(message)):
            path.append(match.group(1))
            message = "This field is required."
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {})
            for name in sorted(set(error.instance) - set(known)):
                errors.append({"path": format_path([*path, name], prefix), "message": "Unknown field."})
            continue
        elif error.validator == "enum":
            message = f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}."
        elif error.validator in ("oneOf", "anyOf") and (names := _required_alternatives(error.validator_value)):
            how = "exactly one" if error.validator == "oneOf" else "at least one"
            message = f"Give {how} of {', '.join(names)}."
        errors.append({"path": format_path(path, prefix), "message": message})
    return errors


def _setting(name, default):
    """A definition limit from settings.ORCHESTRATION (MAX_WORKFLOW_STEPS, MAX_NESTING_DEPTH)."""
    return getattr(settings, "ORCHESTRATION", {}).get(name, default)


def _too_many_steps(steps, prefix):
    most = _setting("MAX_WORKFLOW_STEPS", 500)
    if isinstance(steps, list) and len(steps) > most:
        return [
            {
                "path": f"{prefix}steps",
                "message": f"{len(steps)} steps; a workflow has at most {most} (MAX_WORKFLOW_STEPS).",
            }
        ]
    return []


def _nesting_errors(steps, error_handlers, positions, prefix):
    """Report the first step nested deeper than MAX_NESTING_DEPTH (containers within containers).

    A top-level step is level 1; a container's children, a CONDITIONAL's targets and an error
    handler run one level below the step that starts them. The graph is acyclic here.
    """
    most = _setting("MAX_NESTING_DEPTH", 10)
    edges = {step["id"]: list(child_ids(step)) for step in steps}
    for handler in error_handlers:
        step_id, handler_id = handler.get("stepId"), handler.get("handlerStepId")
        # Ids that are not text were reported already (and would not hash).
        if isinstance(step_id, str) and isinstance(handler_id, str) and step_id in edges and handler_id in edges:
            edges[handler["stepId"]].append(handler["handlerStepId"])
    nested = nested_ids(steps, error_handlers)
    level, parent = {}, {}
    queue = deque()
    for step in steps:
        if step["id"] not in nested:
            level[step["id"]] = 1
            queue.append(step["id"])
    # Longest path from a top-level step, by relaxing edges (a DAG of at most MAX_WORKFLOW_STEPS).
    while queue:
        node = queue.popleft()
        for child in edges.get(node, ()):
            if level.get(child, 0) < level[node] + 1:
                level[child], parent[child] = level[node] + 1, node
                if level[child] > most:
                    chain = [child]
                    while chain[-1] in parent:
                        chain.append(parent[chain[-1]])
                    return [
                        {
                            "path": f"{prefix}steps[{positions[child]}]",
                            "message": f"Nested {level[child]} levels deep ({' → '.join(reversed(chain))}); "
                            f"at most {most} (MAX_NESTING_DEPTH).",
                        }
                    ]
                queue.append(child)
    return []


_HTTP_URL = re.compile(r"^(https?://[^/?#\s]+|\{\{)", re.IGNORECASE)


def _url_errors(step, here):
    """A URL must be absolute http(s), unless a {{variable}} starts it (checked when rendered)."""
    url = (step.get("config") or {}).get("url")
    if isinstance(url, str) and not _HTTP_URL.match(url.strip()):
        return [{"path": f"{here}.config.url", "message": "Must be an absolute http:// or https:// URL."}]
    return []


def _pattern_errors(pattern, path, spent):
    """Compile `pattern`, adding its weight to `spent` ([total]): saving compiles every pattern."""
    try:
        compile_pattern(pattern)
    except PatternError as problem:
        return [{"path": path, "message": str(problem)}]
    spent[0] += weigh(pattern)
    if spent[0] > MAX_DEFINITION_PATTERN_WEIGHT:
        message = f"The patterns up to here weigh {spent[0]:,} nodes; a workflow's, {MAX_DEFINITION_PATTERN_WEIGHT:,}."
        return [{"path": path, "message": message}]
    return []


def _condition_value_errors(step, here, spent):
    """CONDITIONAL regex and in/not_in values that could never work, refused at save.

    A pattern made by a template is checked the same way when the step runs.
    """
    errors = []
    for index, condition in enumerate(step["config"].get("conditions") or []):
        value, path = condition.get("value"), f"{here}.config.conditions[{index}].value"
        if condition["operator"] == "regex" and not isinstance(value, str):
            errors.append({"path": path, "message": "Operator regex needs a pattern string."})
        elif condition["operator"] == "regex" and "{{" not in value:
            errors += _pattern_errors(value, path, spent)
        if condition["operator"] in ("in", "not_in") and not isinstance(value, (list, str, dict)):
            errors.append({"path": path, "message": f"Operator {condition['operator']} needs a list."})
    return errors


def _redirect_errors(step, here):
    config = step.get("config") or {}
    most = getattr(settings, "OUTBOUND_MAX_REDIRECTS", 5)
    value = config.get("maxRedirects")
    if isinstance(value, int) and not isinstance(value, bool) and value > most:
        return [{"path": f"{here}.config.maxRedirects", "message": f"At most {most} (OUTBOUND_MAX_REDIRECTS)."}]
    return []


def _wait_errors(step, here):
    """A duration longer than MAX_WAIT_MS, or an `until` (not a template) that is no timestamp with a zone."""
    config = step["config"]
    duration = config.get("duration")
    if isinstance(duration, (int, float)) and duration * WAIT_UNIT_MS.get(config.get("unit", "ms"), 1) > MAX_WAIT_MS:
        return [{"path": f"{here}.config.duration", "message": "At most 366 days."}]
    until = config.get("until")
    if isinstance(until, str) and "{{" not in until:
        try:
            wait_until(until)
        except ValueError as problem:
            return [{"path": f"{here}.config.until", "message": str(problem)}]
    return []


def _step_errors(steps, error_handlers, prefix=""):
    """Check each step's config against its type, then every reference between steps."""
    errors = []
    positions = {}
    spent_on_patterns = [0]
    for index, step in enumerate(steps):
        if not _single_step_validator.is_valid(step):
            continue  # its own errors are reported by the envelope schema
        here = f"{prefix}steps[{index}]"
        if step["id"] in positions:
            first = positions[step["id"]]
            errors.append({"path": f"{here}.id", "message": f"Duplicate step id {step['id']!r} (also steps[{first}])."})
        else:
            positions[step["id"]] = index
        config_errors = _schema_errors(_config_validators[step["type"]], step["config"], f"{here}.config")
        errors += config_errors
        if step["type"] in ("HTTP_REQUEST", "WEBHOOK_CALL"):
            errors += _redirect_errors(step, here)
            if not config_errors:
                errors += _url_errors(step, here)
        if step["type"] == "WAIT" and not config_errors:
            errors += _wait_errors(step, here)
        if step["type"] == "CONDITIONAL" and not config_errors:
            errors += _condition_value_errors(step, here, spent_on_patterns)
        if step["type"] == "VALIDATION" and not config_errors:
            for k, rule in enumerate(step["config"]["rules"]):
                if rule["type"] == "pattern":
                    errors += _pattern_errors(rule["pattern"], f"{here}.config.rules[{k}].pattern", spent_on_patterns)

    def check_ref(ref, path):
        if ref not in positions:
            errors.append({"path": path, "message": f"Unknown step id {ref!r}."})

    valid_steps = [steps[index] for index in positions.values()]
    container_of = {}  # child id → the PARALLEL or FOR_EACH that runs it
    parallel_children = set()
    for index, step in enumerate(steps):
        if index not in positions.values():
            continue
        here = f"{prefix}steps[{index}]"
        config = step["config"]
        if step["type"] in ("PARALLEL", "FOR_EACH"):
            for k, ref in enumerate(config.get("steps") or []):
                if not isinstance(ref, str):
                    continue
                check_ref(ref, f"{here}.config.steps[{k}]")
                if ref in container_of:
                    owner = container_of[ref]
                    again = "twice" if owner == step["id"] else f"also by {owner!r}"
                    errors.append({"path": f"{here}.config.steps[{k}]", "message": f"Step {ref!r} is listed {again}."})
                container_of.setdefault(ref, step["id"])
                if step["type"] == "PARALLEL":
                    parallel_children.add(ref)
            if step["type"] == "PARALLEL":
                siblings = set(config.get("steps") or [])
                for ref in config.get("steps") or []:
                    child = steps[positions[ref]] if ref in positions else None
                    for d, dep in enumerate((child or {}).get("dependsOn") or []):
                        if dep not in siblings:
                            errors.append(
                                {
                                    "path": f"{prefix}steps[{positions[ref]}].dependsOn[{d}]",
                                    "message": f"{dep!r} is not another step of the PARALLEL {step['id']!r}.",
                                }
                            )
        if step["type"] == "CONDITIONAL":
            for key in ("trueStepId", "falseStepId"):
                if isinstance(config.get(key), str):
                    check_ref(config[key], f"{here}.config.{key}")
    for step_id, index in positions.items():
        if steps[index].get("dependsOn") and step_id not in parallel_children:
            errors.append(
                {
                    "path": f"{prefix}steps[{index}].dependsOn",
                    "message": "dependsOn orders the steps of a PARALLEL; this step is not one "
                    "(the main sequence runs by `order`).",
                }
            )
    error_handlers = [h for h in error_handlers if isinstance(h, dict)] if isinstance(error_handlers, list) else []
    for index, handler in enumerate(error_handlers):
        for key in ("stepId", "handlerStepId"):
            if isinstance(handler.get(key), str):
                check_ref(handler[key], f"{prefix}errorHandlers[{index}].{key}")
    if errors:
        return errors

    steps = valid_steps
    cycle = find_cycle(steps, error_handlers)
    if cycle:
        errors.append(
            {
                "path": f"{prefix}steps[{positions[cycle[0]]}]",
                "message": f"Step {cycle[0]!r} is its own ancestor: {' → '.join(cycle)}.",
            }
        )
    dependency_cycle = find_cycle(
        [{"id": s["id"], "type": "PARALLEL", "config": {"steps": s.get("dependsOn") or []}} for s in steps]
    )
    if dependency_cycle:
        errors.append(
            {
                "path": f"{prefix}steps[{positions[dependency_cycle[0]]}].dependsOn",
                "message": f"Circular dependsOn: {' → '.join(dependency_cycle)}.",
            }
        )
    for index, step in enumerate(steps):
        if step["id"] in child_ids(step):
            errors.append({"path": f"{prefix}steps[{index}]", "message": "A step cannot name itself as its child."})
    if not errors:
        errors += _nesting_errors(steps, error_handlers, positions, prefix)
    return errors


def cron_problem(expression):
    """Return why a cron expression cannot be used, or None (five fields, or an @hourly-style alias)."""
    if not expression.startswith("@") and len(expression.split()) != 5:
        return "Give five fields (minute hour day-of-month month day-of-week), or an alias such as @hourly."
    try:
        # A valid expression that never matches (Feb 30) only shows when asked for its next time.
        croniter(expression, datetime(2000, 1, 1)).get_next(datetime)
    except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError) as error:
        return f"Not a valid cron expression: {error}."
    return None


def zone_problem(name):
    """Return why `name` is not an IANA time zone, or None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"Unknown time zone {name!r}; use an IANA name such as Europe/Paris or UTC."
    return None


def _trigger_errors(triggers):
    """Check each trigger's config against its type: cron, time zone, interval, eventType, secretRef."""
    errors = []
    webhooks = []
    for index, trigger in enumerate(triggers):
        if not _trigger_validator.is_valid(trigger):
            continue  # its own errors are reported by the envelope schema
        here = f"triggers[{index}]"
        if "config" not in trigger and trigger["type"] not in ("MANUAL", "API"):
            errors.append({"path": f"{here}.config", "message": "This field is required."})
            continue
        config = trigger.get("config", {})
        problems = _schema_errors(_trigger_config_validators[trigger["type"]], config, f"{here}.config")
        errors += problems
        if trigger["type"] == "WEBHOOK":
            webhooks.append(index)
        if trigger["type"] != "SCHEDULE" or problems:
            continue
        if "cron" in config and (problem := cron_problem(config["cron"])):
            errors.append({"path": f"{here}.config.cron", "message": problem})
        if "timezone" in config and (problem := zone_problem(config["timezone"])):
            errors.append({"path": f"{here}.config.timezone", "message": problem})
    # The webhook URL belongs to the workflow, so one WEBHOOK trigger decides how it authenticates.
    for index in webhooks[1:]:
        errors.append(
            {
                "path": f"triggers[{index}].type",
                "message": f"Only one WEBHOOK trigger per workflow (also triggers[{webhooks[0]}]).",
            }
        )
    return errors


def validate_definition(data, *, required=("name", "category", "steps")):
    """Validate a whole workflow payload; raise DefinitionError listing every problem."""
    if not isinstance(data, dict):
        raise DefinitionError([{"path": "", "message": "Expected a JSON object."}])
    if nests_deeper_than(data, MAX_DEPTH):
        raise DefinitionError([{"path": "", "message": f"Nested deeper than {MAX_DEPTH} levels."}])
    if too_many := _too_many_steps(data.get("steps"), ""):
        raise DefinitionError(too_many)  # before the schema: its checks grow with the count
    errors = [{"path": name, "message": "This field is required."} for name in required if name not in data]
    errors += _schema_errors(_workflow_validator, data)
    if isinstance(data.get("steps"), list):
        errors += _step_errors(data["steps"], data.get("errorHandlers") or [])
    if isinstance(data.get("triggers"), list):
        errors += _trigger_errors(data["triggers"])
    if errors:
        raise DefinitionError(errors)
    return data


def validate_steps(steps, error_handlers=None, *, prefix=""):
    """Validate a list of steps on its own (orchestration requests); raise DefinitionError."""
    if nests_deeper_than(steps, MAX_DEPTH):
        raise DefinitionError([{"path": f"{prefix}steps", "message": f"Nested deeper than {MAX_DEPTH} levels."}])
    if nests_deeper_than(error_handlers, MAX_DEPTH):
        raise DefinitionError(
            [{"path": f"{prefix}errorHandlers", "message": f"Nested deeper than {MAX_DEPTH} levels."}]
        )
    if too_many := _too_many_steps(steps, prefix):
        raise DefinitionError(too_many)
    errors = _schema_errors(_step_validator, steps, f"{prefix}steps")
    handler_errors = _schema_errors(_error_handlers_validator, error_handlers or [], f"{prefix}errorHandlers")
    errors += handler_errors
    if isinstance(steps, list) and not handler_errors:
        errors += _step_errors(steps, error_handlers or [], prefix)
    if errors:
        raise DefinitionError(errors)
    return steps
