"""Reads of workflows and config values."""

from orchestration_site.masking import remember
from workflows.models import ConfigEntry, Workflow


def workflow_list():
    return Workflow.objects.all()


def config_values():
    """Return {key: value} for every config entry, and the set of secret keys."""
    values, secret_keys = {}, set()
    for key, value, is_secret in ConfigEntry.objects.values_list("key", "value", "is_secret"):
        values[key] = value
        if is_secret:
            secret_keys.add(key)
            remember(value)  # whatever this process does next with it is masked in records and logs
    return values, secret_keys
