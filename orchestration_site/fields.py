"""Serializer fields shared by the API's representations."""

from datetime import UTC

from django.http import QueryDict
from rest_framework import serializers


class UTCDateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField with UTC as its zone: the API's times are UTC (`...Z`).

    The default field looks up the active time zone for every value it writes (two context-local
    reads); on a page of 50 executions that was 40% of the page's serialisation.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)


def _from_a_form(field):
    """Whether the field's data came from an HTML form (the browsable API), where all is text."""
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean: `"yes"` or `1` is refused, not read as true (a form's text still is)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if _from_a_form(self):
            return super().to_internal_value(data)
        self.fail("invalid")


class StrictCharField(serializers.CharField):
    """A JSON string: a number is refused, not turned into text."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str) and not _from_a_form(self):
            self.fail("invalid")
        return super().to_internal_value(data)
