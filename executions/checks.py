"""System checks: the engine has a handler for every step type the definition schema allows."""

from django.core import checks

from workflows.definition.schema import STEP_CONFIG_SCHEMAS


@checks.register()
def step_handlers(app_configs, **kwargs):
    from executions.engine import steps  # noqa: F401  (registers the handlers)
    from executions.engine.registry import registered_types

    missing = set(STEP_CONFIG_SCHEMAS) - registered_types()
    return [
        checks.Error(f"Step type {name} has a schema but no handler.", id="executions.E001") for name in sorted(missing)
    ]
