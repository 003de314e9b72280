"""Audit events in the API's camelCase."""

from rest_framework import serializers

from audit.models import AuditEvent
from orchestration_site.fields import UTCDateTimeField
from orchestration_site.serializers import ModelSerializer


class AuditEventSerializer(ModelSerializer):
    createdAt = UTCDateTimeField(source="created_at", read_only=True)
    actor = serializers.CharField(source="actor_username", read_only=True)
    actorId = serializers.IntegerField(source="actor_id", read_only=True, allow_null=True)
    targetType = serializers.CharField(source="target_type", read_only=True)
    targetId = serializers.CharField(source="target_id", read_only=True)
    details = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "createdAt", "actor", "actorId", "action", "targetType", "targetId", "details"]
        read_only_fields = fields
