"""CONDITIONAL: evaluate conditions, run trueStepId or falseStepId, record the other SKIPPED."""

from executions.engine.conditions import evaluate
from executions.engine.outcomes import ChildSpec, Completed, Fork, Join
from executions.engine.registry import register
from executions.engine.steps.base import ContainerStepType


@register
class Conditional(ContainerStepType):
    type_name = "CONDITIONAL"
    path_keys = frozenset({"field", "trueStepId", "falseStepId"})

    def execute(self, invocation):
        config = invocation.config
        result = evaluate(
            config["conditions"], invocation.lookup, regex_timeout=invocation.options.get("REGEX_TIMEOUT_S", 1.0)
        )
        taken = config.get("trueStepId" if result else "falseStepId")
        other = config.get("falseStepId" if result else "trueStepId")
        skip = [other] if other and other != taken else []
        output = {"result": result, "nextStepId": taken}
        if not taken:
            return Fork(state={"result": result}, start=[], skip=skip, output=output) if skip else Completed(output)
        return Fork(state={"result": result, "branch": taken}, start=[ChildSpec(taken)], skip=skip, output=output)

    def on_child_finished(self, config, state, child):
        return Join(state=state, done=True, error=None if child.succeeded else child.error)

    def collect_output(self, config, state, children):
        return Completed({"result": state["result"], "nextStepId": state.get("branch")})
