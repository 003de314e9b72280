"""FOR_EACH: run the body `steps` once per item of an array, with `{{item}}` and `{{index}}`.

Items run at most maxConcurrency (default 10) at once; with batchSize, a batch of items
finishes before the next batch starts. The body steps of one item run in order. The output
is the list of each item's result (its last body step's output), in input order. A failed
item fails the step, unless continueOnError: then its result is null, the failure is logged,
and the other items go on.
"""

from executions.engine.errors import LIMIT_EXCEEDED, STEP_ERROR, StepError
from executions.engine.outcomes import ChildSpec, Completed, Fork, Join
from executions.engine.registry import register
from executions.engine.resolver import MISSING
from executions.engine.steps.base import ContainerStepType, unwrap_path

DEFAULT_CONCURRENCY = 10


def _refill(config, state):
    limit = config.get("maxConcurrency") or DEFAULT_CONCURRENCY
    first = config["steps"][0]
    started = []
    if state["completed"] >= state["batchEnd"] and state["batchEnd"] < state["total"]:
        state["batchEnd"] = min(state["batchEnd"] + (config.get("batchSize") or state["total"]), state["total"])
    while state["inFlight"] < limit and state["next"] < state["batchEnd"]:
        started.append(ChildSpec(first, item_index=state["next"], needs_item=True))
        state["next"] += 1
        state["inFlight"] += 1
    return started


@register
class ForEach(ContainerStepType):
    type_name = "FOR_EACH"
    path_keys = frozenset({"items", "steps", "outputVariable"})

    def execute(self, invocation):
        config = invocation.config
        items = config["items"]
        if isinstance(items, str):
            items = invocation.lookup(items)
            if items is MISSING:
                from executions.engine.resolver import MissingVariable

                raise MissingVariable(unwrap_path(config["items"]))
        if not isinstance(items, list):
            raise StepError(STEP_ERROR, f"items must be an array, got {type(items).__name__}.")
        limit = invocation.options.get("MAX_FOR_EACH_ITEMS", 10_000)
        if len(items) > limit:
            raise StepError(
                LIMIT_EXCEEDED, f"items has {len(items)} entries; at most {limit} (MAX_FOR_EACH_ITEMS) per FOR_EACH."
            )
        if not items:
            variables = {config["outputVariable"]: []} if config.get("outputVariable") else None
            return Completed(output=[], variables=variables)
        total = len(items)
        state = {
            "total": total,
            "next": 0,
            "inFlight": 0,
            "completed": 0,
            "failed": [],
            "batchEnd": min(config.get("batchSize") or total, total),
        }
        start = _refill(config, state)
        fork = Fork(state=state, start=start, output=None)
        fork.items = items
        return fork

    def on_child_finished(self, config, state, child):
        body = config["steps"]
        position = body.index(child.step_id)
        if child.succeeded and position + 1 < len(body):
            next_step = ChildSpec(body[position + 1], item_index=child.item_index, item=child.item)
            return Join(state=state, start=[next_step])
        state["inFlight"] -= 1
        state["completed"] += 1
        if not child.succeeded:
            state["failed"].append(child.item_index)
            if not config.get("continueOnError"):
                message = child.error.message if child.error else "unknown error"
                return Join(
                    state=state,
                    done=True,
                    error=StepError(
                        child.error.error_type if child.error else STEP_ERROR,
                        f"Item {child.item_index} failed at {child.step_id!r}: {message}",
                        status=child.error.status if child.error else None,
                    ),
                )
        start = _refill(config, state)
        return Join(state=state, start=start, done=state["completed"] >= state["total"])

    def collect_output(self, config, state, children):
        last = config["steps"][-1]
        results = [None] * state["total"]
        for child in children:
            if child.step_id == last and child.succeeded and child.item_index is not None:
                results[child.item_index] = child.output
        logs = [{"message": f"Item {index} failed."} for index in sorted(state["failed"])]
        variables = {config["outputVariable"]: results} if config.get("outputVariable") else None
        return Completed(output=results, variables=variables, logs=logs)
