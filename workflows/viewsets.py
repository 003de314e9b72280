"""REST endpoints for workflows and config values: thin, each calls one service."""

from django.db import transaction
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from workflows import services
from workflows.filters import ConfigEntryFilter, WorkflowFilter
from workflows.models import ConfigEntry, Workflow
from workflows.serializers import ConfigEntrySerializer, WorkflowSerializer


def _object_body(request):
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": ["Expected a JSON object."]})
    return request.data


class WorkflowViewSet(viewsets.ModelViewSet):
    """Create, list, read, update and delete workflow definitions."""

    queryset = Workflow.objects.all()
    serializer_class = WorkflowSerializer
    filterset_class = WorkflowFilter

    def create(self, request, *args, **kwargs):
        workflow = services.workflow_create(data=_object_body(request), actor=request.user)
        return Response(self.get_serializer(workflow).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        workflow = services.workflow_update(
            workflow=self.get_object(),
            data=_object_body(request),
            partial=kwargs.get("partial", False),
            actor=request.user,
        )
        return Response(self.get_serializer(workflow).data)

    def perform_destroy(self, instance):
        services.workflow_delete(workflow=instance, actor=self.request.user)


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
