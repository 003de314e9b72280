"""Writes to workflows and the config store; each owns its transaction."""

from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from orchestration_site.exceptions import Conflict
from workflows.definition import DefinitionError, validate_definition
from workflows.library import template_render
from workflows.models import ConfigEntry, Workflow, WorkflowStatus, WorkflowVersion

# API field name → model attribute, for the fields a client may write.
WRITABLE_FIELDS = {
    "name": "name",
    "description": "description",
    "status": "status",
    "category": "category",
    "triggers": "triggers",
    "steps": "steps",
    "errorHandlers": "error_handlers",
    "timeout": "timeout",
    "metadata": "metadata",
    "retryPolicy": "retry_policy",
}
VERSIONED_FIELDS = {"steps", "triggers", "error_handlers", "timeout", "retry_policy"}


def workflow_as_definition(workflow):
    """Return the writable fields of a workflow under their API names."""
    return {api: getattr(workflow, attr) for api, attr in WRITABLE_FIELDS.items()}


def _record_version(workflow, *, user=None, comment=""):
    """Store the workflow's current definition as its version `workflow.version`."""
    return WorkflowVersion.objects.create(
        workflow=workflow,
        version=workflow.version,
        triggers=workflow.triggers,
        steps=workflow.steps,
        error_handlers=workflow.error_handlers,
        timeout=workflow.timeout,
        retry_policy=workflow.retry_policy,
        created_by=user if user is not None and user.is_authenticated else None,
        comment=comment,
    )


@transaction.atomic
def workflow_create(*, data, user=None, comment="Created"):
    """Validate a definition and store it as a new workflow, with its version 1."""
    validate_definition(data)
    values = {WRITABLE_FIELDS[key]: value for key, value in data.items() if key in WRITABLE_FIELDS}
    values["error_handlers"] = values.get("error_handlers") or []
    workflow = Workflow.objects.create(**values)
    _record_version(workflow, user=user, comment=comment)
    audit_record(
        actor=user, action=AuditAction.WORKFLOW_CREATED, target_id=workflow.pk, details={"name": workflow.name}
    )
    return workflow


@transaction.atomic
def workflow_update(*, workflow, data, partial=False, user=None, comment="Updated"):
    """Validate the workflow as it would be after the change, then save it.

    A change to steps, triggers, errorHandlers, timeout or retryPolicy increments `version`
    and records the new version, in the same transaction.
    """
    # The row lock serialises concurrent updates, so two of them cannot both make version N+1.
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    stored = workflow_as_definition(workflow)
    merged = {**stored, **data} if partial else data
    _validate_keeping_old_problems(merged, stored)
    changed, changed_versioned = False, False
    for key, attr in WRITABLE_FIELDS.items():
        if key not in merged and partial:
            continue
        value = merged.get(key)
        if attr == "error_handlers":
            value = value or []
        if not partial and key not in merged:
            value = Workflow._meta.get_field(attr).get_default()
        if getattr(workflow, attr) != value:
            changed = True
            changed_versioned |= attr in VERSIONED_FIELDS
            setattr(workflow, attr, value)
    if not changed:
        return workflow  # nothing to save, and nothing for the audit trail
    if changed_versioned:
        workflow.version += 1
    workflow.save()
    if changed_versioned:
        _record_version(workflow, user=user, comment=comment)
    audit_record(
        actor=user,
        action=AuditAction.WORKFLOW_UPDATED,
        target_id=workflow.pk,
        details={"fields": sorted(key for key in data if key in WRITABLE_FIELDS), "version": workflow.version},
    )
    return workflow


def _validate_keeping_old_problems(definition, stored):
    """Refuse the problems an update would bring, not those its stored definition already had.

    A workflow saved before a rule existed stays editable (renamed, archived) without first
    fixing what the rule now refuses; a change can never add such a problem.
    """
    try:
        validate_definition(definition)
    except DefinitionError as error:
        try:
            validate_definition(stored)
            known = set()
        except DefinitionError as old:
            known = {(problem["path"], problem["message"]) for problem in old.errors}
        new = [problem for problem in error.errors if (problem["path"], problem["message"]) not in known]
        if new:
            raise DefinitionError(new) from None


def workflow_rollback(*, workflow, version, user=None):
    """Make a new version whose definition equals version `version`; nothing changes if it already does."""
    old = WorkflowVersion.objects.filter(workflow=workflow, version=version).first()
    if old is None:
        raise DefinitionError([{"path": "version", "message": f"This workflow has no version {version!r}."}])
    return workflow_update(
        workflow=workflow, data=old.definition(), partial=True, user=user, comment=f"Rolled back to version {version}"
    )


def workflow_create_from_template(*, slug, parameters=None, name=None, status=None, user=None):
    """Create a workflow from a library template, its `[[parameters]]` filled in."""
    definition = template_render(slug, parameters, name=name, status=status)
    return workflow_create(data=definition, user=user, comment=f"Created from template {slug}")


@transaction.atomic
def workflow_delete(*, workflow, user=None):
    """Delete a workflow that never ran; one with executions must be archived instead."""
    count = workflow.executions.count()
    if count:
        raise Conflict(
            f"Workflow has {count} execution(s) whose history would be lost; "
            'archive it instead (PATCH {"status": "ARCHIVED"}).'
        )
    audit_record(
        actor=user, action=AuditAction.WORKFLOW_DELETED, target_id=workflow.pk, details={"name": workflow.name}
    )
    workflow.delete()


def workflow_duplicate(*, workflow, user=None):
    """Store a copy of a workflow as a new DRAFT at version 1, named "<name> (copy)"."""
    data = {**workflow_as_definition(workflow), "name": f"{workflow.name} (copy)"[:200], "status": WorkflowStatus.DRAFT}
    return workflow_create(data=data, user=user, comment=f"Duplicated from {workflow.name} v{workflow.version}")


def config_set(*, key, value, is_secret=False, description=""):
    """Create or replace one config value."""
    entry, _ = ConfigEntry.objects.update_or_create(
        key=key, defaults={"value": value, "is_secret": is_secret, "description": description}
    )
    return entry


def config_audit(*, entry, actor=None, deleted=False):
    """Record in the audit trail that a config value was written or deleted (never the value)."""
    audit_record(
        actor=actor,
        action=AuditAction.CONFIG_DELETED if deleted else AuditAction.CONFIG_CHANGED,
        target_id=entry.key,
        details={"isSecret": entry.is_secret},
    )


@transaction.atomic
def config_rotate_secrets():
    """Re-encrypt every secret config value with the first SECRETS_ENCRYPTION_KEY; return how many."""
    entries = list(ConfigEntry.objects.select_for_update().filter(is_secret=True))
    for entry in entries:
        entry.save(update_fields=["value"])  # read with any key, written with the first
    return len(entries)
