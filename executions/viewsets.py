"""Execution, workflow-run and orchestration endpoints: thin, each calls one service."""

import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from executions import selectors, services
from executions.filters import ExecutionFilter, StepExecutionFilter
from executions.models import (
    OPERATE_PERMISSION,
    START_PERMISSION,
    VIEW_PERMISSION,
    StepExecution,
    TriggerSource,
    WorkflowExecution,
)
from executions.serializers import (
    ExecuteRequestSerializer,
    ExecutionDetailSerializer,
    ExecutionSerializer,
    OrchestrationRequestSerializer,
    OrchestrationResultSerializer,
    RerunRequestSerializer,
    StepExecutionSerializer,
)
from executions.statuses import TERMINAL
from executions.triggers import manual
from orchestration_site.pagination import ExactCountPagination
from orchestration_site.permissions import has_perm
from workflows.models import Workflow


def _is_uuid(value):
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class ExecutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Executions with their status, timings and (on detail) every step record."""

    queryset = WorkflowExecution.objects.none()
    filterset_class = ExecutionFilter
    throttle_scope = None  # rerun starts a run: it counts against the "run" rate

    def get_queryset(self):
        return selectors.execution_detail_queryset() if self.action == "retrieve" else selectors.execution_list()

    def get_serializer_class(self):
        return ExecutionDetailSerializer if self.action == "retrieve" else ExecutionSerializer

    def _operate(self, service):
        execution = service(execution=self.get_object(), actor=self.request.user)
        return Response(ExecutionSerializer(execution).data)

    @extend_schema(request=None, responses=ExecutionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[has_perm(OPERATE_PERMISSION)])
    def cancel(self, request, pk=None):
        """Stop the run: queued steps are cancelled, a step in flight finishes."""
        return self._operate(services.execution_cancel)

    @extend_schema(request=None, responses=ExecutionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[has_perm(OPERATE_PERMISSION)])
    def pause(self, request, pk=None):
        """Hold the run: nothing new starts until it is resumed."""
        return self._operate(services.execution_pause)

    @extend_schema(request=None, responses=ExecutionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[has_perm(OPERATE_PERMISSION)])
    def resume(self, request, pk=None):
        """Go on with a paused run."""
        return self._operate(services.execution_resume)

    @extend_schema(request=None, responses=ExecutionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[has_perm(OPERATE_PERMISSION)])
    def retry(self, request, pk=None):
        """Resume a FAILED run from the step that failed, keeping completed steps' outputs."""
        return self._operate(services.execution_retry)

    @extend_schema(request=RerunRequestSerializer, responses={202: ExecutionSerializer})
    @action(detail=True, methods=["post"], permission_classes=[has_perm(START_PERMISSION)], throttle_scope="run")
    def rerun(self, request, pk=None):
        """Start a new execution with the same input, optionally from a chosen top-level step."""
        body = RerunRequestSerializer(data=request.data if request.data else {})
        body.is_valid(raise_exception=True)
        rerun = services.execution_rerun(
            execution=self.get_object(), from_step_id=body.validated_data.get("fromStepId"), actor=request.user
        )
        return Response(ExecutionSerializer(rerun).data, status=status.HTTP_202_ACCEPTED)


class ExecutionStepsView(generics.ListAPIView):
    """GET /api/v1/executions/:id/steps: the detail's `stepsExecuted` a page at a time, filterable."""

    serializer_class = StepExecutionSerializer
    queryset = StepExecution.objects.none()
    filterset_class = StepExecutionFilter
    pagination_class = ExactCountPagination
    # The step records are the execution's: whoever may read the execution reads them (as its detail).
    permission_classes = [has_perm(VIEW_PERMISSION)]

    def get_queryset(self):
        execution = get_object_or_404(WorkflowExecution.objects.only("pk"), pk=self.kwargs["pk"])
        return selectors.steps_of(execution)


class WorkflowExecuteView(APIView):
    """POST /api/v1/workflows/:id/execute: start a run; 202 with the execution."""

    permission_classes = [has_perm(START_PERMISSION)]
    throttle_scope = "run"

    @extend_schema(request=ExecuteRequestSerializer, responses={202: ExecutionSerializer, 409: OpenApiResponse()})
    def post(self, request, pk):
        workflow = get_object_or_404(Workflow, pk=pk)
        body = ExecuteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        execution = manual.workflow_run(
            workflow=workflow,
            source=TriggerSource.API,
            input=body.validated_data["input"],
            metadata=body.validated_data["metadata"],
            test_run=body.validated_data["testRun"],
            actor=request.user,
        )
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_202_ACCEPTED)


class WorkflowMetricsView(APIView):
    """GET /api/v1/workflows/:id/metrics."""

    queryset = Workflow.objects.none()

    @extend_schema(responses={200: OpenApiResponse(description="Workflow metrics")})
    def get(self, request, pk):
        workflow = get_object_or_404(Workflow, pk=pk)
        return Response(selectors.workflow_metrics(workflow=workflow))


class OrchestrationExecuteView(APIView):
    """Run ad-hoc steps: 200 with the result if it ends within options.timeout, else 202."""

    permission_classes = [has_perm(START_PERMISSION)]
    throttle_scope = "run"

    @extend_schema(
        request=OrchestrationRequestSerializer,
        responses={200: OrchestrationResultSerializer, 202: OrchestrationResultSerializer},
    )
    def post(self, request):
        body = OrchestrationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        execution, _ = services.orchestration_submit(
            request_id=data.get("requestId"),
            steps=data["steps"],
            context=data["context"],
            options=data["options"],
            error_handlers=data["errorHandlers"],
            actor=request.user,
        )
        execution = services.execution_wait(execution=execution, timeout_ms=data["options"].get("timeout"))
        finished = execution.status in TERMINAL
        return Response(
            OrchestrationResultSerializer(execution).data,
            status=status.HTTP_200_OK if finished else status.HTTP_202_ACCEPTED,
        )


class ActiveOrchestrationViewSet(viewsets.ReadOnlyModelViewSet):
    """Active executions; one by requestId (or execution id) whatever its status."""

    queryset = WorkflowExecution.objects.none()
    serializer_class = ExecutionSerializer
    lookup_url_kwarg = "requestId"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self):
        return selectors.active_executions()

    def get_object(self):
        key = self.kwargs["requestId"]
        execution = WorkflowExecution.objects.filter(request_id=key).first()
        if execution is None and _is_uuid(key):
            execution = WorkflowExecution.objects.filter(pk=key).first()
        if execution is None:
            raise Http404("No orchestration with that requestId.")
        self.check_object_permissions(self.request, execution)
        return execution

    def get_serializer_class(self):
        return OrchestrationResultSerializer if self.action == "retrieve" else ExecutionSerializer
