"""Reads of workflows and config values."""

import uuid

from orchestration_site.masking import remember
from workflows.models import ConfigEntry, Workflow, WorkflowVersion


def workflow_list():
    return Workflow.objects.all()


def workflow_by_reference(*, ref):
    """Return the workflow with id `ref`, or the only one named `ref`; raise LookupError saying why not."""
    try:
        found = Workflow.objects.filter(pk=uuid.UUID(ref)).first()
    except ValueError:
        found = None
    if found is not None:
        return found
    named = list(Workflow.objects.filter(name=ref)[:2])
    if len(named) > 1:
        raise LookupError(f"Several workflows are named {ref!r}; give the id.")
    if not named:
        raise LookupError(f"No workflow with id or name {ref!r}.")
    return named[0]


def workflow_versions(*, workflow):
    """Return a workflow's versions, newest first."""
    return WorkflowVersion.objects.filter(workflow=workflow).select_related("created_by").order_by("-version")


def config_values():
    """Return {key: value} for every config entry, and the set of secret keys."""
    return config_values_from(ConfigEntry.objects.values_list("key", "value", "is_secret"))


def config_values_from(rows):
    """config_values() from (key, value, is_secret) rows read some other way."""
    values, secret_keys = {}, set()
    for key, value, is_secret in rows:
        values[key] = value
        if is_secret:
            secret_keys.add(key)
            remember(value)  # whatever this process does next with it is masked in records and logs
    return values, secret_keys
