"""One module per step type; importing this package registers them all."""

from executions.engine.steps import (  # noqa: F401
    conditional,
    data_transform,
    for_each,
    http_request,
    parallel,
    validation,
    wait,
    webhook_call,
)
