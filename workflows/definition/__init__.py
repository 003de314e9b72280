"""The workflow definition language: its JSON Schema and the one validator that applies it."""

from workflows.definition.validator import DefinitionError, validate_definition, validate_steps

__all__ = ["DefinitionError", "validate_definition", "validate_steps"]
