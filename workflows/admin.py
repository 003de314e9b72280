"""The workflow editor and the config store in the admin."""

from django import forms
from django.contrib import admin
from django.db import models
from django_json_widget.widgets import JSONEditorWidget

from workflows import services
from workflows.definition import DefinitionError, validate_definition
from workflows.models import ConfigEntry, Workflow

FIELD_OF_PATH = {
    "steps": "steps",
    "triggers": "triggers",
    "errorHandlers": "error_handlers",
    "name": "name",
    "category": "category",
    "status": "status",
    "timeout": "timeout",
    "metadata": "metadata",
    "description": "description",
    "retryPolicy": "retry_policy",
}


class SafeJSONEditorWidget(JSONEditorWidget):
    """A JSON editor that shows text which is not JSON back as typed; the field reports the error."""

    def format_value(self, value):
        try:
            return super().format_value(value)
        except ValueError:
            return value


class WorkflowForm(forms.ModelForm):
    class Meta:
        model = Workflow
        fields = [
            "name",
            "description",
            "status",
            "category",
            "triggers",
            "steps",
            "error_handlers",
            "timeout",
            "retry_policy",
            "metadata",
        ]

    def clean(self):
        cleaned = super().clean()
        if "triggers" in cleaned and cleaned["triggers"] is None:
            cleaned["triggers"] = []  # an emptied editor means no triggers
        data = {api: cleaned.get(attr) for api, attr in services.WRITABLE_FIELDS.items() if attr in cleaned}
        data = {key: value for key, value in data.items() if value is not None or key in ("description",)}
        try:
            validate_definition(data)
        except DefinitionError as error:
            for problem in error.errors:
                head = problem["path"].split("[")[0].split(".")[0]
                field = FIELD_OF_PATH.get(head)
                message = f"{problem['path']}: {problem['message']}" if problem["path"] else problem["message"]
                if field and field in self.fields and field not in self.errors.get(field, []):
                    self.add_error(field, message)
                else:
                    self.add_error(None, message)
        return cleaned


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    form = WorkflowForm
    list_display = ["name", "category", "status", "version", "updated_at"]
    list_filter = ["status", "category", "updated_at"]
    search_fields = ["name", "description", "category"]
    readonly_fields = ["id", "version", "created_at", "updated_at"]
    formfield_overrides = {models.JSONField: {"widget": SafeJSONEditorWidget(height="360px")}}
    fieldsets = [
        (None, {"fields": ["name", "description", "status", "category", "timeout"]}),
        ("Definition", {"fields": ["steps", "triggers", "error_handlers", "retry_policy"]}),
        ("More", {"fields": ["metadata", "id", "version", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def save_model(self, request, obj, form, change):
        data = {api: getattr(obj, attr) for api, attr in services.WRITABLE_FIELDS.items()}
        if change:
            saved = services.workflow_update(workflow=Workflow.objects.get(pk=obj.pk), data=data, actor=request.user)
            obj.version = saved.version
        else:
            saved = services.workflow_create(data=data, actor=request.user)
            obj.pk = saved.pk
            obj._state.adding = False

    def delete_model(self, request, obj):
        services.workflow_delete(workflow=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for workflow in queryset:
            services.workflow_delete(workflow=workflow, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.executions.exists():
            return False
        return super().has_delete_permission(request, obj)


class ConfigEntryForm(forms.ModelForm):
    """A secret's stored value is never sent back to the browser; leave it blank to keep it."""

    value = forms.JSONField(required=False, widget=SafeJSONEditorWidget(height="160px"))

    class Meta:
        model = ConfigEntry
        fields = ["key", "value", "is_secret", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_secret:
            self.initial["value"] = None
            self.fields["value"].help_text = "Secret: the stored value is hidden. Leave empty to keep it."

    def clean_value(self):
        value = self.cleaned_data.get("value")
        if value is None and self.instance.pk and self.instance.is_secret:
            self.keeps_secret_value = True
            return self.instance.value
        return value

    def clean(self):
        cleaned = super().clean()
        if getattr(self, "keeps_secret_value", False) and not cleaned.get("is_secret"):
            self.add_error("value", "Give a new value to make a secret public: the stored one is never shown.")
        return cleaned


@admin.register(ConfigEntry)
class ConfigEntryAdmin(admin.ModelAdmin):
    form = ConfigEntryForm
    list_display = ["key", "shown_value", "is_secret", "updated_at"]
    list_filter = ["is_secret"]
    search_fields = ["key", "description"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.config_audit(entry=obj, actor=request.user)

    def delete_model(self, request, obj):
        services.config_audit(entry=obj, actor=request.user, deleted=True)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            self.delete_model(request, entry)

    @admin.display(description="value")
    def shown_value(self, obj):
        return "***" if obj.is_secret else str(obj.value)[:80]
