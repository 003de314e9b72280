"""Execution, step record and orchestration shapes, in the spec's camelCase."""

from collections.abc import Mapping

from rest_framework import serializers

from executions.models import StepExecution, WorkflowExecution
from orchestration_site.fields import StrictBooleanField, StrictCharField, UTCDateTimeField
from orchestration_site.serializers import ModelSerializer


class StrictSerializer(serializers.Serializer):
    """Reject fields this serializer does not know, naming them (nested ones too)."""

    def to_internal_value(self, data):
        names = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        unknown = {name: ["Unknown field."] for name in names}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class StepExecutionSerializer(ModelSerializer):
    executionId = serializers.UUIDField(source="execution_id", read_only=True)
    parentId = serializers.UUIDField(source="parent_id", read_only=True, allow_null=True)
    stepId = serializers.CharField(source="step_id")
    stepName = serializers.CharField(source="step_name")
    stepType = serializers.CharField(source="step_type")
    itemIndex = serializers.IntegerField(source="item_index", allow_null=True)
    startedAt = UTCDateTimeField(source="started_at", allow_null=True)
    completedAt = UTCDateTimeField(source="completed_at", allow_null=True)
    scheduledAt = UTCDateTimeField(source="scheduled_at", allow_null=True)
    errorType = serializers.CharField(source="error_type", allow_null=True)

    class Meta:
        model = StepExecution
        fields = [
            "id",
            "executionId",
            "parentId",
            "key",
            "stepId",
            "stepName",
            "stepType",
            "itemIndex",
            "status",
            "input",
            "output",
            "startedAt",
            "completedAt",
            "scheduledAt",
            "duration",
            "attempt",
            "error",
            "errorType",
            "logs",
        ]
        read_only_fields = fields


class ExecutionSerializer(ModelSerializer):
    workflowId = serializers.UUIDField(source="workflow_id", read_only=True, allow_null=True)
    workflowVersion = serializers.IntegerField(source="workflow_version", read_only=True)
    requestId = serializers.CharField(source="request_id", read_only=True, allow_null=True)
    currentStepId = serializers.CharField(source="current_step_id", read_only=True, allow_null=True)
    startedAt = UTCDateTimeField(source="started_at", read_only=True)
    completedAt = UTCDateTimeField(source="completed_at", read_only=True, allow_null=True)
    errorType = serializers.CharField(source="error_type", read_only=True, allow_null=True)

    class Meta:
        model = WorkflowExecution
        fields = [
            "id",
            "workflowId",
            "workflowVersion",
            "requestId",
            "status",
            "input",
            "output",
            "currentStepId",
            "startedAt",
            "completedAt",
            "duration",
            "error",
            "errorType",
            "metadata",
        ]
        read_only_fields = fields


class ExecutionDetailSerializer(ExecutionSerializer):
    stepsExecuted = StepExecutionSerializer(source="steps_executed", many=True, read_only=True)

    class Meta(ExecutionSerializer.Meta):
        fields = ExecutionSerializer.Meta.fields + ["stepsExecuted"]
        read_only_fields = fields


class ExecuteRequestSerializer(StrictSerializer):
    input = serializers.DictField(required=False, default=dict)
    metadata = serializers.DictField(required=False, default=dict)
    testRun = StrictBooleanField(required=False, default=False)


class OrchestrationOptionsSerializer(StrictSerializer):
    stopOnFirstError = StrictBooleanField(required=False, default=True)
    enableLogging = StrictBooleanField(required=False, default=True)
    timeout = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=60_000,
        help_text="Milliseconds to wait for the result before answering 202.",
    )
    executionTimeout = serializers.IntegerField(required=False, min_value=1, max_value=7 * 24 * 3600 * 1000)


class OrchestrationRequestSerializer(StrictSerializer):
    requestId = StrictCharField(required=False, max_length=200)
    steps = serializers.ListField(child=serializers.JSONField(), max_length=500)
    errorHandlers = serializers.ListField(child=serializers.JSONField(), required=False, default=list)
    context = serializers.DictField(required=False, default=dict)
    options = OrchestrationOptionsSerializer(required=False, default=dict)


class OrchestrationResultSerializer(ExecutionDetailSerializer):
    executionId = serializers.UUIDField(source="id", read_only=True)

    class Meta(ExecutionDetailSerializer.Meta):
        fields = ["executionId"] + ExecutionDetailSerializer.Meta.fields
        read_only_fields = fields


class RerunRequestSerializer(StrictSerializer):
    fromStepId = StrictCharField(required=False, help_text="A top-level step to start from.")
