"""The shape of a workflow drawn in the editor: its main sequence, branches, groups, loop bodies and handlers.

Plain data built from a definition; `templates/admin/workflows/diagram.html` draws it as HTML/CSS.
"""

from dataclasses import dataclass, field

from workflows.definition.graph import main_sequence


@dataclass
class Branch:
    """A lane of nodes run by a container: one CONDITIONAL outcome, one PARALLEL child, a FOR_EACH body."""

    label: str
    nodes: list


@dataclass
class Handler:
    """An error handler attached to a step: which errors it catches and whether the run goes on."""

    error_types: list
    should_continue: bool
    node: object


@dataclass
class Node:
    """One step as drawn: its box, what it runs inside (branches) and its error handlers."""

    step_id: str
    name: str
    type: str
    summary: str = ""
    layout: str = ""  # "branches" (side by side) for containers, "" for plain steps
    branches: list = field(default_factory=list)
    handlers: list = field(default_factory=list)
    missing: bool = False
    repeated: bool = False  # drawn elsewhere already (a step reached twice): a reference, not a copy


@dataclass
class Diagram:
    """The main sequence, and the steps nothing reaches (drawn apart so they are noticed)."""

    nodes: list
    unreached: list


def _list(value):
    return value if isinstance(value, list) else []


def _config(step):
    config = step.get("config")
    return config if isinstance(config, dict) else {}


def _summary(step):
    config = _config(step)
    kind = step.get("type")
    if kind in ("HTTP_REQUEST", "WEBHOOK_CALL"):
        return f"{config.get('method', 'POST' if kind == 'WEBHOOK_CALL' else 'GET')} {config.get('url', '')}".strip()
    if kind == "FOR_EACH":
        return f"for each item of {config.get('items', '?')}"
    if kind == "PARALLEL":
        return "wait for all" if config.get("waitForAll", True) else "first to finish"
    if kind == "WAIT":
        return f"{config.get('duration', config.get('until', ''))}"
    if kind == "CONDITIONAL":
        conditions = config.get("conditions")
        if isinstance(conditions, list) and conditions and isinstance(conditions[0], dict):
            first = conditions[0]
            more = f" (+{len(conditions) - 1})" if len(conditions) > 1 else ""
            return f"{first.get('field', '')} {first.get('operator', '')} {first.get('value', '')}".strip() + more
    if kind == "VALIDATION":
        rules = config.get("rules")
        return f"{len(rules)} rule(s)" if isinstance(rules, list) else ""
    return ""


def diagram_of(definition):
    """Return the Diagram of a definition ({"steps": [...], "errorHandlers": [...]}).

    Tolerates a definition the validator would refuse (unknown ids are drawn as missing, a step
    reached twice is drawn once and referenced after), so it never fails the page it sits on.
    """
    steps = [
        step for step in _list(definition.get("steps")) if isinstance(step, dict) and isinstance(step.get("id"), str)
    ]
    handlers = [entry for entry in _list(definition.get("errorHandlers")) if isinstance(entry, dict)]
    by_id = {step["id"]: step for step in steps}
    drawn = set()

    def node(step_id):
        step = by_id.get(step_id)
        if step is None:
            return Node(step_id=str(step_id), name="", type="?", missing=True)
        if step_id in drawn:
            return Node(step_id=step_id, name=step.get("name", ""), type=step.get("type", ""), repeated=True)
        drawn.add(step_id)
        config = _config(step)
        drawn_node = Node(step_id=step_id, name=step.get("name", ""), type=step.get("type", ""), summary=_summary(step))
        kind = step.get("type")
        children = [ref for ref in config.get("steps") or [] if isinstance(ref, str)]
        if kind == "CONDITIONAL":
            drawn_node.layout = "branches"
            for label, key in (("true", "trueStepId"), ("false", "falseStepId")):
                target = config.get(key)
                drawn_node.branches.append(Branch(label, [node(target)] if isinstance(target, str) else []))
        elif kind == "PARALLEL":
            drawn_node.layout = "branches"
            drawn_node.branches = [Branch("", [node(child)]) for child in children]
        elif kind == "FOR_EACH":
            drawn_node.layout = "branches"
            drawn_node.branches = [Branch("each item", [node(child) for child in children])]
        for entry in handlers:
            if entry.get("stepId") == step_id and isinstance(entry.get("handlerStepId"), str):
                drawn_node.handlers.append(
                    Handler(
                        error_types=list(entry.get("errorTypes") or []),
                        should_continue=bool(entry.get("shouldContinue", False)),
                        node=node(entry["handlerStepId"]),
                    )
                )
        return drawn_node

    try:
        sequence = main_sequence(steps, handlers)
    except (TypeError, AttributeError):  # odd `order` values or configs: draw in definition order
        sequence = [step["id"] for step in steps]
    nodes = [node(step_id) for step_id in sequence]
    unreached = [node(step["id"]) for step in steps if step["id"] not in drawn]
    return Diagram(nodes=nodes, unreached=unreached)
