"""JSON Schemas for a workflow: the envelope, each step type's config, triggers and policies.

The engine implements one handler per key of STEP_CONFIG_SCHEMAS; a system check keeps
the two in step.
"""

from datetime import datetime

STEP_ID_PATTERN = r"^[A-Za-z0-9_\-]{1,100}$"
TEMPLATE = {"type": "string", "minLength": 1, "maxLength": 10000}
HEADERS = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
MILLISECONDS = {"type": "integer", "minimum": 1, "maximum": 24 * 3600 * 1000}
STATUS_CODE = {"type": "integer", "minimum": 100, "maximum": 599}

EXTRACT_RESPONSE = {
    "type": "object",
    "properties": {
        "type": {"enum": ["JSON_PATH"]},
        "path": {"type": "string", "maxLength": 500},
        "variableName": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]{0,99}$"},
    },
    "required": ["path"],
    "additionalProperties": False,
}

IDEMPOTENCY = {
    "oneOf": [
        {"type": "boolean"},
        {"type": "object", "properties": {"header": {"type": "string", "minLength": 1}}, "additionalProperties": False},
    ]
}

HTTP_REQUEST = {
    "type": "object",
    "properties": {
        "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
        "url": TEMPLATE,
        "headers": HEADERS,
        "queryParams": {"type": "object"},
        "body": {},
        "bodyType": {"enum": ["json", "text"]},
        "timeout": MILLISECONDS,
        "extractResponse": EXTRACT_RESPONSE,
        "acceptStatuses": {"type": "array", "items": STATUS_CODE, "minItems": 1},
        "serviceId": {"type": "string", "minLength": 1, "maxLength": 255},
        "idempotencyKey": IDEMPOTENCY,
        "followRedirects": {"type": "boolean"},
        "maxRedirects": {"type": "integer", "minimum": 0, "maximum": 100},
    },
    "required": ["url"],
    "additionalProperties": False,
}

WEBHOOK_CALL = {
    "type": "object",
    "properties": {
        "method": {"enum": ["POST", "PUT", "PATCH"]},
        "url": TEMPLATE,
        "headers": HEADERS,
        "body": {},
        "timeout": MILLISECONDS,
        "signingSecret": {"type": "string", "minLength": 1},
        "signatureHeader": {"type": "string", "minLength": 1},
        "acceptStatuses": {"type": "array", "items": STATUS_CODE, "minItems": 1},
        "serviceId": {"type": "string", "minLength": 1, "maxLength": 255},
        "idempotencyKey": IDEMPOTENCY,
        "followRedirects": {"type": "boolean"},
        "maxRedirects": {"type": "integer", "minimum": 0, "maximum": 100},
    },
    "required": ["url"],
    "additionalProperties": False,
}

FIELD_PATH = {"type": "string", "minLength": 1, "maxLength": 500}

TRANSFORMATION = {
    "type": "object",
    "properties": {"type": {"enum": ["MAP", "CALCULATE", "FORMAT", "MERGE"]}, "config": {"type": "object"}},
    "required": ["type", "config"],
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"type": {"const": "MAP"}}},
            "then": {
                "properties": {
                    "config": {
                        "properties": {"mapping": {"type": "object", "additionalProperties": FIELD_PATH}},
                        "required": ["mapping"],
                        "additionalProperties": False,
                    }
                }
            },
        },
        {
            "if": {"properties": {"type": {"const": "CALCULATE"}}},
            "then": {
                "properties": {
                    "config": {
                        "properties": {
                            "field": FIELD_PATH,
                            "operation": {"enum": ["sum", "avg", "min", "max", "count"]},
                            "resultField": FIELD_PATH,
                        },
                        "required": ["operation"],
                        "additionalProperties": False,
                    }
                }
            },
        },
        {
            "if": {"properties": {"type": {"const": "FORMAT"}}},
            "then": {
                "properties": {
                    "config": {
                        "properties": {
                            "fields": {"type": "array", "items": FIELD_PATH, "minItems": 1},
                            "operation": {"enum": ["uppercase", "lowercase", "trim"]},
                        },
                        "required": ["fields", "operation"],
                        "additionalProperties": False,
                    }
                }
            },
        },
        {
            "if": {"properties": {"type": {"const": "MERGE"}}},
            "then": {
                "properties": {
                    "config": {
                        "properties": {"sources": {"type": "array", "items": FIELD_PATH, "minItems": 1}},
                        "required": ["sources"],
                        "additionalProperties": False,
                    }
                }
            },
        },
    ],
}

DATA_TRANSFORM = {
    "type": "object",
    "properties": {
        "inputVariable": FIELD_PATH,
        "outputVariable": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]{0,99}$"},
        "transformations": {"type": "array", "items": TRANSFORMATION, "maxItems": 100},
    },
    "required": ["transformations"],
    "additionalProperties": False,
}

