"""The workflow editor and the config store in the admin."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django_json_widget.widgets import JSONEditorWidget
from rest_framework.exceptions import APIException

from executions import services as execution_services
from workflows import services
from workflows.definition import DefinitionError, validate_definition
from workflows.diagram import diagram_of
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


class RunForm(forms.Form):
    """The input of a run started from the editor, as JSON (an object)."""

    input = forms.JSONField(
        required=False, initial=dict, widget=forms.Textarea(attrs={"rows": 10, "cols": 80, "spellcheck": "false"})
    )
    test_run = forms.BooleanField(
        required=False, label="Test run", help_text="Run it even though the workflow is not ACTIVE."
    )

    def clean_input(self):
        value = self.cleaned_data["input"]
        if value is None:
            return {}  # an empty box, or {}
        if not isinstance(value, dict):
            raise forms.ValidationError('The input must be a JSON object, e.g. {"leadId": "lead_123"}.')
        return value


RUN_PERMISSION = "executions.add_workflowexecution"


def _metrics_url(object_id):
    try:
        return reverse("metrics-workflow", kwargs={"workflow_id": object_id})
    except NoReverseMatch:  # not a UUID: the change view answers that the workflow does not exist
        return None


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    form = WorkflowForm
    change_form_template = "admin/workflows/workflow/change_form.html"
    list_display = ["name", "category", "status", "version", "updated_at"]
    list_filter = ["status", "category", "updated_at"]
    search_fields = ["name", "description", "category"]
    readonly_fields = ["id", "version", "created_at", "updated_at", "diagram"]
    formfield_overrides = {models.JSONField: {"widget": SafeJSONEditorWidget(height="360px")}}
    fieldsets = [
        (None, {"fields": ["name", "description", "status", "category", "timeout"]}),
        ("Diagram", {"fields": ["diagram"]}),
        ("Definition", {"fields": ["steps", "triggers", "error_handlers", "retry_policy"]}),
        ("More", {"fields": ["metadata", "id", "version", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is not None else [entry for entry in fieldsets if entry[0] != "Diagram"]

    @admin.display(description="diagram")
    def diagram(self, obj):
        return render_to_string("admin/workflows/diagram.html", {"diagram": diagram_of(obj.definition())})

    def get_urls(self):
        urls = [
            path("<path:object_id>/run/", self.admin_site.admin_view(self.run_view), name="workflows_workflow_run"),
            path(
                "<path:object_id>/duplicate/",
                self.admin_site.admin_view(self.duplicate_view),
                name="workflows_workflow_duplicate",
            ),
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_run": request.user.has_perm(RUN_PERMISSION),
            "can_duplicate": self.has_add_permission(request),
            "executions_url": reverse("admin:executions_workflowexecution_changelist")
            + f"?workflow__id__exact={object_id}",
            "metrics_url": _metrics_url(object_id),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def run_view(self, request, object_id):
        """Run now: a JSON input form; a started run lands on its execution page."""
        workflow = get_object_or_404(Workflow, pk=object_id)
        if not (self.has_view_permission(request, workflow) and request.user.has_perm(RUN_PERMISSION)):
            raise PermissionDenied
        form = RunForm(request.POST or None, initial={"test_run": workflow.status != "ACTIVE"})
        if request.method == "POST" and form.is_valid():
            try:
                execution = execution_services.execution_start(
                    workflow=workflow,
                    input=form.cleaned_data["input"],
                    metadata={"source": "admin"},
                    test_run=form.cleaned_data["test_run"],
                )
            except APIException as error:
                form.add_error(None, str(error.detail))
            else:
                self.message_user(request, f"Started execution {execution.pk}.", messages.SUCCESS)
                return redirect("admin:executions_workflowexecution_change", execution.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Run {workflow.name}",
            "opts": self.opts,
            "original": workflow,
            "form": form,
        }
        return TemplateResponse(request, "admin/workflows/workflow/run.html", context)

    def duplicate_view(self, request, object_id):
        """Duplicate: store a DRAFT copy and open it in the editor."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        workflow = get_object_or_404(Workflow, pk=object_id)
        if not (self.has_view_permission(request, workflow) and self.has_add_permission(request)):
            raise PermissionDenied
        copy = services.workflow_duplicate(workflow=workflow)
        self.message_user(request, f"Duplicated as “{copy.name}” (DRAFT).", messages.SUCCESS)
        return redirect("admin:workflows_workflow_change", copy.pk)

    def save_model(self, request, obj, form, change):
        data = {api: getattr(obj, attr) for api, attr in services.WRITABLE_FIELDS.items()}
        if change:
            saved = services.workflow_update(workflow=Workflow.objects.get(pk=obj.pk), data=data)
            obj.version = saved.version
        else:
            saved = services.workflow_create(data=data)
            obj.pk = saved.pk
            obj._state.adding = False

    def delete_model(self, request, obj):
        services.workflow_delete(workflow=obj)

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

    @admin.display(description="value")
    def shown_value(self, obj):
        return "***" if obj.is_secret else str(obj.value)[:80]
