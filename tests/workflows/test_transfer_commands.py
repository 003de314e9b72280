"""manage.py export_workflows and import_workflows: files, stdin/stdout, dry runs, errors."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from workflows import services, transfer
from workflows.models import Workflow, WorkflowVersion

STEP = {"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/ping"}}


@pytest.fixture
def workflows(db):
    services.workflow_create(data={"name": "Beta", "category": "t", "steps": [STEP], "timeout": 900})
    services.workflow_create(data={"name": "Alpha", "category": "t", "steps": [STEP]})


def export(*args):
    out = io.StringIO()
    call_command("export_workflows", *args, stdout=out)
    return out.getvalue()


def import_(*args, stdin=None, **options):
    out = io.StringIO()
    call_command("import_workflows", *args, stdout=out, stdin=stdin, **options)
    return out.getvalue()


def test_export_writes_every_workflow_to_stdout(workflows):
    text = export()

    assert text == transfer.workflows_export(Workflow.objects.all())
    assert [w["name"] for w in json.loads(text)["workflows"]] == ["Alpha", "Beta"]


def test_export_chooses_workflows_by_name_or_id(workflows):
    beta = Workflow.objects.get(name="Beta")

    assert [w["name"] for w in json.loads(export("Beta"))["workflows"]] == ["Beta"]
    assert [w["name"] for w in json.loads(export(str(beta.pk), "Alpha"))["workflows"]] == ["Alpha", "Beta"]


def test_export_of_an_unknown_workflow_fails(workflows):
    with pytest.raises(CommandError, match="No workflow with id or name 'Gamma'"):
        export("Gamma")


def test_export_to_a_file_then_import_from_it_round_trips_bytes(workflows, tmp_path):
    target = tmp_path / "bundle.json"
    call_command("export_workflows", "--output", str(target), stdout=io.StringIO(), stderr=io.StringIO())
    first = target.read_bytes()
    Workflow.objects.all().delete()

    output = import_(str(target))

    assert "create: Alpha" in output and "create: Beta" in output
    assert export().encode() == first


def test_import_reads_stdin(db):
    bundle = json.dumps({"formatVersion": 1, "workflows": [{"name": "Solo", "category": "t", "steps": [STEP]}]})

    output = import_(stdin=io.StringIO(bundle))

    assert "create: Solo (id" in output
    assert Workflow.objects.get().name == "Solo"


def test_import_dry_run_writes_nothing(workflows):
    text = json.dumps({"workflows": [{"name": "Alpha", "category": "changed", "steps": []}]})
    versions = WorkflowVersion.objects.count()

    output = import_("--dry-run", "--on-conflict", "overwrite", stdin=io.StringIO(text))

    assert "would overwrite: Alpha" in output
    assert "dry run: nothing written" in output
    assert Workflow.objects.get(name="Alpha").category == "t"
    assert WorkflowVersion.objects.count() == versions


def test_a_bad_file_among_several_writes_nothing(db, tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"name": "Good", "category": "t", "steps": []}))
    bad.write_text(
        json.dumps(
            {"workflows": [{"name": "Bad", "category": "t", "steps": [{"id": "x", "type": "WAIT", "config": {}}]}]}
        )
    )

    with pytest.raises(CommandError) as error:
        import_(str(good), str(bad))

    assert "bad.json: nothing imported" in str(error.value)
    assert "workflows[0].steps[0].config" in str(error.value)
    assert not Workflow.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        ("{nope", "not JSON"),
        # Valid for Python's json module, but no database stores them: refused as the API refuses them.
        ('{"name": "Odd", "category": "t", "steps": [], "metadata": {"n": NaN}}', "not JSON"),
        ('{"name": "Odd", "category": "t", "steps": [], "description": "a\\u0000b"}', "not JSON"),
    ],
)
def test_unreadable_input_fails_clearly(db, tmp_path, content, message):
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(CommandError, match=message):
        import_(str(path))