OPERATORS = ["eq", "ne", "gt", "lt", "gte", "lte", "in", "not_in", "contains", "regex"]

CONDITION = {
    "type": "object",
    "properties": {
        "field": FIELD_PATH,
        "operator": {"enum": OPERATORS},
        "value": {},
        "logic": {"enum": ["AND", "OR"]},
    },
    "required": ["field", "operator"],
    "additionalProperties": False,
}

CONDITIONAL = {
    "type": "object",
    "properties": {
        "conditions": {"type": "array", "items": CONDITION, "minItems": 1, "maxItems": 100},
        "trueStepId": {"type": "string"},
        "falseStepId": {"type": "string"},
    },
    "required": ["conditions"],
    "additionalProperties": False,
}

STEP_ID_LIST = {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 1000}

PARALLEL = {
    "type": "object",
    "properties": {
        "steps": STEP_ID_LIST,
        "waitForAll": {"type": "boolean"},
        "maxConcurrency": {"type": "integer", "minimum": 1, "maximum": 1000},
        "outputVariable": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]{0,99}$"},
    },
    "required": ["steps"],
    "additionalProperties": False,
}

FOR_EACH = {
    "type": "object",
    "properties": {
        "items": FIELD_PATH,
        "steps": STEP_ID_LIST,
        "maxConcurrency": {"type": "integer", "minimum": 1, "maximum": 1000},
        "batchSize": {"type": "integer", "minimum": 1, "maximum": 100000},
        "continueOnError": {"type": "boolean"},
        "outputVariable": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]{0,99}$"},
    },
    "required": ["items", "steps"],
    "additionalProperties": False,
}

# A WAIT's duration units, in milliseconds, and its longest wait.
WAIT_UNIT_MS = {
    "ms": 1,
    "milliseconds": 1,
    "s": 1000,
    "seconds": 1000,
    "min": 60_000,
    "minutes": 60_000,
    "h": 3_600_000,
    "hours": 3_600_000,
}
MAX_WAIT_MS = 366 * 24 * 3_600_000


