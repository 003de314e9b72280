"""What a step handler returns; the runner turns each into records and messages."""

from dataclasses import dataclass, field
from datetime import datetime

from executions.engine.errors import StepError


@dataclass
class Completed:
    output: object = None
    variables: dict | None = None
    logs: list = field(default_factory=list)


@dataclass
class Failed:
    error: StepError
    output: object = None
    logs: list = field(default_factory=list)


@dataclass
class Sleep:
    """Come back at `until` (a WAIT); the worker thread is free meanwhile."""

    until: datetime
    state: dict = field(default_factory=dict)


@dataclass
class ChildSpec:
    """A child step to start: a PARALLEL child, a branch, or one item's body step."""

    step_id: str
    item_index: int | None = None
    needs_item: bool = False
    item: object = None


@dataclass
class Fork:
    """A container step starts children and waits for them (unless `detach`)."""

    state: dict
    start: list
    output: object = None
    skip: list = field(default_factory=list)
    detach: bool = False
    logs: list = field(default_factory=list)


@dataclass
class ChildResult:
    step_id: str
    item_index: int | None
    succeeded: bool
    output: object = None
    error: StepError | None = None
    item: object = None


@dataclass
class Join:
    """A container's answer to a finished child: new state, children to start, and whether it is done."""

    state: dict
    start: list = field(default_factory=list)
    done: bool = False
    error: StepError | None = None
