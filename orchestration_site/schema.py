"""OpenAPI tweaks: document each route once, in the spec's form without a trailing slash."""


def spec_paths(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: strip the optional trailing slash, drop duplicates."""
    seen, result = set(), []
    for path, path_regex, method, callback in endpoints:
        path = path.rstrip("/") or "/"
        if (path, method) in seen:
            continue
        seen.add((path, method))
        result.append((path, path_regex, method, callback))
    return result


ERROR_SCHEMAS = {
    "ErrorList": {
        "type": "object",
        "description": "A refused request: every problem, with the path of its field.",
        "properties": {
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                    "required": ["path", "message"],
                },
            }
        },
        "required": ["errors"],
    },
    "ErrorDetail": {
        "type": "object",
        "description": "Why the request was refused.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
}
ERROR_RESPONSES = {
    "400": ("ErrorList", "Invalid body or query parameters."),
    "401": ("ErrorDetail", "No valid credentials."),
    "403": ("ErrorDetail", "The user lacks the permission (or, with a session, the CSRF token)."),
    "404": ("ErrorDetail", "No such object (or page)."),
    "429": ("ErrorDetail", "Throttled; retry after the Retry-After header's seconds."),
}
WRITE_ERROR_RESPONSES = {
    "409": ("ErrorDetail", "The request conflicts with the object's current state."),
    "413": ("ErrorDetail", "The body is larger than the server accepts."),
}


def error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the error answers every API operation can give."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_SCHEMAS)
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/") or path.startswith("/api/schema"):
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            errors = {**ERROR_RESPONSES, **(WRITE_ERROR_RESPONSES if method != "get" else {})}
            for code, (component, description) in errors.items():
                operation["responses"].setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
                    },
                )
    return result
