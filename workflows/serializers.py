"""Workflow and config representations, in the spec's camelCase."""

from rest_framework import serializers

from orchestration_site.fields import StrictBooleanField, UTCDateTimeField
from orchestration_site.masking import SECRET_MASK, secret_value_problem
from orchestration_site.serializers import ModelSerializer
from workflows.models import ConfigEntry, Workflow, WorkflowVersion


class WorkflowSerializer(ModelSerializer):
    """Output shape of a workflow; input is checked by the definition validator."""

    errorHandlers = serializers.JSONField(source="error_handlers", required=False, allow_null=True)
    createdAt = UTCDateTimeField(source="created_at", read_only=True)
    updatedAt = UTCDateTimeField(source="updated_at", read_only=True)
    triggers = serializers.JSONField(required=False)
    steps = serializers.JSONField()
    metadata = serializers.JSONField(required=False, allow_null=True)
    retryPolicy = serializers.JSONField(source="retry_policy", required=False, allow_null=True)

    class Meta:
        model = Workflow
        fields = [
            "id",
            "name",
            "description",
            "version",
            "status",
            "category",
            "triggers",
            "steps",
            "errorHandlers",
            "timeout",
            "retryPolicy",
            "metadata",
            "createdAt",
            "updatedAt",
        ]
        read_only_fields = ["id", "version", "createdAt", "updatedAt"]


class WorkflowVersionSerializer(ModelSerializer):
    """One immutable version of a workflow's definition."""

    workflowId = serializers.UUIDField(source="workflow_id", read_only=True)
    errorHandlers = serializers.JSONField(source="error_handlers")
    retryPolicy = serializers.JSONField(source="retry_policy")
    triggers = serializers.JSONField()
    steps = serializers.JSONField()
    createdAt = UTCDateTimeField(source="created_at")
    createdBy = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = WorkflowVersion
        fields = [
            "workflowId",
            "version",
            "triggers",
            "steps",
            "errorHandlers",
            "timeout",
            "retryPolicy",
            "comment",
            "createdAt",
            "createdBy",
        ]
        read_only_fields = fields


class TemplateParameterSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    type = serializers.CharField()
    required = serializers.BooleanField(default=False)
    default = serializers.JSONField(required=False)


class TemplateSerializer(serializers.Serializer):
    """A library template: its parameters and, on detail, the workflow it makes."""

    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    parameters = TemplateParameterSerializer(many=True)
    workflow = serializers.JSONField(required=False)


class ConfigEntrySerializer(ModelSerializer):
    """A config value; a secret's value is write-only and shown as ***."""

    isSecret = StrictBooleanField(source="is_secret", required=False, default=False)
    value = serializers.JSONField(allow_null=True)
    createdAt = UTCDateTimeField(source="created_at", read_only=True)
    updatedAt = UTCDateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = ConfigEntry
        fields = ["key", "value", "isSecret", "description", "createdAt", "updatedAt"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            fields["key"].required = False  # the URL names the entry being replaced
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.is_secret:
            data["value"] = SECRET_MASK
        return data

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({name: "Unknown field." for name in sorted(unknown)})
        unmasking = self.instance is not None and self.instance.is_secret and attrs.get("is_secret") is False
        if unmasking and "value" not in attrs:
            raise serializers.ValidationError(
                {"isSecret": "A secret's value is write-only: give a new value to make it public."}
            )
        was_secret = self.instance is not None and self.instance.is_secret
        # Checked when a value is written as a secret, or a public one becomes secret; a stored
        # secret whose description alone changes keeps its value as it is.
        if attrs.get("is_secret", was_secret) and ("value" in attrs or not was_secret):
            value = attrs["value"] if "value" in attrs else getattr(self.instance, "value", None)
            if problem := secret_value_problem(value):
                raise serializers.ValidationError({"value": problem})
        return attrs
