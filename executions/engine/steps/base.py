"""The small interface every step type implements."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from executions.engine.context import Context
from executions.engine.resolver import MISSING, split_path


@dataclass
class Invocation:
    """Everything a handler may use: the step, its rendered config, and the run around it."""

    step: dict
    config: dict
    context: Context
    state: dict
    attempt: int
    idempotency_key: str
    now: datetime
    remaining_ms: int | None = None
    steps_by_id: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    # The service id used when a step names none (an orchestration request's context.serviceId).
    default_service_id: str | None = None
    # guard(service_id, call, timeout_ms) runs `call` behind that service's circuit breaker.
    guard: Callable = field(default=lambda service_id, call, timeout_ms: call())

    def lookup(self, path):
        """Read a context path (`lead.email`, `items[0].id`); MISSING when absent."""
        return self.context.lookup(unwrap_path(path))


def unwrap_path(path):
    """Accept `{{a.b}}` where a plain path `a.b` is expected."""
    path = path.strip()
    if path.startswith("{{") and path.endswith("}}"):
        path = path[2:-2].strip()
    return path


class StepType:
    """One kind of step. Subclasses set `type_name` and implement `execute`.

    `path_keys` names config keys that hold context paths rather than templates: the engine
    leaves them unrendered wherever they occur in this type's config.
    """

    type_name = None
    path_keys = frozenset()

    def execute(self, invocation):
        """Run the step once and return an outcome; it may run again after a crash."""
        raise NotImplementedError("subclasses of StepType must provide execute()")

    def recorded_input(self, config):
        """What the step's record keeps of its rendered config as its input (all of it by default)."""
        return config

    def breaker_service_id(self, config, default_service_id):
        """The service whose breaker the step will call, when the unrendered config settles it.

        The engine then reads that breaker ahead, with the statement that starts the step.
        None (the default: no call, or a templated service) means it is read when called.
        """
        return None


class ContainerStepType(StepType):
    """A step that runs other steps (children) and joins them."""

    def on_child_finished(self, config, state, child):
        """Return a Join: the new state, children to start, and whether this step is done."""
        raise NotImplementedError("subclasses of ContainerStepType must provide on_child_finished()")

    def collect_output(self, config, state, children):
        """Return the Completed outcome once every child has finished."""
        raise NotImplementedError("subclasses of ContainerStepType must provide collect_output()")


def require_path(invocation, path, what):
    """Look a path up and fail with VARIABLE_ERROR naming it when it is missing."""
    from executions.engine.resolver import MissingVariable

    value = invocation.lookup(path)
    if value is MISSING:
        raise MissingVariable(unwrap_path(path))
    return value


__all__ = ["MISSING", "ContainerStepType", "Invocation", "StepType", "require_path", "split_path", "unwrap_path"]
