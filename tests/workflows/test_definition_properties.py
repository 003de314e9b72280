"""Property tests of the definition validator: any JSON gives a result or a DefinitionError with paths."""

import json
import os

from hypothesis import example, given, settings
from hypothesis import strategies as st

from workflows.definition import DefinitionError, validate_definition, validate_steps
from workflows.definition.schema import STEP_CONFIG_SCHEMAS

# Random examples locally; a fixed sequence in CI (CI=true), so a run there never flakes.
SETTINGS = settings(max_examples=150, deadline=None, derandomize=bool(os.environ.get("CI")))

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
step_ids = st.sampled_from(["a", "b", "c", "bad id", ""]) | st.text(max_size=5)
# Steps shaped like real ones, with arbitrary values, so that validation reaches each step type's rules.
steps = st.fixed_dictionaries(
    {"id": step_ids, "type": st.sampled_from([*STEP_CONFIG_SCHEMAS, "NOPE"])},
    optional={
        "name": st.text(max_size=8),
        "order": json_values,
        "config": st.dictionaries(
            st.sampled_from(["url", "method", "steps", "items", "conditions", "trueStepId", "duration", "rules"]),
            json_values | step_ids | st.lists(step_ids, max_size=3),
            max_size=4,
        ),
        "retryPolicy": json_values,
        "dependsOn": st.lists(step_ids, max_size=3) | json_values,
    },
)
workflows = st.fixed_dictionaries(
    {},
    optional={
        "name": json_values,
        "category": json_values,
        "status": st.sampled_from(["DRAFT", "ACTIVE", "NOPE"]) | json_values,
        "steps": st.lists(steps | json_values, max_size=4) | json_values,
        "triggers": json_values,
        "errorHandlers": st.lists(
            st.fixed_dictionaries({"stepId": step_ids, "handlerStepId": step_ids}) | json_values, max_size=2
        )
        | json_values,
        "timeout": json_values,
        "metadata": json_values,
        "extra": json_values,
    },
)


def check_errors(error, document):
    assert error.errors, "a DefinitionError lists at least one problem"
    for problem in error.errors:
        assert set(problem) >= {"path", "message"}
        assert isinstance(problem["path"], str)
        assert isinstance(problem["message"], str) and problem["message"]
        if isinstance(document, dict) and problem["path"]:
            # The path starts with a field of the document, or a required one it lacks.
            path = problem["path"]
            fields = [*document, "name", "category", "steps"]
            assert any(path == f or path.startswith((f"{f}.", f"{f}[")) for f in fields), problem


@SETTINGS
@given(document=json_values | workflows)
# Found by this test: an error handler whose stepId was a list crashed the cycle check (a 500).
@example(
    {
        "name": "n",
        "category": "c",
        "steps": [{"id": "a", "type": "WAIT", "config": {"duration": 1}}],
        "errorHandlers": [{"stepId": ["a"], "handlerStepId": "a"}],
    }
)
def test_any_json_is_accepted_or_refused_with_paths(document):
    try:
        assert validate_definition(document) is document
    except DefinitionError as error:
        check_errors(error, document)
        json.dumps(error.errors)


@SETTINGS
@given(document=workflows)
def test_an_object_is_refused_only_with_named_fields(document):
    try:
        validate_definition(document)
    except DefinitionError as error:
        check_errors(error, document)
        assert all(problem["path"] for problem in error.errors)


@SETTINGS
@given(step_list=st.lists(steps, max_size=4) | json_values, handlers=json_values)
def test_orchestration_steps_are_accepted_or_refused_with_paths(step_list, handlers):
    try:
        validate_steps(step_list, handlers if isinstance(handlers, list) else None)
    except DefinitionError as error:
        check_errors(error, {"steps": step_list, "errorHandlers": handlers})
