"""The config store's value field: plain JSON, or a Fernet token when the entry is a secret.

A secret is stored as {"$fernet": "<token>"} and read back as the value it holds, so every
reader (`entry.value`, `values()`, `values_list()`) sees plain values and the database holds
none. Encryption happens when the model is saved or created (also through update_or_create
and bulk_create): `QuerySet.update(value=…)` cannot see `is_secret`, so it stores what it is
given unless that is wrapped in `Sealed`.
"""

from django.db import models

from orchestration_site.masking import remember
from workflows import crypto

ENVELOPE_KEY = "$fernet"


class Sealed:
    """A value to store encrypted."""

    def __init__(self, value):
        self.value = value


def is_envelope(value):
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(ENVELOPE_KEY), str)


class ConfigValueField(models.JSONField):
    """JSON that is encrypted at rest when its row's `is_secret` is set."""

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if getattr(model_instance, "is_secret", False) and value is not None and not isinstance(value, Sealed):
            return Sealed(value)
        return value

    def get_prep_value(self, value):
        if isinstance(value, Sealed):
            remember(value.value)
            return super().get_prep_value({ENVELOPE_KEY: crypto.encrypt(value.value)})
        return super().get_prep_value(value)

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        if is_envelope(value):
            value = crypto.decrypt(value[ENVELOPE_KEY])
            remember(value)  # this process may now meet it: mask it in records and logs
        return value
