"""Trigger endpoints: the webhook URL, the events API and a workflow's firings. Thin: one service each."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from executions.models import START_PERMISSION, TriggerFiring
from executions.serializers import ExecutionSerializer
from executions.triggers import events, webhook
from executions.triggers.serializers import EventSerializer, TriggerFiringSerializer
from orchestration_site.permissions import has_perm
from workflows.models import Workflow

WEBHOOK_HEADERS = [
    OpenApiParameter("X-Webhook-Timestamp", str, OpenApiParameter.HEADER, description="Unix seconds (HMAC)."),
    OpenApiParameter(
        "X-Webhook-Signature",
        str,
        OpenApiParameter.HEADER,
        description='sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")> (HMAC).',
    ),
    OpenApiParameter("X-Webhook-Token", str, OpenApiParameter.HEADER, description="The secret (token auth)."),
    OpenApiParameter("X-Delivery-Id", str, OpenApiParameter.HEADER, description="Accepted once per workflow."),
]


class WebhookView(APIView):
    """POST /api/v1/workflows/:id/webhook: the signature (or token) is the authentication."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "run"

    @extend_schema(
        parameters=WEBHOOK_HEADERS,
        request={"application/json": {"type": "object"}},
        responses={202: TriggerFiringSerializer, 200: TriggerFiringSerializer, 401: None, 403: None, 404: None},
    )
    def post(self, request, pk):
        # The raw bytes, as signed: never request.data, which would parse them first.
        firing, created = webhook.webhook_receive(workflow_id=pk, headers=request.headers, body=request.body)
        data = {**TriggerFiringSerializer(firing).data, "duplicate": not created}
        return Response(data, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class EventView(APIView):
    """POST /api/v1/events: start every ACTIVE workflow listening to the event's type."""

    permission_classes = [has_perm(START_PERMISSION)]
    throttle_scope = "run"

    @extend_schema(request=EventSerializer, responses={202: OpenApiResponse(description="The executions started")})
    def post(self, request):
        body = EventSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        started = events.event_dispatch(
            type=data["type"], payload=data["payload"], idempotency_key=data["idempotencyKey"]
        )
        return Response(
            {
                "type": data["type"],
                "idempotencyKey": data["idempotencyKey"],
                "executions": ExecutionSerializer(started, many=True).data,
            },
            status=status.HTTP_202_ACCEPTED,
        )


class WorkflowFiringsView(generics.ListAPIView):
    """GET /api/v1/workflows/:id/firings: what started this workflow, newest first."""

    serializer_class = TriggerFiringSerializer
    queryset = TriggerFiring.objects.none()
    filter_backends = []

    def get_queryset(self):
        workflow = get_object_or_404(Workflow, pk=self.kwargs["pk"])
        return TriggerFiring.objects.filter(workflow=workflow).select_related("execution").order_by("-created_at")
