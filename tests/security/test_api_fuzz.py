"""Fuzz every API operation from its OpenAPI schema: never a 500, every response as documented.

Bounded (a few examples per operation) so the module stays fast; authenticated as a user with
every permission, with seeded objects so that detail routes also meet real records.
"""

import json
import re

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from breakers.services import breaker_get_or_create
from executions import services as execution_services
from executions.models import WorkflowExecution
from workflows import services as workflow_services

STEP = {"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/ping"}}
WORKFLOW = {"name": "Ping", "category": "test", "status": "ACTIVE", "steps": [STEP]}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]


@pytest.fixture
def wsgi_in_test_transaction():
    """Keep the test's connection open across WSGI requests, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(editor, settings, monkeypatch, wsgi_in_test_transaction):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    # The sync wait of POST /api/orchestration/execute would poll for up to 30 s per example.
    monkeypatch.setattr(execution_services, "execution_wait", lambda *, execution, timeout_ms=None, **_: execution)
    workflow = workflow_services.workflow_create(data=WORKFLOW, user=editor)
    execution = execution_services.execution_start(workflow=workflow, input={"leadId": "l1"}, actor=editor)
    WorkflowExecution.objects.filter(pk=execution.pk).update(request_id="req_1", status="RUNNING")
    breaker_get_or_create(service_id="carrier-a-api")
    workflow_services.config_set(key="region", value="eu")
    from audit.models import AuditEvent

    return {
        "workflows": str(workflow.pk),
        "executions": str(execution.pk),
        "circuit-breakers": "carrier-a-api",
        "config": "region",
        "active": "req_1",
        "audit": str(AuditEvent.objects.first().pk),
        "token": Token.objects.create(user=editor).key,
    }


def load_schema():
    """The document /api/schema/ serves, generated in-process; calls go to the WSGI app."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = get_wsgi_application()
    return loaded


schema = load_schema()


def with_seeded_ids(case, seeded):
    """Point the path's parameters at the seeded record of its collection."""
    collection = re.match(r"/api/(?:v1/)?(?:orchestration/)?([^/]+)", case.path).group(1)
    for name in case.path_parameters or {}:
        case.path_parameters[name] = seeded.get(collection, case.path_parameters[name])
    return case


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, seeded):
    headers = {"Authorization": f"Token {seeded['token']}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
    if case.path_parameters:
        with_seeded_ids(case, seeded).call_and_validate(headers=headers, checks=CHECKS)
