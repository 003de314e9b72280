"""Firing records and the events API body, in the spec's camelCase."""

from rest_framework import serializers

from executions.models import TriggerFiring
from executions.serializers import StrictSerializer
from orchestration_site.fields import StrictCharField, UTCDateTimeField
from orchestration_site.serializers import ModelSerializer


class TriggerFiringSerializer(ModelSerializer):
    workflowId = serializers.UUIDField(source="workflow_id", read_only=True)
    triggerIndex = serializers.IntegerField(source="trigger_index", read_only=True)
    dueAt = UTCDateTimeField(source="due_at", read_only=True)
    deliveryId = serializers.CharField(source="delivery_id", read_only=True)
    idempotencyKey = serializers.CharField(source="idempotency_key", read_only=True)
    eventType = serializers.CharField(source="event_type", read_only=True)
    executionId = serializers.UUIDField(source="execution_id", read_only=True)
    executionStatus = serializers.CharField(source="execution.status", read_only=True, default=None)
    createdAt = UTCDateTimeField(source="created_at", read_only=True)

    class Meta:
        model = TriggerFiring
        fields = [
            "id",
            "workflowId",
            "triggerIndex",
            "source",
            "dueAt",
            "deliveryId",
            "idempotencyKey",
            "eventType",
            "executionId",
            "executionStatus",
            "createdAt",
        ]
        read_only_fields = fields


class EventSerializer(StrictSerializer):
    type = StrictCharField(max_length=200)
    payload = serializers.DictField(required=False, default=dict)
    idempotencyKey = StrictCharField(max_length=200, required=False, allow_null=True, default=None)
