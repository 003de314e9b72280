"""Leaner step indexes, built without stopping the engine on PostgreSQL.

Django's own operations for this change hold the step table's lock while they build the new
indexes, and an AlterField of `db_index` drops and re-checks each foreign key as well: on a
large table, minutes in which no step can be recorded. Here the new indexes are built
concurrently first, then the ones they replace are dropped concurrently; the foreign keys stay
as they are. The migration state is the same as Django's operations would leave.
"""

import django.db.models.deletion
from django.db import migrations, models

OPEN = models.Q(status__in=["PENDING", "WAITING", "RUNNING"])
FAILED = models.Q(status__in=["FAILED", "TIMED_OUT", "CANCELLED"])
NEW_INDEXES = [
    models.Index(condition=OPEN, fields=["status", "scheduled_at"], name="step_open_idx"),
    models.Index(condition=models.Q(status="RUNNING"), fields=["lease_expires_at"], name="step_lease_idx"),
    models.Index(condition=FAILED, fields=["status", "created_at"], name="step_failed_idx"),
]
OLD_INDEXES = [
    models.Index(fields=["status", "scheduled_at"], name="executions__status_80d34d_idx"),
    models.Index(fields=["status", "lease_expires_at"], name="executions__status_db8cd9_idx"),
]
# The foreign keys' own indexes (named as 0001 created them), which composite indexes now cover.
KEY_INDEXES = [
    ("stepexecution", "execution", "executions_stepexecution_execution_id_3a25b656"),
    ("stepexecution", "parent", "executions_stepexecution_parent_id_0496cd8f"),
    ("workflowexecution", "workflow", "executions_workflowexecution_workflow_id_3ac5a6ed"),
]


def _options(schema_editor):
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


def forwards(apps, schema_editor):
    step = apps.get_model("executions", "StepExecution")
    for index in NEW_INDEXES:
        schema_editor.add_index(step, index, **_options(schema_editor))
    for index in OLD_INDEXES:
        schema_editor.remove_index(step, index, **_options(schema_editor))
    for model_name, field, name in KEY_INDEXES:
        model = apps.get_model("executions", model_name)
        schema_editor.remove_index(model, models.Index(fields=[field], name=name), **_options(schema_editor))


def backwards(apps, schema_editor):
    step = apps.get_model("executions", "StepExecution")
    for model_name, field, name in KEY_INDEXES:
        model = apps.get_model("executions", model_name)
        schema_editor.add_index(model, models.Index(fields=[field], name=name), **_options(schema_editor))
    for index in OLD_INDEXES:
        schema_editor.add_index(step, index, **_options(schema_editor))
    for index in NEW_INDEXES:
        schema_editor.remove_index(step, index, **_options(schema_editor))


class Migration(migrations.Migration):
    # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ('executions', '0008_h_step_scope_index'),
        ('workflows', '0004_encrypted_config'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.RemoveIndex(model_name='stepexecution', name='executions__status_80d34d_idx'),
                migrations.RemoveIndex(model_name='stepexecution', name='executions__status_db8cd9_idx'),
                migrations.AlterField(
                    model_name='stepexecution',
                    name='execution',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='steps_executed', to='executions.workflowexecution'),
                ),
                migrations.AlterField(
                    model_name='stepexecution',
                    name='parent',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='children', to='executions.stepexecution'),
                ),
                migrations.AlterField(
                    model_name='workflowexecution',
                    name='workflow',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='executions', to='workflows.workflow'),
                ),
                *[migrations.AddIndex(model_name='stepexecution', index=index) for index in NEW_INDEXES],
            ],
        ),
    ]
