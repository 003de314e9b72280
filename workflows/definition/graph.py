"""How the steps of a definition relate: children, branch targets, and the main sequence."""


def child_ids(step):
    """Return the ids a step runs through itself (its children and branch targets)."""
    config = step.get("config") or {}
    kind = step.get("type")
    if kind in ("PARALLEL", "FOR_EACH"):
        return [ref for ref in config.get("steps") or [] if isinstance(ref, str)]
    if kind == "CONDITIONAL":
        return [config[key] for key in ("trueStepId", "falseStepId") if isinstance(config.get(key), str)]
    return []


def nested_ids(steps, error_handlers=()):
    """Return the ids that run only through a parent or an error handler."""
    nested = set()
    for step in steps:
        nested.update(child_ids(step))
    for handler in error_handlers or ():
        if isinstance(handler.get("handlerStepId"), str):
            nested.add(handler["handlerStepId"])
    return nested


def main_sequence(steps, error_handlers=()):
    """Return the top-level step ids in run order: by `order`, ties in definition order.

    A step without `order` takes its 1-based position in the list.
    """
    nested = nested_ids(steps, error_handlers)
    ranked = [
        (step.get("order", position), position, step["id"])
        for position, step in enumerate(steps, start=1)
        if step["id"] not in nested
    ]
    return [step_id for _, _, step_id in sorted(ranked)]


def find_cycle(steps, error_handlers=()):
    """Return a list of ids forming a cycle of parent → child edges, or None."""
    edges = {step["id"]: child_ids(step) for step in steps}
    for handler in error_handlers or ():
        # Handlers are checked apart: one whose ids are not text has its own error already.
        if isinstance(handler.get("stepId"), str) and isinstance(handler.get("handlerStepId"), str):
            edges.setdefault(handler["stepId"], []).append(handler["handlerStepId"])
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(edges, white)
    for start in edges:
        if colour[start] != white:
            continue
        stack = [(start, iter(edges.get(start, ())))]
        path = [start]
        colour[start] = grey
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = black
                stack.pop()
                path.pop()
            elif colour.get(child, black) == grey:
                return path[path.index(child) :] + [child]
            elif colour.get(child) == white:
                colour[child] = grey
                path.append(child)
                stack.append((child, iter(edges.get(child, ()))))
    return None
