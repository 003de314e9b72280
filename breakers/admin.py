"""Circuit breakers in the admin: state at a glance, reset through the service."""

from django import forms
from django.contrib import admin, messages

from breakers import services
from breakers.models import BreakerTransition, CircuitBreaker
from breakers.serializers import CircuitBreakerConfigSerializer

_LIMITS = CircuitBreakerConfigSerializer().fields


class CircuitBreakerForm(forms.ModelForm):
    """The bounds of PUT /config: threshold ≥ 1, timeout > 0, halfOpenMaxCalls ≥ 1."""

    threshold = forms.IntegerField(min_value=1, max_value=_LIMITS["threshold"].max_value)
    timeout = forms.IntegerField(
        min_value=1, max_value=_LIMITS["timeout"].max_value, help_text="Milliseconds before a half-open probe."
    )
    half_open_max_calls = forms.IntegerField(min_value=1, max_value=_LIMITS["halfOpenMaxCalls"].max_value)

    class Meta:
        model = CircuitBreaker
        fields = ["threshold", "timeout", "half_open_max_calls"]


class TransitionInline(admin.TabularInline):
    """The breaker's history, newest first (read-only)."""

    model = BreakerTransition
    extra = 0
    can_delete = False
    fields = ["at", "from_state", "to_state", "reason"]
    readonly_fields = fields
    ordering = ["-at", "-id"]
    verbose_name_plural = "history"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CircuitBreaker)
class CircuitBreakerAdmin(admin.ModelAdmin):
    form = CircuitBreakerForm
    inlines = [TransitionInline]
    list_display = [
        "service_id",
        "state",
        "failure_count",
        "threshold",
        "timeout",
        "half_open_max_calls",
        "last_failure_time",
        "last_success_time",
    ]
    list_filter = ["state"]
    search_fields = ["service_id"]
    readonly_fields = [
        "id",
        "service_id",
        "state",
        "failure_count",
        "last_failure_time",
        "last_success_time",
        "half_open_calls",
        "opened_at",
        "created_at",
        "updated_at",
    ]
    fields = [
        "service_id",
        "state",
        "threshold",
        "timeout",
        "half_open_max_calls",
        "failure_count",
        "half_open_calls",
        "opened_at",
        "last_failure_time",
        "last_success_time",
        "created_at",
        "updated_at",
    ]
    actions = ["reset_breakers"]

    def has_add_permission(self, request):
        return False  # breakers are created by the engine on first use

    @admin.action(description="Reset to CLOSED (zero counters)", permissions=["change"])
    def reset_breakers(self, request, queryset):
        for breaker in queryset:
            services.breaker_reset(breaker=breaker, actor=request.user)
        self.message_user(request, f"Reset {queryset.count()} breaker(s).", messages.SUCCESS)

    def delete_model(self, request, obj):
        services.breaker_delete(breaker=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for breaker in queryset:
            services.breaker_delete(breaker=breaker, actor=request.user)

    def save_model(self, request, obj, form, change):
        config = {"threshold": obj.threshold, "timeout": obj.timeout, "halfOpenMaxCalls": obj.half_open_max_calls}
        services.breaker_configure(breaker=obj, config=config, actor=request.user)
