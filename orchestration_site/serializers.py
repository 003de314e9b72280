"""The base of the API's model serializers: DRF's ModelSerializer, whose output reads a row's
plain columns with one getattr each.

DRF resolves every field of every row through the general `Field.get_attribute` (dotted
sources, mappings, callables, defaults) from a generator rebuilt per row. Here the plan is made
once per serializer (a list's rows share one): a field whose source is one of the model's
columns, and whose class keeps DRF's `get_attribute`, is read with `getattr`; any other field
takes DRF's own path. Values are still written by each field's `to_representation`. A page of
50 workflows took less than half the time.

Date-times a serializer infers from the model are UTCDateTimeFields, like its declared ones;
its text and booleans take JSON strings and booleans only (StrictCharField, StrictBooleanField).
"""

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.functional import cached_property
from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject

from orchestration_site.fields import StrictBooleanField, StrictCharField, UTCDateTimeField


class ModelSerializer(serializers.ModelSerializer):
    # No docstring: the API schema would show it for every serializer without one of its own.

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
        models.BooleanField: StrictBooleanField,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }

    @cached_property
    def _output_plan(self):
        # Made from `fields` at the first row: a serializer whose fields change after that
        # (none of the API's do) must not use this base.
        columns = {field.attname for field in self.Meta.model._meta.concrete_fields}
        plan = []
        for field in self._readable_fields:
            plain = (
                type(field).get_attribute is Field.get_attribute
                and len(field.source_attrs) == 1
                and field.source_attrs[0] in columns
            )
            plan.append((field.field_name, field.source_attrs[0] if plain else None, field))
        return plan

    def to_representation(self, instance):
        if not isinstance(instance, self.Meta.model):  # validated data, say: DRF's own path
            return super().to_representation(instance)
        data = {}
        for name, column, field in self._output_plan:
            if column is not None:
                try:
                    value = getattr(instance, column)
                except ObjectDoesNotExist:  # a deferred column of a row deleted meanwhile, as DRF has it
                    value = None
                data[name] = None if value is None else field.to_representation(value)
                continue
            try:
                value = field.get_attribute(instance)
            except SkipField:
                continue
            missing = (value.pk if isinstance(value, PKOnlyObject) else value) is None
            data[name] = None if missing else field.to_representation(value)
        return data