def wait_until(text):
    """The aware datetime a WAIT's `until` names; ValueError saying why when it names none."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"until is not an ISO 8601 timestamp: {text!r}.") from None
    if moment.tzinfo is None:
        raise ValueError("until needs a time zone (for example 2026-01-01T09:00:00Z).")
    return moment


WAIT = {
    "type": "object",
    "properties": {
        "duration": {"type": "number", "minimum": 0},
        "unit": {"enum": list(WAIT_UNIT_MS)},
        "until": {"type": "string", "minLength": 1},
    },
    "oneOf": [{"required": ["duration"]}, {"required": ["until"]}],
    "additionalProperties": False,
}

VALIDATION_RULE = {
    "type": "object",
    "properties": {
        "field": FIELD_PATH,
        "type": {"enum": ["required", "type", "range", "pattern"]},
        "dataType": {"enum": ["string", "number", "integer", "boolean", "object", "array"]},
        "min": {"type": "number"},
        "max": {"type": "number"},
        "pattern": {"type": "string", "minLength": 1, "maxLength": 1000},
        "message": {"type": "string"},
    },
    "required": ["field", "type"],
    "additionalProperties": False,
    "allOf": [
        {"if": {"properties": {"type": {"const": "type"}}}, "then": {"required": ["dataType"]}},
        {"if": {"properties": {"type": {"const": "pattern"}}}, "then": {"required": ["pattern"]}},
        {
            "if": {"properties": {"type": {"const": "range"}}},
            "then": {"anyOf": [{"required": ["min"]}, {"required": ["max"]}]},
        },
    ],
}

VALIDATION = {
    "type": "object",
    "properties": {
        "rules": {"type": "array", "items": VALIDATION_RULE, "minItems": 1, "maxItems": 500},
        "failOnFirstError": {"type": "boolean"},
    },
    "required": ["rules"],
    "additionalProperties": False,
}

STEP_CONFIG_SCHEMAS = {
    "HTTP_REQUEST": HTTP_REQUEST,
    "DATA_TRANSFORM": DATA_TRANSFORM,
    "CONDITIONAL": CONDITIONAL,
    "PARALLEL": PARALLEL,
    "FOR_EACH": FOR_EACH,
    "WAIT": WAIT,
    "WEBHOOK_CALL": WEBHOOK_CALL,
    "VALIDATION": VALIDATION,
}

RETRY_POLICY = {
    "type": "object",
    "properties": {
        "maxAttempts": {"type": "integer", "minimum": 1, "maximum": 100},
        "strategy": {"enum": ["LINEAR", "EXPONENTIAL", "FIXED", "NONE"]},
        "initialDelay": {"type": "integer", "minimum": 0, "maximum": 24 * 3600 * 1000},
        "maxDelay": {"type": "integer", "minimum": 0, "maximum": 24 * 3600 * 1000},
        "backoffMultiplier": {"type": "number", "minimum": 1, "maximum": 100},
        "retryableErrors": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "jitter": {"enum": ["NONE", "FULL", "EQUAL"]},
    },
    "additionalProperties": False,
}

STEP = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": STEP_ID_PATTERN},
        "name": {"type": "string", "maxLength": 200},
        "description": {"type": "string"},
        "type": {"enum": sorted(STEP_CONFIG_SCHEMAS)},
        "order": {"type": "integer", "minimum": 0},
        "config": {"type": "object"},
        "retryPolicy": RETRY_POLICY,
        "dependsOn": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["id", "type", "config"],
    "additionalProperties": False,
}

TRIGGER_TYPES = ["WEBHOOK", "SCHEDULE", "EVENT", "MANUAL", "API"]

TRIGGER = {
    "type": "object",
    "properties": {
        "type": {"enum": TRIGGER_TYPES},
        "config": {"type": "object"},
        "isEnabled": {"type": "boolean"},
    },
    "required": ["type"],
    "additionalProperties": False,
}

# A trigger's config by type (checked by the validator, with cron and time zone semantics on top).
SCHEDULE_TRIGGER = {
    "type": "object",
    "properties": {
        "cron": {"type": "string", "minLength": 1, "maxLength": 200},
        "timezone": {"type": "string", "minLength": 1, "maxLength": 64},
        "interval": {"type": "integer", "minimum": 1, "maximum": 366 * 24 * 3600},
        "missedRuns": {"enum": ["skip", "catchUp"]},
        "input": {"type": "object"},
    },
    "oneOf": [{"required": ["cron"]}, {"required": ["interval"]}],
    "additionalProperties": False,
}

WEBHOOK_TRIGGER = {
    "type": "object",
    "properties": {
        "secretRef": {"type": "string", "minLength": 1, "maxLength": 200},
        "auth": {"enum": ["hmac", "token"]},
    },
    "required": ["secretRef"],
    "additionalProperties": False,
}

EVENT_TRIGGER = {
    "type": "object",
    "properties": {"eventType": {"type": "string", "minLength": 1, "maxLength": 200}},
    "required": ["eventType"],
    "additionalProperties": False,
}

TRIGGER_CONFIG_SCHEMAS = {
    "SCHEDULE": SCHEDULE_TRIGGER,
    "WEBHOOK": WEBHOOK_TRIGGER,
    "EVENT": EVENT_TRIGGER,
    "MANUAL": {"type": "object"},
    "API": {"type": "object"},
}

ERROR_TYPES = [
    "NETWORK_ERROR",
    "TIMEOUT",
    "HTTP_ERROR",
    "VALIDATION_ERROR",
    "CIRCUIT_OPEN",
    "TRANSFORM_ERROR",
    "CONDITION_ERROR",
    "VARIABLE_ERROR",
    "REGEX_TIMEOUT",
    "WORKFLOW_TIMEOUT",
    "STEP_ERROR",
    "WORKER_LOST",
    "DESTINATION_BLOCKED",
    "LIMIT_EXCEEDED",
]

ERROR_HANDLER = {
    "type": "object",
    "properties": {
        "stepId": {"type": "string"},
        "errorTypes": {"type": "array", "items": {"enum": ERROR_TYPES}},
        "handlerStepId": {"type": "string"},
        "shouldContinue": {"type": "boolean"},
    },
    "required": ["stepId", "handlerStepId"],
    "additionalProperties": False,
}

WORKFLOW = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": ["string", "null"]},
        "status": {"enum": ["DRAFT", "ACTIVE", "INACTIVE", "ARCHIVED"]},
        "category": {"type": "string", "minLength": 1, "maxLength": 100},
        "triggers": {"type": "array", "items": TRIGGER, "maxItems": 50},
        "steps": {"type": "array", "items": STEP},  # at most MAX_WORKFLOW_STEPS (validator.py)
        "errorHandlers": {"type": ["array", "null"], "items": ERROR_HANDLER, "maxItems": 500},
        "timeout": {"type": ["integer", "null"], "minimum": 1, "maximum": 7 * 24 * 3600 * 1000},
        "metadata": {"type": ["object", "null"]},
        "retryPolicy": {"oneOf": [{"type": "null"}, RETRY_POLICY]},
        # Read-only fields a client may send back unchanged after a GET.
        "id": {},
        "version": {},
        "createdAt": {},
        "updatedAt": {},
    },
    "additionalProperties": False,
}
