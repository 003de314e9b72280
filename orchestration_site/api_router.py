"""Every REST route of the spec, with or without a trailing slash."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from breakers.viewsets import CircuitBreakerViewSet
from executions.viewsets import (
    ActiveOrchestrationViewSet,
    ExecutionViewSet,
    OrchestrationExecuteView,
    WorkflowExecuteView,
    WorkflowMetricsView,
)
from workflows.viewsets import ConfigEntryViewSet, WorkflowViewSet


class Router(DefaultRouter):
    """The spec's paths have no trailing slash; accept both forms."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.trailing_slash = "/?"


v1 = Router()
v1.register("workflows", WorkflowViewSet, basename="workflow")
v1.register("executions", ExecutionViewSet, basename="execution")
v1.register("circuit-breakers", CircuitBreakerViewSet, basename="circuit-breaker")
v1.register("config", ConfigEntryViewSet, basename="config")

orchestration = Router()
orchestration.include_root_view = False
orchestration.register("active", ActiveOrchestrationViewSet, basename="orchestration-active")

v1_urls = [
    path("workflows/<uuid:pk>/execute", WorkflowExecuteView.as_view(), name="workflow-execute"),
    path("workflows/<uuid:pk>/execute/", WorkflowExecuteView.as_view()),
    path("workflows/<uuid:pk>/metrics", WorkflowMetricsView.as_view(), name="workflow-metrics"),
    path("workflows/<uuid:pk>/metrics/", WorkflowMetricsView.as_view()),
    path("orchestration/execute", OrchestrationExecuteView.as_view(), name="orchestration-execute-v1"),
    path("orchestration/execute/", OrchestrationExecuteView.as_view()),
    *v1.urls,
]

orchestration_urls = [
    path("execute", OrchestrationExecuteView.as_view(), name="orchestration-execute"),
    path("execute/", OrchestrationExecuteView.as_view()),
    *orchestration.urls,
]
