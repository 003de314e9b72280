"""Secret config values are encrypted at rest: existing secrets are encrypted in place."""

from django.db import migrations

import workflows.fields


def encrypt_secrets(apps, schema_editor):
    ConfigEntry = apps.get_model("workflows", "ConfigEntry")
    # Reading through the new field decrypts a value already encrypted, so running twice is safe.
    for pk, value in ConfigEntry.objects.filter(is_secret=True).values_list("pk", "value"):
        if value is not None:
            ConfigEntry.objects.filter(pk=pk).update(value=workflows.fields.Sealed(value))


def decrypt_secrets(apps, schema_editor):
    ConfigEntry = apps.get_model("workflows", "ConfigEntry")
    for pk, value in ConfigEntry.objects.filter(is_secret=True).values_list("pk", "value"):
        ConfigEntry.objects.filter(pk=pk).update(value=value)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0003_workflowversion"),
    ]

    operations = [
        migrations.AlterField(
            model_name="configentry",
            name="value",
            field=workflows.fields.ConfigValueField(blank=True, null=True),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
    ]
