"""REST endpoints for workflows and config values: thin, each calls one service."""

import uuid

from django.db import transaction
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from orchestration_site.permissions import has_perm
from workflows import library, selectors, services, transfer
from workflows.filters import ConfigEntryFilter, WorkflowFilter
from workflows.models import ConfigEntry, Workflow
from workflows.serializers import (
    ConfigEntrySerializer,
    TemplateSerializer,
    WorkflowSerializer,
    WorkflowVersionSerializer,
)

ADD_PERMISSION = "workflows.add_workflow"
CHANGE_PERMISSION = "workflows.change_workflow"
VIEW_PERMISSION = "workflows.view_workflow"


def _object_body(request, allowed=None):
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": ["Expected a JSON object."]})
    if allowed is not None:
        unknown = sorted(set(request.data) - set(allowed))
        if unknown:
            raise ValidationError({name: "Unknown field." for name in unknown})
    return request.data


def _flag(request, name):
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "1", "false", "0"):
        raise ValidationError({name: "Expected true or false."})
    return value in ("true", "1")


def export_response(text, filename):
    """The export bundle as a JSON download; the body is exactly the bundle's text."""
    response = HttpResponse(text.encode(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_filename(workflow):
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in workflow.name.lower()).strip("-") or "workflow"
    return f"{slug}.json"


RollbackRequest = inline_serializer("Rollback", {"version": serializers.IntegerField(min_value=1)})
ImportResult = inline_serializer(
    "ImportResult",
    {
        "dryRun": serializers.BooleanField(),
        "results": inline_serializer(
            "ImportResultItem",
            {
                "name": serializers.CharField(),
                "action": serializers.ChoiceField(["create", "overwrite", "skip", "unchanged"]),
                "id": serializers.UUIDField(allow_null=True),
                "version": serializers.IntegerField(allow_null=True),
            },
            many=True,
        ),
    },
)


def _as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _refuse_changed_read_only(workflow, data):
    """`id` and `version` may be sent back as read, never changed (the timestamps are ignored)."""
    errors = {}
    if "id" in data and _as_uuid(data["id"]) != workflow.pk:
        errors["id"] = f"Read-only: this workflow's id is {workflow.pk}."
    version = data.get("version")
    if "version" in data and (isinstance(version, bool) or version != workflow.version):
        errors["version"] = (
            f"Read-only: the workflow is at version {workflow.version} "
            "(it moves when the definition changes; POST …/rollback restores an earlier one)."
        )
    if errors:
        raise ValidationError(errors)


class WorkflowViewSet(viewsets.ModelViewSet):
    """Create, list, read, update and delete workflow definitions."""

    queryset = Workflow.objects.all()
    serializer_class = WorkflowSerializer
    filterset_class = WorkflowFilter

    def create(self, request, *args, **kwargs):
        workflow = services.workflow_create(data=_object_body(request), user=request.user)
        return Response(self.get_serializer(workflow).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        workflow, data = self.get_object(), _object_body(request)
        _refuse_changed_read_only(workflow, data)
        workflow = services.workflow_update(
            workflow=workflow,
            data=data,
            partial=kwargs.get("partial", False),
            user=request.user,
        )
        return Response(self.get_serializer(workflow).data)

    def perform_destroy(self, instance):
        services.workflow_delete(workflow=instance, user=self.request.user)

    @extend_schema(responses=WorkflowVersionSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=WorkflowVersionSerializer, filterset_class=None)
    def versions(self, request, pk=None):
        """Every version of the workflow's definition, newest first."""
        page = self.paginate_queryset(selectors.workflow_versions(workflow=self.get_object()))
        return self.get_paginated_response(WorkflowVersionSerializer(page, many=True).data)

    @extend_schema(responses=WorkflowVersionSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"versions/(?P<number>[0-9]+)",
        serializer_class=WorkflowVersionSerializer,
        filterset_class=None,
    )
    def version(self, request, pk=None, number=None):
        """One version of the workflow's definition."""
        found = selectors.workflow_versions(workflow=self.get_object()).filter(version=int(number)).first()
        if found is None:
            raise Http404(f"This workflow has no version {number}.")
        return Response(WorkflowVersionSerializer(found).data)

    @extend_schema(request=RollbackRequest, responses=WorkflowSerializer)
    @action(detail=True, methods=["post"], permission_classes=[has_perm(CHANGE_PERMISSION)])
    def rollback(self, request, pk=None):
        """Make a new version whose definition equals an earlier one."""
        body = _object_body(request, allowed=["version"])
        number = body.get("version")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValidationError({"version": "Give the version number to roll back to (an integer from 1)."})
        workflow = services.workflow_rollback(workflow=self.get_object(), version=number, user=request.user)
        return Response(self.get_serializer(workflow).data)

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], filterset_class=None)
    def export(self, request, pk=None):
        """The workflow as an export bundle (no ids, versions or timestamps)."""
        workflow = self.get_object()
        return export_response(transfer.workflows_export([workflow]), export_filename(workflow))

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("onConflict", enum=list(transfer.ON_CONFLICT), default="skip"),
            OpenApiParameter("dryRun", bool, default=False),
        ],
        responses={200: ImportResult, 400: OpenApiResponse(description="Errors, each with its path")},
    )
    @action(detail=False, methods=["post"], url_path="import", filterset_class=None)
    def import_bundle(self, request):
        """Import an export bundle or one workflow; a dry run lists what would change."""
        on_conflict = request.query_params.get("onConflict", "skip")
        if on_conflict == "overwrite" and not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied("Overwriting needs the permission to change workflows.")
        dry_run = _flag(request, "dryRun")
        results = transfer.workflows_import(
            payload=request.data, on_conflict=on_conflict, dry_run=dry_run, user=request.user
        )
        return Response({"dryRun": dry_run, "results": results})


