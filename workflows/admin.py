"""The workflow editor and the config store in the admin."""

import difflib
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django_json_widget.widgets import JSONEditorWidget
from rest_framework.exceptions import APIException

from executions.models import START_PERMISSION, VIEW_PERMISSION
from orchestration_site.masking import secret_value_problem
from orchestration_site.parsers import safe_loads
from workflows import library, selectors, services, transfer
from workflows.definition import DefinitionError, validate_definition
from workflows.diagram import diagram_of
from workflows.models import ConfigEntry, Workflow, WorkflowStatus
from workflows.viewsets import export_filename, export_response

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


def _metrics_url(object_id):
    try:
        return reverse("metrics-workflow", kwargs={"workflow_id": object_id})
    except NoReverseMatch:  # not a UUID: the change view answers that the workflow does not exist
        return None


class ImportForm(forms.Form):
    file = forms.FileField(required=False, help_text="An export bundle (.json).")
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 12, "cols": 100}), label="Or paste")
    on_conflict = forms.ChoiceField(
        choices=[
            ("skip", "Skip workflows whose name exists"),
            ("overwrite", "Overwrite them (a new version)"),
            ("create", "Create a new workflow beside them"),
        ],
        label="On a name conflict",
    )
    dry_run = forms.BooleanField(required=False, initial=True, label="Dry run (only list what would change)")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        text = upload.read().decode("utf-8", errors="replace") if upload else cleaned.get("text", "")
        if not text.strip():
            raise forms.ValidationError("Choose a file or paste a bundle.")
        try:
            cleaned["payload"] = safe_loads(text)  # as the API parses it: nothing unstorable
        except ValueError as error:
            raise forms.ValidationError(f"Not JSON: {error}.") from None
        return cleaned


PARAMETER_FIELDS = {
    "string": forms.CharField,
    "integer": forms.IntegerField,
    "number": forms.FloatField,
    "boolean": forms.BooleanField,
    "array": forms.JSONField,
    "object": forms.JSONField,
}


class TemplateForm(forms.Form):
    """A name, a status and one field per template parameter."""

    name = forms.CharField(required=False, max_length=200, help_text="Leave empty for the template's name.")
    status = forms.ChoiceField(choices=WorkflowStatus.choices, initial=WorkflowStatus.DRAFT)

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        for parameter in template["parameters"]:
            field_class = PARAMETER_FIELDS[parameter["type"]]
            required = bool(parameter.get("required")) and parameter["type"] != "boolean"
            self.fields[f"parameters.{parameter['name']}"] = field_class(
                label=parameter["name"],
                required=required,
                initial=parameter.get("default"),
                help_text=f"{parameter['description']} ({parameter['type']})",
            )

    def parameters(self):
        values = {}
        for parameter in self.template["parameters"]:
            value = self.cleaned_data.get(f"parameters.{parameter['name']}")
            if value is None or value == "":
                continue  # the default applies (or the service reports it as required)
            if parameter["type"] == "number" and float(value).is_integer():
                value = int(value)
            values[parameter["name"]] = value
        return values


MAX_SIDE_BY_SIDE_LINES = 60  # of one changed block: HtmlDiff compares its lines pairwise, characters too


