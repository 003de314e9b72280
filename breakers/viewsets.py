"""The spec's five circuit-breaker endpoints."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from breakers import services
from breakers.models import CircuitBreaker
from breakers.serializers import (
    CircuitBreakerConfigSerializer,
    CircuitBreakerDetailSerializer,
    CircuitBreakerSerializer,
)
from orchestration_site.permissions import has_perm


class CircuitBreakerViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """List breakers, read one, change its config, reset or delete it."""

    queryset = CircuitBreaker.objects.all()
    serializer_class = CircuitBreakerSerializer
    lookup_field = "service_id"
    lookup_url_kwarg = "serviceId"
    # A service id named after its URL ("http://host:port") holds slashes: accept them, except
    # a last "/config" or "/reset", which name the actions.
    lookup_value_regex = r"[^/]+(?:/+(?!(?:config|reset)/?$)[^/]+)*"
    filterset_fields = ["state"]

    def get_serializer_class(self):
        return CircuitBreakerSerializer if self.action == "list" else CircuitBreakerDetailSerializer

    @extend_schema(
        request=CircuitBreakerConfigSerializer,
        responses={200: CircuitBreakerDetailSerializer, 201: CircuitBreakerDetailSerializer},
    )
    @action(detail=True, methods=["put"], url_path="config")
    def config(self, request, serviceId=None):
        """Change a breaker's settings; a service not called yet gets its breaker now (201)."""
        serializer = CircuitBreakerConfigSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if len(serviceId) > CircuitBreaker._meta.get_field("service_id").max_length:
            raise ValidationError({"serviceId": "At most 255 characters."})
        with transaction.atomic():
            created = not CircuitBreaker.objects.filter(service_id=serviceId).exists()
            breaker = services.breaker_get_or_create(service_id=serviceId)
            breaker = services.breaker_configure(breaker=breaker, config=serializer.validated_data, actor=request.user)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(CircuitBreakerDetailSerializer(breaker).data, status=code)

    @extend_schema(request=None, responses=CircuitBreakerDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[has_perm("breakers.change_circuitbreaker")])
    def reset(self, request, serviceId=None):
        breaker = services.breaker_reset(breaker=self.get_object(), actor=request.user)
        return Response(CircuitBreakerDetailSerializer(breaker).data)

    def perform_destroy(self, instance):
        services.breaker_delete(breaker=instance, actor=self.request.user)
