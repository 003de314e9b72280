"""A JSON parser that answers 400 or 413, never 500, to malformed or oversized bodies."""

import json
import math

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


def _reject_constant(name):
    """NaN and ±Infinity are not JSON: no database stores them and no client can read them back."""
    raise ValueError(f"{name} is not a valid JSON value")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _unstorable_string(data):
    """Return a message when a string or key holds NUL or an unpaired surrogate (iteratively).

    Both decode from JSON escapes (\\u0000, \\ud800) but cannot be stored as text.
    """
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "Strings may not contain NUL (\\u0000) characters."
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "Strings may not contain unpaired surrogates (\\ud800-\\udfff)."
    return None


def nests_deeper_than(value, limit):
    """Return True when `value` nests deeper than `limit` (iteratively, so it cannot recurse)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


MAX_BODY_DEPTH = 32


class UnsafeJSON(ValueError):
    """Text that parses as JSON but holds what cannot be stored (NUL, an unpaired surrogate) or nests too deep."""


def strict_loads(text):
    """Parse JSON text, refusing NaN, ±Infinity and numbers out of float range (ValueError)."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


def safe_loads(text):
    """Parse JSON text as the API does: no NaN or ±Infinity, no NUL or unpaired surrogate; raise ValueError."""
    try:
        data = strict_loads(text)
    except RecursionError:
        raise UnsafeJSON("JSON nested too deeply.") from None
    if "\\u" in text and (problem := _unstorable_string(data)):
        raise UnsafeJSON(problem)
    if nests_deeper_than(data, MAX_BODY_DEPTH):
        raise UnsafeJSON(f"Nested deeper than {MAX_BODY_DEPTH} levels.")
    return data


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = (stream.read(limit + 1) if limit is not None else stream.read()) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge(f"Request body larger than {limit} bytes.")
        if not raw.strip():
            raise exceptions.ParseError("Request body is empty; expected JSON.")
        try:
            return safe_loads(raw.decode((parser_context or {}).get("encoding") or "utf-8"))
        except UnsafeJSON as exc:
            raise exceptions.ParseError(str(exc)) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error: {exc}") from None
