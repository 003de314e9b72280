"""Every REST route of the spec, with or without a trailing slash."""

from django.urls import re_path
from rest_framework.routers import DefaultRouter

from audit.viewsets import AuditEventViewSet
from breakers.viewsets import CircuitBreakerViewSet
from executions.triggers.views import EventView, WebhookView, WorkflowFiringsView
from executions.viewsets import (
    ActiveOrchestrationViewSet,
    ExecutionStepsView,
    ExecutionViewSet,
    OrchestrationExecuteView,
    WorkflowExecuteView,
    WorkflowMetricsView,
)
from workflows.viewsets import ConfigEntryViewSet, TemplateViewSet, WorkflowViewSet


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
v1.register("templates", TemplateViewSet, basename="template")
v1.register("audit", AuditEventViewSet, basename="audit")

orchestration = Router()
orchestration.include_root_view = False
orchestration.register("active", ActiveOrchestrationViewSet, basename="orchestration-active")

UUID = r"(?P<pk>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"

v1_urls = [
    re_path(rf"^workflows/{UUID}/execute/?$", WorkflowExecuteView.as_view(), name="workflow-execute"),
    re_path(rf"^workflows/{UUID}/metrics/?$", WorkflowMetricsView.as_view(), name="workflow-metrics"),
    re_path(rf"^workflows/{UUID}/webhook/?$", WebhookView.as_view(), name="workflow-webhook"),
    re_path(rf"^workflows/{UUID}/firings/?$", WorkflowFiringsView.as_view(), name="workflow-firings"),
    re_path(rf"^executions/{UUID}/steps/?$", ExecutionStepsView.as_view(), name="execution-steps"),
    re_path(r"^events/?$", EventView.as_view(), name="events"),
    re_path(r"^orchestration/execute/?$", OrchestrationExecuteView.as_view(), name="orchestration-execute-v1"),
    *v1.urls,
]

orchestration_urls = [
    re_path(r"^execute/?$", OrchestrationExecuteView.as_view(), name="orchestration-execute"),
    *orchestration.urls,
]
