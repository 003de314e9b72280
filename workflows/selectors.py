"""Reads of workflows and config values."""

import uuid

from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast

from orchestration_site.masking import remember
from workflows.crypto import SecretUnreadable
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
    """Return {key: value} for every config entry, and the set of secret keys.

    A secret that cannot be decrypted (its key was removed) is held as its SecretUnreadable:
    a step that reads it fails saying so, and every other value stays usable.
    """
    return config_values_from(ConfigEntry.objects.values_list("key", Cast("value", TextField()), "is_secret"))


def config_values_from(rows):
    """config_values() from (key, value as stored (JSON text), is_secret) rows."""
    value_field = ConfigEntry._meta.get_field("value")
    values, secret_keys = {}, set()
    for key, stored, is_secret in rows:
        try:
            value = value_field.from_db_value(stored, None, connection)
        except SecretUnreadable as unreadable:
            value = unreadable
        values[key] = value
        if is_secret:
            secret_keys.add(key)
            remember(value)  # whatever this process does next with it is masked in records and logs
    return values, secret_keys
