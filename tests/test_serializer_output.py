"""The API's model serializers write what DRF's own field-by-field path writes, value for value."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from rest_framework import serializers

from audit.models import AuditEvent
from audit.serializers import AuditEventSerializer
from breakers.models import BreakerTransition, CircuitBreaker
from breakers.serializers import BreakerTransitionSerializer, CircuitBreakerSerializer
from executions.models import StepExecution, TriggerFiring, WorkflowExecution
from executions.serializers import ExecutionSerializer, StepExecutionSerializer
from executions.triggers.serializers import TriggerFiringSerializer
from workflows.models import ConfigEntry, Workflow, WorkflowVersion
from workflows.serializers import ConfigEntrySerializer, WorkflowSerializer, WorkflowVersionSerializer

AT = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
ELSEWHERE = AT.astimezone(timezone(timedelta(hours=-5)))  # written in UTC all the same
STEPS = [{"id": "s1", "name": "Call", "type": "HTTP_REQUEST", "config": {"url": "https://example.com"}}]


def _drf(serializer, instance):
    return serializers.Serializer.to_representation(serializer, instance)


def _cases():
    workflow = Workflow(name="Quote", category="carriers", steps=STEPS, created_at=AT, updated_at=ELSEWHERE)
    execution = WorkflowExecution(
        workflow=workflow, request_id="r-1", status="FAILED", input={"a": 1}, output=None, started_at=AT, error="boom"
    )
    breaker = CircuitBreaker(service_id="carrier", opened_at=ELSEWHERE, created_at=AT, updated_at=AT)
    return [
        (WorkflowSerializer, workflow),
        (WorkflowSerializer, Workflow(name="Empty", category="c", description=None, metadata=None)),
        (WorkflowVersionSerializer, WorkflowVersion(workflow=workflow, version=2, steps=STEPS, created_at=AT)),
        (ConfigEntrySerializer, ConfigEntry(key="region", value={"eu": True}, created_at=AT, updated_at=AT)),
        (ExecutionSerializer, execution),
        (ExecutionSerializer, WorkflowExecution(workflow=None, started_at=ELSEWHERE)),
        (
            StepExecutionSerializer,
            StepExecution(
                execution=execution,
                parent_id=uuid.uuid4(),
                key="s1",
                step_id="s1",
                step_type="HTTP_REQUEST",
                item_index=0,
                output={"status": 200},
                started_at=AT,
                logs=["sent"],
            ),
        ),
        (CircuitBreakerSerializer, breaker),
        (
            BreakerTransitionSerializer,
            BreakerTransition(breaker=breaker, at=ELSEWHERE, from_state="CLOSED", to_state="OPEN"),
        ),
        (
            AuditEventSerializer,
            AuditEvent(created_at=AT, actor_username="ann", action="workflow.updated", target_type="w"),
        ),
        (TriggerFiringSerializer, TriggerFiring(workflow=workflow, source="SCHEDULE", due_at=AT, created_at=AT)),
    ]


@pytest.mark.parametrize(("serializer_class", "instance"), _cases(), ids=lambda value: type(value).__name__)
def test_output_is_drf_own(serializer_class, instance):
    serializer = serializer_class(instance)

    assert serializer.data == _drf(serializer_class(), instance)


def test_date_times_are_written_in_utc():
    data = ExecutionSerializer(WorkflowExecution(workflow=None, started_at=ELSEWHERE)).data

    assert data["startedAt"] == "2026-03-04T05:06:07.890123Z"
    assert BreakerTransitionSerializer(BreakerTransition(at=ELSEWHERE, from_state="OPEN", to_state="OPEN")).data[
        "at"
    ] == ("2026-03-04T05:06:07.890123Z")
