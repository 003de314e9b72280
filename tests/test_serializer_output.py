"""The API's model serializers write what DRF's own field-by-field path writes, value for value."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from rest_framework import serializers

from audit.models import AuditEvent
from audit.serializers import AuditEventSerializer
from breakers.models import BreakerTransition, CircuitBreaker
from breakers.serializers import BreakerTransitionSerializer, CircuitBreakerDetailSerializer, CircuitBreakerSerializer
from executions.models import StepExecution, TriggerFiring, WorkflowExecution
from executions.serializers import (
    ExecutionDetailSerializer,
    ExecutionSerializer,
    OrchestrationResultSerializer,
    StepExecutionSerializer,
)
from executions.triggers.serializers import TriggerFiringSerializer
from orchestration_site.serializers import ModelSerializer
from workflows.models import ConfigEntry, Workflow, WorkflowVersion
from workflows.serializers import ConfigEntrySerializer, WorkflowSerializer, WorkflowVersionSerializer

AT = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
ELSEWHERE = AT.astimezone(timezone(timedelta(hours=-5)))  # written in UTC all the same
STEPS = [{"id": "s1", "name": "Call", "type": "HTTP_REQUEST", "config": {"url": "https://example.com"}}]


def _drf_output(serializer_class, instance, monkeypatch):
    """The output with DRF's own field-by-field path in place of the API's base (nested ones too)."""
    with monkeypatch.context() as patched:
        patched.setattr(ModelSerializer, "to_representation", serializers.Serializer.to_representation)
        return serializer_class(instance).data


def _name(value):
    return value.__name__ if isinstance(value, type) else type(value).__name__


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


@pytest.mark.parametrize(("serializer_class", "instance"), _cases(), ids=_name)
def test_output_is_drf_own(serializer_class, instance, monkeypatch):
    assert serializer_class(instance).data == _drf_output(serializer_class, instance, monkeypatch)


def test_nested_output_is_drf_own(db, monkeypatch):
    workflow = Workflow.objects.create(name="Quote", category="carriers", steps=STEPS)
    execution = WorkflowExecution.objects.create(workflow=workflow, status="COMPLETED", input={"a": 1}, started_at=AT)
    for index in range(2):
        StepExecution.objects.create(
            execution=execution, key=f"s{index}", step_id=f"s{index}", step_type="HTTP_REQUEST", output={"n": index}
        )
    breaker = CircuitBreaker.objects.create(service_id="carrier", state="OPEN", opened_at=AT)
    BreakerTransition.objects.create(breaker=breaker, at=AT, from_state="CLOSED", to_state="OPEN", reason="5 failures")

    for serializer_class, instance in [
        (ExecutionDetailSerializer, execution),
        (OrchestrationResultSerializer, execution),
        (CircuitBreakerDetailSerializer, breaker),
    ]:
        output = serializer_class(instance).data

        assert output == _drf_output(serializer_class, instance, monkeypatch)
    assert [step["output"] for step in ExecutionDetailSerializer(execution).data["stepsExecuted"]] == [
        {"n": 0},
        {"n": 1},
    ]


def test_a_mapping_is_written_the_way_drf_writes_it(monkeypatch):
    # DRF writes validated data this way (`.data` after is_valid() without save()).
    values = {"name": "Quote", "category": "carriers", "steps": STEPS, "created_at": AT, "description": None}

    assert WorkflowSerializer().to_representation(values) == serializers.Serializer.to_representation(
        WorkflowSerializer(), values
    )


def test_date_times_are_written_in_utc():
    data = ExecutionSerializer(WorkflowExecution(workflow=None, started_at=ELSEWHERE)).data

    assert data["startedAt"] == "2026-03-04T05:06:07.890123Z"
    transition = BreakerTransition(at=ELSEWHERE, from_state="OPEN", to_state="OPEN")
    assert BreakerTransitionSerializer(transition).data["at"] == "2026-03-04T05:06:07.890123Z"
