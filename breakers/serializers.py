"""Circuit breaker representations, in the spec's camelCase."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from breakers import state
from breakers.models import BreakerTransition, CircuitBreaker
from orchestration_site.fields import UTCDateTimeField
from orchestration_site.serializers import ModelSerializer

HISTORY_LENGTH = 50


class CircuitBreakerSerializer(ModelSerializer):
    serviceId = serializers.CharField(source="service_id", read_only=True)
    failureCount = serializers.IntegerField(source="failure_count", read_only=True)
    lastFailureTime = UTCDateTimeField(source="last_failure_time", read_only=True, allow_null=True)
    lastSuccessTime = UTCDateTimeField(source="last_success_time", read_only=True, allow_null=True)
    halfOpenMaxCalls = serializers.IntegerField(source="half_open_max_calls", read_only=True)
    halfOpenCalls = serializers.IntegerField(source="half_open_calls", read_only=True)
    openedAt = UTCDateTimeField(source="opened_at", read_only=True, allow_null=True)
    createdAt = UTCDateTimeField(source="created_at", read_only=True)
    updatedAt = UTCDateTimeField(source="updated_at", read_only=True)

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


class BreakerTransitionSerializer(ModelSerializer):
    fromState = serializers.CharField(source="from_state")
    toState = serializers.CharField(source="to_state")

    class Meta:
        model = BreakerTransition
        fields = ["at", "fromState", "toState", "reason"]
        read_only_fields = fields


class CircuitBreakerDetailSerializer(CircuitBreakerSerializer):
    """A breaker with when it may half-open and its recent transitions (newest first)."""

    mayHalfOpenAt = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(CircuitBreakerSerializer.Meta):
        fields = [*CircuitBreakerSerializer.Meta.fields, "mayHalfOpenAt", "history"]
        read_only_fields = fields

    def get_mayHalfOpenAt(self, breaker) -> str | None:
        when = state.may_half_open_at(
            state.Snapshot(breaker.state, 0, 1, breaker.timeout, 1, 0, opened_at=breaker.opened_at)
        )
        return UTCDateTimeField().to_representation(when) if when else None

    @extend_schema_field(BreakerTransitionSerializer(many=True))
    def get_history(self, breaker):
        return BreakerTransitionSerializer(breaker.transitions.all()[:HISTORY_LENGTH], many=True).data


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
