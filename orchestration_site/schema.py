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
