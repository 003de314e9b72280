"""PARALLEL: run child steps concurrently, at most maxConcurrency at once, honouring dependsOn.

waitForAll true (the default) joins the children before the workflow goes on; false lets the
workflow go on at once while the children run, and the execution ends only when they have.
A failed child fails the PARALLEL; children already running finish and are recorded, and no
new child starts. The output maps each child id to its output; `outputVariable` also stores
the children's results as a list in `steps` order (a child's extracted value, else its output).
"""

from executions.engine.errors import STEP_ERROR, StepError
from executions.engine.outcomes import ChildSpec, Completed, Fork, Join
from executions.engine.registry import register
from executions.engine.steps.base import ContainerStepType


def _start_ready(config, state, dependencies):
    limit = config.get("maxConcurrency") or len(config["steps"])
    started = []
    for step_id in list(state["pending"]):
        if len(state["running"]) >= limit:
            break
        if all(dep in state["done"] for dep in dependencies.get(step_id, ())):
            state["pending"].remove(step_id)
            state["running"].append(step_id)
            started.append(ChildSpec(step_id))
    return started


@register
class Parallel(ContainerStepType):
    type_name = "PARALLEL"
    path_keys = frozenset({"steps", "outputVariable"})

    def execute(self, invocation):
        config = invocation.config
        dependencies = {
            step_id: list(invocation.steps_by_id.get(step_id, {}).get("dependsOn") or []) for step_id in config["steps"]
        }
        state = {"pending": list(config["steps"]), "running": [], "done": [], "failed": [], "dependsOn": dependencies}
        start = _start_ready(config, state, dependencies)
        detach = not config.get("waitForAll", True)
        return Fork(state=state, start=start, detach=detach, output={"started": config["steps"]})

    def on_child_finished(self, config, state, child):
        if child.step_id in state["running"]:
            state["running"].remove(child.step_id)
        if not child.succeeded:
            state["failed"].append(child.step_id)
            return Join(
                state=state,
                done=True,
                error=StepError(
                    child.error.error_type if child.error else STEP_ERROR,
                    f"Child step {child.step_id!r} failed: {child.error.message if child.error else 'unknown error'}",
                    status=child.error.status if child.error else None,
                ),
            )
        state["done"].append(child.step_id)
        start = _start_ready(config, state, state["dependsOn"])
        finished = not state["running"] and not start
        error = None
        if finished and state["pending"]:
            error = StepError(STEP_ERROR, f"Children never became ready: {', '.join(state['pending'])}.")
        return Join(state=state, start=start, done=finished, error=error)

    def collect_output(self, config, state, children):
        outputs = {child.step_id: child.output for child in children}
        variables = None
        if config.get("outputVariable"):
            results = []
            for step_id in config["steps"]:
                output = outputs.get(step_id)
                results.append(output["extracted"] if isinstance(output, dict) and "extracted" in output else output)
            variables = {config["outputVariable"]: results}
        return Completed(output=outputs, variables=variables)
