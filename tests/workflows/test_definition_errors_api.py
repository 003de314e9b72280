"""Each rule of the definition validator, seen through POST /api/v1/workflows.

Every refusal is a 400 of {"errors": [{"path", "message"}]} naming the exact place, and
nothing is stored.
"""

import pytest

from workflows.models import Workflow

URL = "/api/v1/workflows"


def http(step_id, **extra):
    return {"id": step_id, "name": step_id, "type": "HTTP_REQUEST", "config": {"url": f"https://x.test/{step_id}"}} | (
        extra
    )


def parallel(step_id, children, **config):
    return {"id": step_id, "type": "PARALLEL", "config": {"steps": children, **config}}


def for_each(step_id, children):
    return {"id": step_id, "type": "FOR_EACH", "config": {"items": "lead.items", "steps": children}}


def conditional(step_id, **branches):
    condition = {"field": "lead.score", "operator": "gte", "value": 80}
    return {"id": step_id, "type": "CONDITIONAL", "config": {"conditions": [condition], **branches}}


def workflow(*steps, **fields):
    return {"name": "W", "category": "test", "steps": list(steps), **fields}


def post_invalid(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert errors, "a 400 names at least one problem"
    for error in errors:
        assert set(error) == {"path", "message"}
        assert isinstance(error["path"], str)
        assert error["message"]
    assert Workflow.objects.count() == 0
    return errors


CASES = [
    # (id, body, path, fragment of the message)
    (
        "unknown step type",
        workflow(http("a"), {"id": "b", "type": "FTP_UPLOAD", "config": {}}),
        "steps[1].type",
        "FTP_UPLOAD",
    ),
    (
        "missing config.url",
        workflow(http("a"), {"id": "b", "type": "HTTP_REQUEST", "config": {"method": "GET"}}),
        "steps[1].config.url",
        "required",
    ),
    (
        "webhook without url",
        workflow({"id": "hook", "type": "WEBHOOK_CALL", "config": {"method": "POST"}}),
        "steps[0].config.url",
        "required",
    ),
    (
        "webhook with GET",
        workflow({"id": "hook", "type": "WEBHOOK_CALL", "config": {"url": "https://x.test", "method": "GET"}}),
        "steps[0].config.method",
        "GET",
    ),
    (
        "step without config",
        workflow({"id": "a", "type": "WAIT"}),
        "steps[0].config",
        "required",
    ),
    (
        "step without id",
        workflow({"type": "WAIT", "config": {"duration": 1}}),
        "steps[0].id",
        "required",
    ),
    (
        "step id with a space",
        workflow({"id": "step one", "type": "WAIT", "config": {"duration": 1}}),
        "steps[0].id",
        "does not match",
    ),
    ("unknown top-level field", workflow(http("a"), colour="blue"), "colour", "Unknown field"),
    ("unknown step field", workflow(http("a", colour="blue")), "steps[0].colour", "Unknown field"),
    (
        "unknown config field",
        workflow({"id": "a", "type": "HTTP_REQUEST", "config": {"url": "https://x.test", "verb": "GET"}}),
        "steps[0].config.verb",
        "Unknown field",
    ),
    (
        "unknown HTTP method",
        workflow({"id": "a", "type": "HTTP_REQUEST", "config": {"url": "https://x.test", "method": "FETCH"}}),
        "steps[0].config.method",
        "FETCH",
    ),
    ("duplicate step ids", workflow(http("a"), http("b"), http("a")), "steps[2].id", "Duplicate step id 'a'"),
    (
        "PARALLEL names an unknown step",
        workflow(parallel("fan", ["a", "ghost"]), http("a")),
        "steps[0].config.steps[1]",
        "Unknown step id 'ghost'",
    ),
    ("PARALLEL with no steps", workflow(parallel("fan", [])), "steps[0].config.steps", "non-empty"),
    (
        "PARALLEL maxConcurrency 0",
        workflow(parallel("fan", ["a"], maxConcurrency=0), http("a")),
        "steps[0].config.maxConcurrency",
        "minimum",
    ),
    (
        "FOR_EACH names an unknown step",
        workflow(for_each("loop", ["ghost"])),
        "steps[0].config.steps[0]",
        "Unknown step id 'ghost'",
    ),
    (
        "FOR_EACH without items",
        workflow({"id": "loop", "type": "FOR_EACH", "config": {"steps": ["a"]}}, http("a")),
        "steps[0].config.items",
        "required",
    ),
    (
        "CONDITIONAL trueStepId unknown",
        workflow(conditional("check", trueStepId="ghost", falseStepId="b"), http("b")),
        "steps[0].config.trueStepId",
        "Unknown step id 'ghost'",
    ),
    (
        "CONDITIONAL falseStepId unknown",
        workflow(conditional("check", trueStepId="a", falseStepId="ghost"), http("a")),
        "steps[0].config.falseStepId",
        "Unknown step id 'ghost'",
    ),
    (
        "CONDITIONAL operator unknown",
        workflow(
            {"id": "check", "type": "CONDITIONAL", "config": {"conditions": [{"field": "x", "operator": "approx"}]}}
        ),
        "steps[0].config.conditions[0].operator",
        "approx",
    ),
    (
        "CONDITIONAL with no conditions",
        workflow({"id": "check", "type": "CONDITIONAL", "config": {"conditions": []}}),
        "steps[0].config.conditions",
        "non-empty",
    ),
    (
        "errorHandlers stepId unknown",
        workflow(http("a"), http("notify"), errorHandlers=[{"stepId": "ghost", "handlerStepId": "notify"}]),
        "errorHandlers[0].stepId",
        "Unknown step id 'ghost'",
    ),
    (
        "errorHandlers handlerStepId unknown",
        workflow(http("a"), errorHandlers=[{"stepId": "a", "handlerStepId": "ghost"}]),
        "errorHandlers[0].handlerStepId",
        "Unknown step id 'ghost'",
    ),
    (
        "errorHandlers errorTypes unknown",
        workflow(
            http("a"),
            http("notify"),
            errorHandlers=[{"stepId": "a", "handlerStepId": "notify", "errorTypes": ["OOPS"]}],
        ),
        "errorHandlers[0].errorTypes[0]",
        "OOPS",
    ),
    (
        "errorHandlers without handlerStepId",
        workflow(http("a"), errorHandlers=[{"stepId": "a"}]),
        "errorHandlers[0].handlerStepId",
        "required",
    ),
    (
        "PARALLEL parents in a cycle",
        workflow(parallel("a", ["b"]), parallel("b", ["a"])),
        "steps[0]",
        "own ancestor",
    ),
    (
        "CONDITIONAL branches in a cycle",
        workflow(conditional("a", trueStepId="b"), conditional("b", trueStepId="c"), conditional("c", falseStepId="a")),
        "steps[0]",
        "own ancestor",
    ),
    (
        "FOR_EACH runs its own parent",
        workflow(parallel("outer", ["loop"]), for_each("loop", ["outer"])),
        "steps[0]",
        "own ancestor",
    ),
    (
        "error handler leads back to the failing step",
        workflow(http("a"), parallel("fix", ["a"]), errorHandlers=[{"stepId": "a", "handlerStepId": "fix"}]),
        "steps[0]",
        "own ancestor",
    ),
    ("step is its own child", workflow(parallel("fan", ["fan"])), "steps[0]", "itself"),
    (
        "dependsOn a step outside the PARALLEL",
        workflow(parallel("fan", ["a", "b"]), http("a"), http("b", dependsOn=["c"]), http("c")),
        "steps[2].dependsOn[0]",
        "not another step of the PARALLEL 'fan'",
    ),
    (
        "a CONDITIONAL regex that is no string",
        workflow(
            {
                "id": "c",
                "type": "CONDITIONAL",
                "config": {"conditions": [{"field": "lead.email", "operator": "regex", "value": 5}]},
            }
        ),
        "steps[0].config.conditions[0].value",
        "pattern string",
    ),
    (
        "a CONDITIONAL regex that would not compile",
        workflow(
            {
                "id": "c",
                "type": "CONDITIONAL",
                "config": {"conditions": [{"field": "lead.email", "operator": "regex", "value": "(unclosed"}]},
            }
        ),
        "steps[0].config.conditions[0].value",
        "Invalid pattern: missing )",
    ),
    (
        "a CONDITIONAL regex whose compiling alone would take the worker's memory",
        workflow(
            {
                "id": "c",
                "type": "CONDITIONAL",
                "config": {
                    "conditions": [{"field": "lead.email", "operator": "regex", "value": "(?:(?:a{1000}){1000}){1000}"}]
                },
            }
        ),
        "steps[0].config.conditions[0].value",
        "Repeats too much",
    ),
    (
        "a CONDITIONAL in with a number",
        workflow(
            {
                "id": "c",
                "type": "CONDITIONAL",
                "config": {"conditions": [{"field": "lead.state", "operator": "in", "value": 5}]},
            }
        ),
        "steps[0].config.conditions[0].value",
        "needs a list",
    ),
    (
        "a relative URL",
        workflow(http("a") | {"config": {"url": "not-a-url/demo/x"}}),
        "steps[0].config.url",
        "absolute http",
    ),
    (
        "a URL of another scheme",
        workflow(http("a") | {"config": {"url": "file:///etc/passwd"}}),
        "steps[0].config.url",
        "absolute http",
    ),
    (
        "a WAIT longer than a year",
        workflow({"id": "w", "type": "WAIT", "config": {"duration": 1e9, "unit": "h"}}),
        "steps[0].config.duration",
        "366 days",
    ),
    (
        "a WAIT until no timestamp",
        workflow({"id": "w", "type": "WAIT", "config": {"until": "tomorrow"}}),
        "steps[0].config.until",
        "ISO 8601",
    ),
    (
        "a WAIT until a time with no zone",
        workflow({"id": "w", "type": "WAIT", "config": {"until": "2027-01-01T09:00:00"}}),
        "steps[0].config.until",
        "time zone",
    ),
    (
        "dependsOn on a step of the main sequence",
        workflow(http("a", dependsOn=["b"]), http("b")),
        "steps[0].dependsOn",
        "steps of a PARALLEL",
    ),
    (
        "a PARALLEL lists a child twice",
        workflow(parallel("fan", ["a", "a"]), http("a")),
        "steps[0].config.steps[1]",
        "listed twice",
    ),
    (
        "two containers share a child",
        workflow(parallel("fan", ["a"]), for_each("loop", ["a"]), http("a")),
        "steps[1].config.steps[0]",
        "also by 'fan'",
    ),
    (
        "dependsOn in a circle",
        workflow(parallel("fan", ["a", "b"]), http("a", dependsOn=["b"]), http("b", dependsOn=["a"])),
        "steps[1].dependsOn",
        "Circular dependsOn",
    ),
    (
        "retryPolicy maxAttempts 0",
        workflow(http("a", retryPolicy={"maxAttempts": 0})),
        "steps[0].retryPolicy.maxAttempts",
        "minimum",
    ),
    (
        "retryPolicy unknown strategy",
        workflow(http("a", retryPolicy={"strategy": "RANDOM"})),
        "steps[0].retryPolicy.strategy",
        "RANDOM",
    ),
    (
        "retryPolicy negative delay",
        workflow(http("a", retryPolicy={"initialDelay": -1})),
        "steps[0].retryPolicy.initialDelay",
        "minimum",
    ),
    (
        "retryPolicy backoffMultiplier below 1",
        workflow(http("a", retryPolicy={"backoffMultiplier": 0.5})),
        "steps[0].retryPolicy.backoffMultiplier",
        "minimum",
    ),
    (
        "retryPolicy unknown field",
        workflow(http("a", retryPolicy={"attempts": 3})),
        "steps[0].retryPolicy.attempts",
        "Unknown field",
    ),
    (
        "retryPolicy not an object",
        workflow(http("a", retryPolicy=3)),
        "steps[0].retryPolicy",
        "object",
    ),
    (
        "EVENT trigger without eventType",
        workflow(http("a"), triggers=[{"type": "EVENT", "config": {}}]),
        "triggers[0].config.eventType",
        "required",
    ),
    (
        "EVENT trigger without config",
        workflow(http("a"), triggers=[{"type": "EVENT"}]),
        "triggers[0].config",
        "required",
    ),
    (
        "SCHEDULE trigger without cron or interval",
        workflow(http("a"), triggers=[{"type": "MANUAL"}, {"type": "SCHEDULE", "config": {}}]),
        "triggers[1].config",
        "Give exactly one of cron, interval.",
    ),
    (
        "unknown trigger type",
        workflow(http("a"), triggers=[{"type": "CRON"}]),
        "triggers[0].type",
        "CRON",
    ),
    (
        "trigger isEnabled not a boolean",
        workflow(http("a"), triggers=[{"type": "MANUAL", "isEnabled": "yes"}]),
        "triggers[0].isEnabled",
        "boolean",
    ),
    (
        "WAIT with duration and until",
        workflow({"id": "w", "type": "WAIT", "config": {"duration": 1, "until": "{{deadline}}"}}),
        "steps[0].config",
        "Give exactly one of duration, until.",
    ),
    (
        "WAIT with neither duration nor until",
        workflow({"id": "w", "type": "WAIT", "config": {"unit": "s"}}),
        "steps[0].config",
        "Give exactly one of duration, until.",
    ),
    (
        "VALIDATION range rule without bounds",
        workflow({"id": "v", "type": "VALIDATION", "config": {"rules": [{"field": "age", "type": "range"}]}}),
        "steps[0].config.rules[0]",
        "Give at least one of min, max.",
    ),
    (
        "VALIDATION pattern rule without pattern",
        workflow({"id": "v", "type": "VALIDATION", "config": {"rules": [{"field": "email", "type": "pattern"}]}}),
        "steps[0].config.rules[0].pattern",
        "required",
    ),
    (
        "VALIDATION pattern that repeats too much",
        workflow(
            {
                "id": "v",
                "type": "VALIDATION",
                "config": {"rules": [{"field": "zip", "type": "pattern", "pattern": "(?:\\d{500}){500}"}]},
            }
        ),
        "steps[0].config.rules[0].pattern",
        "Repeats too much",
    ),
    (
        "VALIDATION patterns that together weigh more than a workflow's",
        workflow(
            {
                "id": "v",
                "type": "VALIDATION",
                "config": {
                    "rules": [{"field": "x", "type": "pattern", "pattern": f"a{{{19990 - n}}}"} for n in range(6)]
                },
            }
        ),
        "steps[0].config.rules[5].pattern",
        "The patterns up to here weigh 119,931 nodes; a workflow's, 100,000.",
    ),
    (
        "DATA_TRANSFORM unknown operation",
        workflow(
            {
                "id": "t",
                "type": "DATA_TRANSFORM",
                "config": {"transformations": [{"type": "CALCULATE", "config": {"operation": "median"}}]},
            }
        ),
        "steps[0].config.transformations[0].config.operation",
        "median",
    ),
    ("status unknown", workflow(http("a"), status="PAUSED"), "status", "PAUSED"),
    ("timeout zero", workflow(http("a"), timeout=0), "timeout", "minimum"),
    ("timeout not a number", workflow(http("a"), timeout="1m"), "timeout", "integer"),
    ("empty name", workflow(http("a"), name=""), "name", ""),
    ("metadata not an object", workflow(http("a"), metadata=[1]), "metadata", "object"),
]


@pytest.mark.parametrize(("body", "path", "fragment"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_rule_reports_its_path(api, body, path, fragment):
    errors = post_invalid(api, body)

    matching = [error for error in errors if error["path"] == path]
    assert matching, f"no error at {path}: {errors}"
    assert any(fragment in error["message"] for error in matching), matching


@pytest.mark.parametrize("missing", ["name", "category", "steps"])
def test_required_top_level_fields(api, missing):
    body = workflow(http("a"))
    del body[missing]

    errors = post_invalid(api, body)

    assert errors == [{"path": missing, "message": "This field is required."}]


def test_unknown_step_type_is_reported_once_at_its_type(api):
    errors = post_invalid(api, workflow(http("a"), http("b"), {"id": "c", "type": "SMTP", "config": {"to": "x"}}))

    assert [error["path"] for error in errors] == ["steps[2].type"]


def test_several_problems_are_reported_at_once(api):
    body = {
        "name": "Broken",
        "steps": [
            {"id": "a", "type": "TELEPORT", "config": {}},
            {"id": "b", "type": "HTTP_REQUEST", "config": {}},
            parallel("fan", ["ghost"]),
            http("d", retryPolicy={"strategy": "SOMETIMES"}),
        ],
        "triggers": [{"type": "EVENT", "config": {}}],
        "errorHandlers": [{"stepId": "d", "handlerStepId": "nobody"}],
        "colour": "red",
    }

    errors = post_invalid(api, body)

    paths = {error["path"] for error in errors}
    assert paths >= {
        "category",
        "colour",
        "steps[0].type",
        "steps[1].config.url",
        "steps[2].config.steps[0]",
        "steps[3].retryPolicy.strategy",
        "triggers[0].config.eventType",
        "errorHandlers[0].handlerStepId",
    }


def test_nesting_deeper_than_the_validator_allows_is_refused(api):
    deep = {}
    for _ in range(40):
        deep = {"level": deep}

    errors = post_invalid(api, workflow(http("a"), metadata=deep))

    assert errors[0]["path"] == ""
    assert "Nested deeper" in errors[0]["message"]


def test_the_same_rules_apply_to_put(api):
    created = api.post(URL, workflow(http("a")), format="json").json()

    response = api.put(f"{URL}/{created['id']}", workflow(parallel("fan", ["ghost"])), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "steps[0].config.steps[0]", "message": "Unknown step id 'ghost'."}]
    assert Workflow.objects.get().steps == [http("a")]


def test_a_valid_definition_using_every_step_type_is_accepted(api):
    """The rules refuse what is wrong, not what is unusual."""
    steps = [
        http("fetch", retryPolicy={"maxAttempts": 5, "strategy": "LINEAR", "retryableErrors": ["5xx"]}),
        {
            "id": "check",
            "type": "VALIDATION",
            "config": {
                "rules": [
                    {"field": "lead.email", "type": "required"},
                    {"field": "lead.age", "type": "range", "min": 18},
                    {"field": "lead.email", "type": "pattern", "pattern": "@"},
                    {"field": "lead.tags", "type": "type", "dataType": "array"},
                ]
            },
        },
        {
            "id": "shape",
            "type": "DATA_TRANSFORM",
            "config": {
                "transformations": [
                    {"type": "MAP", "config": {"mapping": {"premium": "totalPremium"}}},
                    {"type": "FORMAT", "config": {"fields": ["name"], "operation": "trim"}},
                ]
            },
        },
        conditional("route", trueStepId="fan", falseStepId="pause"),
        parallel("fan", ["a", "b"], waitForAll=True, maxConcurrency=2),
        http("a"),
        http("b", dependsOn=["a"]),
        {"id": "pause", "type": "WAIT", "config": {"duration": 2, "unit": "seconds"}},
        for_each("loop", ["item_call"]),
        http("item_call"),
        {"id": "notify", "type": "WEBHOOK_CALL", "config": {"url": "https://hooks.test", "method": "PUT"}},
    ]
    body = workflow(
        *steps,
        triggers=[
            {"type": "SCHEDULE", "config": {"cron": "0 * * * *"}},
            {"type": "WEBHOOK", "config": {"secretRef": "webhooks.test"}},
            {"type": "API"},
        ],
        errorHandlers=[{"stepId": "fetch", "errorTypes": ["TIMEOUT"], "handlerStepId": "notify"}],
        timeout=60000,
    )

    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert Workflow.objects.get().steps == steps
