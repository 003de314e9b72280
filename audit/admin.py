"""The audit trail in the admin: read-only for everyone, superusers included."""

from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_username", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type", "created_at"]
    search_fields = ["actor_username", "target_id", "action"]
    date_hierarchy = "created_at"
    fields = ["created_at", "actor", "actor_username", "action", "target_type", "target_id", "details"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
