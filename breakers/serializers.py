"""Circuit breaker representations, in the spec's camelCase."""

from rest_framework import serializers

from breakers.models import CircuitBreaker


class CircuitBreakerSerializer(serializers.ModelSerializer):
    serviceId = serializers.CharField(source="service_id", read_only=True)
    failureCount = serializers.IntegerField(source="failure_count", read_only=True)
    lastFailureTime = serializers.DateTimeField(source="last_failure_time", read_only=True)
    lastSuccessTime = serializers.DateTimeField(source="last_success_time", read_only=True)
    halfOpenMaxCalls = serializers.IntegerField(source="half_open_max_calls", read_only=True)
    halfOpenCalls = serializers.IntegerField(source="half_open_calls", read_only=True)
    openedAt = serializers.DateTimeField(source="opened_at", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = CircuitBreaker
        fields = [
            "id",
            "serviceId",
            "state",
            "failureCount",
            "lastFailureTime",
            "lastSuccessTime",
            "threshold",
            "timeout",
            "halfOpenMaxCalls",
            "halfOpenCalls",
            "openedAt",
            "createdAt",
            "updatedAt",
        ]
        read_only_fields = fields


class CircuitBreakerConfigSerializer(serializers.Serializer):
    """The writable part of a breaker; state and counters are not writable."""

    threshold = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    timeout = serializers.IntegerField(min_value=1, max_value=7 * 24 * 3600 * 1000, required=False)
    halfOpenMaxCalls = serializers.IntegerField(min_value=1, max_value=10_000, required=False)

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({name: "Unknown or read-only field." for name in sorted(unknown)})
        if not attrs:
            raise serializers.ValidationError("Give at least one of threshold, timeout, halfOpenMaxCalls.")
        return attrs
