"""Hand-built Invocations, so step handlers can be called directly without a database or worker."""

from datetime import UTC, datetime

from executions.engine.context import ConfigStore, Context
from executions.engine.steps.base import Invocation

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
OPTIONS = {"HTTP_TIMEOUT_MS": 30000, "REGEX_TIMEOUT_S": 1.0}


def invocation(
    config,
    *,
    type_name="WAIT",
    step_id="step",
    input=None,
    results=(),
    extras=None,
    config_values=None,
    secret_keys=(),
    state=None,
    steps=(),
    now=NOW,
    remaining_ms=None,
    attempt=1,
    idempotency_key="exec-1:step",
    options=None,
):
    """Return an Invocation of one step with `config` (already rendered) over a fresh Context.

    `results` are (step_id, output, variables) triples; `steps` the other step definitions
    the handler may look up by id (PARALLEL reads its children's dependsOn there).
    """
    context = Context(input=input or {}, config=ConfigStore(config_values or {}, secret_keys), results=results)
    if extras:
        context = context.with_extras(extras)
    step = {"id": step_id, "type": type_name, "config": config}
    steps_by_id = {definition["id"]: definition for definition in steps}
    steps_by_id.setdefault(step_id, step)
    return Invocation(
        step=step,
        config=config,
        context=context,
        state=state if state is not None else {},
        attempt=attempt,
        idempotency_key=idempotency_key,
        now=now,
        remaining_ms=remaining_ms,
        steps_by_id=steps_by_id,
        options={**OPTIONS, **(options or {})},
    )
