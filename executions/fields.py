"""Record fields that mask secrets whenever they are written (save, update, bulk_create alike).

Masking here, at the one place every record value passes on its way to the database, means no
code path (the engine's, an operation's, a future one) can store a secret it came across. They
deconstruct as Django's own fields: masking is how values are written, not a schema change.
"""

from django.db import models

from orchestration_site.masking import mask_known


class MaskedJSONField(models.JSONField):
    """A JSONField whose secret strings are stored as ***."""

    def get_prep_value(self, value):
        return super().get_prep_value(mask_known(value))

    def deconstruct(self):
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs


class MaskedTextField(models.TextField):
    """A TextField whose secret strings are stored as ***."""

    def get_prep_value(self, value):
        return super().get_prep_value(mask_known(value))

    def deconstruct(self):
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.TextField", args, kwargs
