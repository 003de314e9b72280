"""Export workflows as a JSON bundle and import bundles, through the definition validator.

An export holds what defines a workflow and nothing a database assigns: no id, version or
timestamps. It is `{"formatVersion": 1, "workflows": [...]}`, the workflows sorted by name (then
creation), every key sorted, indented by two spaces, ending in a newline, so that exporting what
an import wrote gives the same bytes again.
"""

import json

from django.db import transaction

from workflows import services
from workflows.definition import DefinitionError, validate_definition
from workflows.models import Workflow

FORMAT_VERSION = 1
EXPORTED_FIELDS = [
    "name",
    "description",
    "category",
    "status",
    "triggers",
    "steps",
    "errorHandlers",
    "timeout",
    "retryPolicy",
    "metadata",
]
ON_CONFLICT = ("skip", "overwrite", "create")


def workflow_export_data(workflow):
    """Return the exported fields of one workflow."""
    definition = services.workflow_as_definition(workflow)
    definition["errorHandlers"] = definition["errorHandlers"] or []
    return {field: definition[field] for field in EXPORTED_FIELDS}


def workflows_export(workflows):
    """Return the export bundle of `workflows` as text (sorted, so equal data gives equal bytes)."""
    ordered = sorted(workflows, key=lambda workflow: (workflow.name, workflow.created_at, str(workflow.pk)))
    bundle = {"formatVersion": FORMAT_VERSION, "workflows": [workflow_export_data(w) for w in ordered]}
    return json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _bundle_definitions(payload):
    """Return (definitions, path prefix of each) from a bundle or a single workflow object."""
    if not isinstance(payload, dict):
        raise DefinitionError([{"path": "", "message": "Expected a JSON object: a bundle or one workflow."}])
    if "workflows" not in payload:
        return [payload], [""]
    errors = [
        {"path": key, "message": "Unknown field."} for key in payload if key not in ("formatVersion", "workflows")
    ]
    version = payload.get("formatVersion", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        errors.append({"path": "formatVersion", "message": f"Unsupported format version {version!r}; expected 1."})
    if not isinstance(payload["workflows"], list):
        errors.append({"path": "workflows", "message": "Expected a list of workflows."})
    if errors:
        raise DefinitionError(errors)
    return payload["workflows"], [f"workflows[{index}]." for index in range(len(payload["workflows"]))]


def _validate_all(definitions, prefixes, on_conflict):
    errors = []
    names = {}
    for definition, prefix in zip(definitions, prefixes, strict=True):
        try:
            validate_definition(definition)
        except DefinitionError as error:
            for problem in error.errors:
                path = f"{prefix}{problem['path']}" if problem["path"] else prefix.rstrip(".")
                errors.append({"path": path, "message": problem["message"]})
            continue
        if on_conflict != "create" and definition["name"] in names:
            errors.append(
                {"path": f"{prefix}name", "message": f"Also the name of {names[definition['name']].rstrip('.')}."}
            )
        names.setdefault(definition["name"], prefix)
    if errors:
        raise DefinitionError(errors)


def _imported(definition):
    """The definition as an import stores it: fields it leaves out take their defaults."""
    return {field: definition[field] for field in services.WRITABLE_FIELDS if field in definition}


def workflows_import(*, payload, on_conflict="skip", dry_run=False, user=None):
    """Import a bundle (or one workflow); return one {name, action, id, version} per workflow.

    Every workflow is validated before anything is written, and all are written in one
    transaction: a bad bundle writes nothing. A workflow whose name exists is skipped,
    overwritten as a new version of the existing one, or created beside it (`on_conflict`).
    A dry run reports the same actions and writes nothing.
    """
    if on_conflict not in ON_CONFLICT:
        raise DefinitionError([{"path": "onConflict", "message": f"Expected one of {', '.join(ON_CONFLICT)}."}])
    definitions, prefixes = _bundle_definitions(payload)
    _validate_all(definitions, prefixes, on_conflict)
    results = []
    with transaction.atomic():
        for definition in definitions:
            data = _imported(definition)
            existing = (
                Workflow.objects.filter(name=data["name"]).order_by("-created_at").first()
                if on_conflict != "create"
                else None
            )
            if existing is None:
                action = "create"
                workflow = None if dry_run else services.workflow_create(data=data, user=user, comment="Imported")
            elif on_conflict == "skip":
                action, workflow = "skip", existing
            else:
                action, workflow = _overwrite(existing, data, dry_run, user)
            results.append(
                {
                    "name": data["name"],
                    "action": action,
                    "id": str(workflow.pk) if workflow else None,
                    "version": workflow.version if workflow else None,
                }
            )
    return results


def _overwrite(existing, data, dry_run, user):
    current = workflow_export_data(existing)
    if all(current[field] == value for field, value in _full(data).items()):
        return "unchanged", existing
    if dry_run:
        return "overwrite", existing
    return "overwrite", services.workflow_update(
        workflow=existing, data=data, user=user, comment="Overwritten by an import"
    )


def _full(data):
    """The exported fields a full replace would store (omitted ones at their defaults)."""
    defaults = {
        "description": None,
        "status": "DRAFT",
        "triggers": [],
        "errorHandlers": [],
        "timeout": None,
        "retryPolicy": None,
        "metadata": {},
    }
    full = {**defaults, **data}
    full["errorHandlers"] = full["errorHandlers"] or []
    return {field: full[field] for field in EXPORTED_FIELDS}