class ConfigEntryViewSet(viewsets.ModelViewSet):
    """The config store read by `{{config.key}}`; secret values are write-only."""

    queryset = ConfigEntry.objects.all()
    serializer_class = ConfigEntrySerializer
    lookup_field = "key"
    lookup_value_regex = r"[^/]+"
    filterset_class = ConfigEntryFilter

    # Each write and its audit record commit together.
    @transaction.atomic
    def perform_create(self, serializer):
        services.config_audit(entry=serializer.save(), actor=self.request.user)

    @transaction.atomic
    def perform_update(self, serializer):
        services.config_audit(entry=serializer.save(), actor=self.request.user)

    @transaction.atomic
    def perform_destroy(self, instance):
        services.config_audit(entry=instance, actor=self.request.user, deleted=True)
        instance.delete()


InstantiateRequest = inline_serializer(
    "Instantiate",
    {
        "name": serializers.CharField(required=False),
        "parameters": serializers.DictField(required=False),
        "status": serializers.CharField(required=False),
    },
)


SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The template's slug.")


class TemplateViewSet(viewsets.GenericViewSet):
    """The templates library: list, read, and create a workflow from a template."""

    serializer_class = TemplateSerializer
    # Templates are files, not rows; the schema generator still asks every view for a model.
    queryset = Workflow.objects.none()
    # Reading templates is reading workflow definitions: the same permission as the workflows list.
    permission_classes = [has_perm(VIEW_PERMISSION)]
    lookup_field = "slug"
    lookup_value_regex = r"[a-z0-9-]+"

    def _template(self):
        try:
            return library.template_get(self.kwargs["slug"])
        except library.TemplateNotFound:
            raise Http404("No template with that slug.") from None

    @extend_schema(responses=TemplateSerializer(many=True))
    def list(self, request):
        templates = [{k: v for k, v in t.items() if k != "workflow"} for t in library.template_list()]
        page = self.paginate_queryset(templates)
        return self.get_paginated_response(TemplateSerializer(page, many=True).data)

    @extend_schema(parameters=[SLUG])
    def retrieve(self, request, slug=None):
        return Response(TemplateSerializer(self._template()).data)

    @extend_schema(request=InstantiateRequest, responses={201: WorkflowSerializer}, parameters=[SLUG])
    @action(detail=True, methods=["post"], permission_classes=[has_perm(ADD_PERMISSION)])
    def instantiate(self, request, slug=None):
        """Create a workflow from the template, its parameters filled in: 201 with the workflow."""
        template = self._template()
        body = _object_body(request, allowed=["name", "parameters", "status"])
        workflow = services.workflow_create_from_template(
            slug=template["slug"],
            parameters=body.get("parameters", {}),
            name=body.get("name"),
            status=body.get("status"),
            user=request.user,
        )
        return Response(WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)
