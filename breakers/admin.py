"""Circuit breakers in the admin: state at a glance, reset through the service."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from breakers import selectors, services
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


STATE_COLOURS = {"CLOSED": "#2e7d32", "OPEN": "#c62828", "HALF_OPEN": "#f9a825"}


def state_badge(value):
    return format_html(
        '<span class="breaker-state" style="color:#fff;background:{};padding:2px 6px;border-radius:3px">{}</span>',
        STATE_COLOURS.get(value, "#555"),
        value,
    )


@admin.register(CircuitBreaker)
class CircuitBreakerAdmin(admin.ModelAdmin):
    form = CircuitBreakerForm
    inlines = [TransitionInline]
    change_list_template = "admin/breakers/circuitbreaker/change_list.html"
    list_display = [
        "service_id",
        "state_colour",
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

    @admin.display(description="state", ordering="state")
    def state_colour(self, obj):
        return state_badge(obj.state)

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("dashboard/", view(self.dashboard_view), name="breakers_circuitbreaker_dashboard"),
            path("<path:object_id>/reset/", view(self.reset_view), name="breakers_circuitbreaker_reset"),
            path("<path:object_id>/configure/", view(self.configure_view), name="breakers_circuitbreaker_configure"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request, forms_by_pk=None):
        """Every breaker at a glance: state in colour, counts, when it may half-open, recent transitions."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        can_change = self.has_change_permission(request)
        breakers = list(selectors.breaker_dashboard())
        for breaker in breakers:
            breaker.badge = state_badge(breaker.state)
            breaker.may_half_open_at = selectors.breaker_may_half_open_at(breaker=breaker)
            breaker.config_form = (forms_by_pk or {}).get(breaker.pk) or CircuitBreakerForm(
                instance=breaker, prefix=str(breaker.pk)
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Circuit breaker dashboard",
            "opts": self.opts,
            "breakers": breakers,
            "can_change": can_change,
            "now": timezone.now(),
        }
        return TemplateResponse(request, "admin/breakers/circuitbreaker/dashboard.html", context)

    def _changeable(self, request, object_id):
        if request.method != "POST":
            return None
        breaker = get_object_or_404(CircuitBreaker, pk=object_id)
        if not self.has_change_permission(request, breaker):
            raise PermissionDenied
        return breaker

    def reset_view(self, request, object_id):
        """Reset one breaker to CLOSED (POST), as POST /api/v1/circuit-breakers/:id/reset does."""
        breaker = self._changeable(request, object_id)
        if breaker is None:
            return HttpResponseNotAllowed(["POST"])
        services.breaker_reset(breaker=breaker, actor=request.user)
        self.message_user(request, f"Reset {breaker.service_id} to CLOSED.", messages.SUCCESS)
        return redirect("admin:breakers_circuitbreaker_dashboard")

    def configure_view(self, request, object_id):
        """Change one breaker's threshold, timeout and halfOpenMaxCalls (POST), with the API's bounds."""
        breaker = self._changeable(request, object_id)
        if breaker is None:
            return HttpResponseNotAllowed(["POST"])
        form = CircuitBreakerForm(request.POST, instance=breaker, prefix=str(breaker.pk))
        if not form.is_valid():
            self.message_user(request, f"{breaker.service_id}: the config was not changed.", messages.ERROR)
            return self.dashboard_view(request, forms_by_pk={breaker.pk: form})
        data = form.cleaned_data
        config = {
            "threshold": data["threshold"],
            "timeout": data["timeout"],
            "halfOpenMaxCalls": data["half_open_max_calls"],
        }
        services.breaker_configure(breaker=CircuitBreaker.objects.get(pk=breaker.pk), config=config, actor=request.user)
        self.message_user(request, f"Saved the config of {breaker.service_id}.", messages.SUCCESS)
        return redirect("admin:breakers_circuitbreaker_dashboard")