def version_diff_table(old, new, old_label, new_label):
    """Render two definitions as an HTML side-by-side diff of their pretty-printed JSON.

    A changed block longer than MAX_SIDE_BY_SIDE_LINES is shown as a unified diff instead:
    side by side, 480 changed lines took 40 s and then failed.
    """
    lines = [json.dumps(item, indent=2, sort_keys=True, ensure_ascii=False).splitlines() for item in (old, new)]
    blocks = difflib.SequenceMatcher(None, *lines, autojunk=False).get_opcodes()
    if any(tag == "replace" and max(i2 - i1, j2 - j1) > MAX_SIDE_BY_SIDE_LINES for tag, i1, i2, j1, j2 in blocks):
        unified = difflib.unified_diff(*lines, old_label, new_label, n=3, lineterm="")
        return format_html("<pre class='version-diff-unified'>{}</pre>", "\n".join(unified))
    # HtmlDiff escapes every line it shows, so the table is safe to render as it is.
    table = difflib.HtmlDiff(wrapcolumn=90).make_table(*lines, old_label, new_label, context=True, numlines=3)
    return mark_safe(table)  # noqa: S308


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    form = WorkflowForm
    change_form_template = "workflows/admin/workflow_change_form.html"
    change_list_template = "workflows/admin/workflow_change_list.html"
    list_display = ["name", "category", "status", "version", "updated_at"]
    list_filter = ["status", "category", "updated_at"]
    search_fields = ["name", "description", "category"]
    readonly_fields = ["id", "version", "created_at", "updated_at", "firings_link", "diagram"]
    actions = ["run_now"]
    formfield_overrides = {models.JSONField: {"widget": SafeJSONEditorWidget(height="360px")}}
    fieldsets = [
        (None, {"fields": ["name", "description", "status", "category", "timeout"]}),
        ("Diagram", {"fields": ["diagram"]}),
        ("Definition", {"fields": ["steps", "triggers", "firings_link", "error_handlers", "retry_policy"]}),
        ("More", {"fields": ["metadata", "id", "version", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="firings")
    def firings_link(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("admin:executions_triggerfiring_changelist") + f"?workflow__id__exact={obj.pk}"
        return format_html('<a href="{}">{} firing(s): what started this workflow</a>', url, obj.firings.count())

    @admin.action(description="Run selected workflows now (MANUAL trigger)", permissions=["run"])
    def run_now(self, request, queryset):
        # Interfaces may reach across apps; the run itself is the executions app's service.
        from executions.models import TriggerSource
        from executions.triggers.manual import workflow_run

        for workflow in queryset:
            try:
                execution = workflow_run(workflow=workflow, source=TriggerSource.MANUAL, actor=request.user)
            except APIException as error:
                self.message_user(request, f"{workflow.name}: {error.detail}", messages.WARNING)
            else:
                self.message_user(request, f"{workflow.name}: started execution {execution.pk}.", messages.SUCCESS)

    def has_run_permission(self, request):
        return request.user.has_perm(START_PERMISSION)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is not None else [entry for entry in fieldsets if entry[0] != "Diagram"]

    @admin.display(description="diagram")
    def diagram(self, obj):
        return render_to_string("admin/workflows/diagram.html", {"diagram": diagram_of(obj.definition())})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_run": request.user.has_perm(START_PERMISSION),
            "can_duplicate": self.has_add_permission(request),
            "executions_url": reverse("admin:executions_workflowexecution_changelist")
            + f"?workflow__id__exact={object_id}",
            "metrics_url": _metrics_url(object_id) if request.user.has_perm(VIEW_PERMISSION) else None,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def run_view(self, request, object_id):
        """Run now: a JSON input form; a started run lands on its execution page."""
        workflow = get_object_or_404(Workflow, pk=object_id)
        if not (self.has_view_permission(request, workflow) and request.user.has_perm(START_PERMISSION)):
            raise PermissionDenied
        # Never pre-ticked: running a workflow that is not ACTIVE is a choice, as the API's testRun is.
        form = RunForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            # The execute endpoint's service, recorded as a MANUAL firing.
            from executions.models import TriggerSource
            from executions.triggers.manual import workflow_run

            try:
                execution = workflow_run(
                    workflow=workflow,
                    source=TriggerSource.MANUAL,
                    input=form.cleaned_data["input"],
                    metadata={"source": "admin"},
                    test_run=form.cleaned_data["test_run"],
                    actor=request.user,
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
        copy = services.workflow_duplicate(workflow=workflow, user=request.user)
        self.message_user(request, f"Duplicated as “{copy.name}” (DRAFT).", messages.SUCCESS)
        return redirect("admin:workflows_workflow_change", copy.pk)

    def save_model(self, request, obj, form, change):
        data = {api: getattr(obj, attr) for api, attr in services.WRITABLE_FIELDS.items()}
        if change:
            saved = services.workflow_update(workflow=Workflow.objects.get(pk=obj.pk), data=data, user=request.user)
            obj.version = saved.version
        else:
            saved = services.workflow_create(data=data, user=request.user)
            obj.pk = saved.pk
            obj._state.adding = False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="workflows_workflow_import"),
            path("from-template/", view(self.template_list_view), name="workflows_workflow_templates"),
            path("from-template/<slug:slug>/", view(self.template_view), name="workflows_workflow_from_template"),
            path("<path:object_id>/versions/", view(self.versions_view), name="workflows_workflow_versions"),
            path("<path:object_id>/versions/diff/", view(self.diff_view), name="workflows_workflow_diff"),
            path(
                "<path:object_id>/versions/<int:number>/restore/",
                view(self.restore_view),
                name="workflows_workflow_restore",
            ),
            path("<path:object_id>/export/", view(self.export_view), name="workflows_workflow_export"),
            path("<path:object_id>/run/", view(self.run_view), name="workflows_workflow_run"),
            path("<path:object_id>/duplicate/", view(self.duplicate_view), name="workflows_workflow_duplicate"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def _workflow(self, request, object_id, permission="view"):
        workflow = self.get_object(request, object_id)
        if workflow is None:
            raise Http404("No such workflow.")
        allowed = self.has_change_permission if permission == "change" else self.has_view_permission
        if not allowed(request, workflow):
            raise PermissionDenied
        return workflow

    def versions_view(self, request, object_id):
        """Every version of the workflow, with diffs and a restore button for each."""
        workflow = self._workflow(request, object_id)
        versions = list(selectors.workflow_versions(workflow=workflow))
        rows = [
            {"version": version, "previous": versions[index + 1].version if index + 1 < len(versions) else None}
            for index, version in enumerate(versions)
        ]
        context = self._context(
            request,
            f"Versions of {workflow.name}",
            workflow=workflow,
            rows=rows,
            can_restore=self.has_change_permission(request, workflow),
        )
        return TemplateResponse(request, "workflows/admin/workflow_versions.html", context)

    def diff_view(self, request, object_id):
        """A side-by-side diff between two versions (?from=&to=, default: the last two)."""
        workflow = self._workflow(request, object_id)
        versions = selectors.workflow_versions(workflow=workflow)
        try:
            new = int(request.GET.get("to", workflow.version))
            old = int(request.GET.get("from", new - 1))
        except ValueError:
            raise Http404("Versions are numbers.") from None
        old_version = get_object_or_404(versions, version=old)
        new_version = get_object_or_404(versions, version=new)
        table = version_diff_table(
            old_version.definition(), new_version.definition(), f"Version {old}", f"Version {new}"
        )
        context = self._context(
            request,
            f"{workflow.name}: version {old} → {new}",
            workflow=workflow,
            old=old_version,
            new=new_version,
            table=table,
            identical=old_version.definition() == new_version.definition(),
        )
        return TemplateResponse(request, "workflows/admin/workflow_diff.html", context)

    def restore_view(self, request, object_id, number):
        """Confirm, then make a new version equal to version `number` (the API's rollback)."""
        workflow = self._workflow(request, object_id, permission="change")
        version = get_object_or_404(selectors.workflow_versions(workflow=workflow), version=number)
        if request.method == "POST":
            try:
                saved = services.workflow_rollback(workflow=workflow, version=number, user=request.user)
            except DefinitionError as error:
                self.message_user(request, f"Version {number} cannot be restored: {error}", messages.ERROR)
            else:
                if saved.version == workflow.version:
                    self.message_user(request, f"Version {workflow.version} already equals version {number}.")
                else:
                    self.message_user(
                        request, f"Restored version {number} as version {saved.version}.", messages.SUCCESS
                    )
            return redirect(reverse("admin:workflows_workflow_versions", args=[workflow.pk]))
        context = self._context(request, f"Restore version {number} of {workflow.name}?", workflow=workflow)
        context["version"] = version
        return TemplateResponse(request, "workflows/admin/workflow_restore.html", context)

    def export_view(self, request, object_id):
        """Download the workflow's export bundle (the same bytes as the API's export)."""
        workflow = self._workflow(request, object_id)
        return export_response(transfer.workflows_export([workflow]), export_filename(workflow))

    def import_view(self, request):
        """Upload or paste a bundle; a dry run lists what would change."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        results = errors = None
        if request.method == "POST" and form.is_valid():
            on_conflict = form.cleaned_data["on_conflict"]
            if on_conflict == "overwrite" and not self.has_change_permission(request):
                raise PermissionDenied
            try:
                results = transfer.workflows_import(
                    payload=form.cleaned_data["payload"],
                    on_conflict=on_conflict,
                    dry_run=form.cleaned_data["dry_run"],
                    user=request.user,
                )
            except DefinitionError as error:
                errors = error.errors
        context = self._context(
            request,
            "Import workflows",
            form=form,
            results=results,
            errors=errors,
            dry_run=results is not None and form.cleaned_data["dry_run"],
        )
        return TemplateResponse(request, "workflows/admin/workflow_import.html", context)

    def template_list_view(self, request):
        """The templates library, each with a link to create a workflow from it."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = self._context(request, "Create a workflow from a template", templates=library.template_list())
        return TemplateResponse(request, "workflows/admin/workflow_templates.html", context)

    def template_view(self, request, slug):
        """Fill in a template's parameters and create the workflow."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        try:
            template = library.template_get(slug)
        except library.TemplateNotFound:
            raise Http404("No template with that slug.") from None
        form = TemplateForm(request.POST or None, template=template)
        if request.method == "POST" and form.is_valid():
            try:
                workflow = services.workflow_create_from_template(
                    slug=slug,
                    parameters=form.parameters(),
                    name=form.cleaned_data["name"] or None,
                    status=form.cleaned_data["status"],
                    user=request.user,
                )
            except DefinitionError as error:
                for problem in error.errors:
                    field = problem["path"] if problem["path"] in form.fields else None
                    message = problem["message"] if field else f"{problem['path']}: {problem['message']}"
                    form.add_error(field, message)
            else:
                self.message_user(request, f"Created {workflow.name!r} from the template.", messages.SUCCESS)
                return redirect(reverse("admin:workflows_workflow_change", args=[workflow.pk]))
        context = self._context(request, f"New workflow from “{template['name']}”", template=template, form=form)
        return TemplateResponse(request, "workflows/admin/workflow_from_template.html", context)

    def delete_model(self, request, obj):
        services.workflow_delete(workflow=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for workflow in queryset:
            services.workflow_delete(workflow=workflow, user=request.user)

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
        elif getattr(self, "keeps_secret_value", False):
            pass  # the stored secret stays as it is
        elif cleaned.get("is_secret") and "value" in cleaned and (problem := secret_value_problem(cleaned["value"])):
            self.add_error("value", problem)
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

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.is_secret and not self.has_change_permission(request, obj):
            # A view-only page renders each field from the model, i.e. the decrypted value: show the mask.
            return ["shown_value" if name == "value" else name for name in fields]
        return fields
