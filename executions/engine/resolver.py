"""`{{path}}` substitution: pure functions over a lookup callable. No code is ever evaluated."""

import json
import re

from executions.engine.errors import VARIABLE_ERROR, StepError

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_INDEX = re.compile(r"\[(\d+)\]")
MISSING = object()


class MissingVariable(StepError):
    def __init__(self, path):
        super().__init__(VARIABLE_ERROR, f"Variable {path!r} is not defined.", details={"variable": path})
        self.path = path


def split_path(path):
    """Split `a.b[0].c`, `a.b.0.c` or `$.a.b` into segments."""
    path = path.strip()
    if path.startswith("$"):
        path = path[1:].lstrip(".")
    path = _INDEX.sub(r".\1", path)
    return [segment for segment in path.split(".") if segment != ""]


def dig(value, segments):
    """Follow `segments` into dicts and lists; return MISSING where the path does not exist."""
    for segment in segments:
        if isinstance(value, dict):
            if segment not in value:
                return MISSING
            value = value[segment]
        elif isinstance(value, list) and segment.lstrip("-").isdigit():
            index = int(segment)
            if not -len(value) <= index < len(value):
                return MISSING
            value = value[index]
        else:
            return MISSING
    return value


def as_text(value):
    """Render a value inside a longer string: text as is, null as empty, others as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def render(template, lookup):
    """Substitute every placeholder in `template` (any JSON value) using `lookup(path)`.

    A string that is exactly one placeholder keeps the value's type; otherwise the value
    is rendered as text. `lookup` returns MISSING for an unknown path.
    """
    if isinstance(template, str):
        if "{{" not in template:
            return template
        whole = PLACEHOLDER.fullmatch(template)
        if whole:
            return _resolve(whole.group(1), lookup)
        return PLACEHOLDER.sub(lambda m: as_text(_resolve(m.group(1), lookup)), template)
    if isinstance(template, dict):
        # Keys are always text: a key that is one placeholder of an object would not even hash.
        return {_render_text(key, lookup): render(value, lookup) for key, value in template.items()}
    if isinstance(template, list):
        return [render(item, lookup) for item in template]
    return template


def _render_text(template, lookup):
    if not isinstance(template, str) or "{{" not in template:
        return template
    return PLACEHOLDER.sub(lambda m: as_text(_resolve(m.group(1), lookup)), template)


def _resolve(path, lookup):
    value = lookup(path)
    if value is MISSING:
        raise MissingVariable(path)
    return value


def placeholders(template):
    """Yield every placeholder path in a template (for checks and docs)."""
    if isinstance(template, str):
        yield from (match.group(1) for match in PLACEHOLDER.finditer(template))
    elif isinstance(template, dict):
        for key, value in template.items():
            yield from placeholders(key)
            yield from placeholders(value)
    elif isinstance(template, list):
        for item in template:
            yield from placeholders(item)
