"""The templates library: one JSON file per template, with parameters filled in at instantiation.

A template is `{name, description, category, parameters: [...], workflow: {...}}`; its slug is
its file name. A parameter is `{name, description, type, default}` or `{..., "required": true}`,
with type string, integer, number, boolean, array or object.

Parameters are written `[[name]]`, never `{{name}}`: `{{…}}` is the runtime substitution, left as
it is here. A string that is exactly `[[name]]` becomes the value with its type (a number stays a
number); inside a longer string (or an object key) the value is inserted as text, numbers,
booleans, lists and objects as compact JSON.
"""

import copy
import functools
import json
import re
from pathlib import Path

from workflows.definition import DefinitionError

LIBRARY_DIR = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"\[\[\s*([A-Za-z_][A-Za-z0-9_]*)\s*\]\]")
TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class TemplateNotFound(LookupError):
    """Raised for a slug that names no template."""


@functools.cache
def _templates():
    templates = {}
    for path in sorted(LIBRARY_DIR.glob("*.json")):
        template = json.loads(path.read_text())
        templates[path.stem] = {"slug": path.stem, **template}
    return templates


def template_list():
    """Return every template, sorted by slug."""
    return [copy.deepcopy(template) for template in _templates().values()]


def template_get(slug):
    """Return one template by slug, or raise TemplateNotFound."""
    try:
        return copy.deepcopy(_templates()[slug])
    except KeyError:
        raise TemplateNotFound(slug) from None


def _has_type(value, type_name):
    if isinstance(value, bool) and type_name in ("integer", "number"):
        return False
    return isinstance(value, TYPES[type_name])


def template_parameter_values(template, parameters):
    """Return {name: value} with defaults filled in; raise DefinitionError naming `parameters.<name>`."""
    if not isinstance(parameters, dict):
        raise DefinitionError([{"path": "parameters", "message": "Expected a JSON object."}])
    declared = {parameter["name"]: parameter for parameter in template["parameters"]}
    errors = [
        {"path": f"parameters.{name}", "message": f"Unknown parameter; this template takes {', '.join(declared)}."}
        for name in parameters
        if name not in declared
    ]
    values = {}
    for name, parameter in declared.items():
        if name not in parameters:
            if parameter.get("required"):
                errors.append({"path": f"parameters.{name}", "message": "This parameter is required."})
            else:
                values[name] = copy.deepcopy(parameter.get("default"))
            continue
        value = parameters[name]
        if not _has_type(value, parameter["type"]):
            errors.append(
                {"path": f"parameters.{name}", "message": f"Expected {parameter['type']}, got {type(value).__name__}."}
            )
        values[name] = value
    if errors:
        raise DefinitionError(errors)
    return values


def _as_text(value):
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def substitute(value, values):
    """Replace `[[name]]` placeholders in strings (and object keys) of `value`; `{{…}}` is kept."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in values:
            return copy.deepcopy(values[whole.group(1)])
        return PLACEHOLDER.sub(
            lambda match: _as_text(values[match.group(1)]) if match.group(1) in values else match.group(0), value
        )
    if isinstance(value, list):
        return [substitute(item, values) for item in value]
    if isinstance(value, dict):
        return {substitute(key, values): substitute(item, values) for key, item in value.items()}
    return value


def placeholders(value):
    """Return the set of parameter names a template's workflow refers to."""
    found = set()
    if isinstance(value, str):
        found.update(PLACEHOLDER.findall(value))
    elif isinstance(value, list):
        for item in value:
            found |= placeholders(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            found |= placeholders(key) | placeholders(item)
    return found


def template_render(slug, parameters=None, *, name=None, status=None):
    """Return the workflow definition of a template with its parameters filled in (not saved)."""
    template = template_get(slug)
    values = template_parameter_values(template, parameters if parameters is not None else {})
    definition = substitute(template["workflow"], values)
    definition.setdefault("description", template["description"])
    definition["metadata"] = {**(definition.get("metadata") or {}), "template": slug}
    if name is not None:
        definition["name"] = name
    definition["status"] = status or "DRAFT"
    return definition
