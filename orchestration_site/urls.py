"""URL configuration: the REST API, its schema and docs, the admin, and the demo endpoints."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from executions import metrics_views, prometheus
from orchestration_site import demo, exceptions
from orchestration_site.api_router import orchestration_urls, v1_urls

handler404 = "orchestration_site.exceptions.not_found"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # Metrics pages (staff only, through the admin's own login) and the Prometheus endpoint.
    path("admin/metrics/", admin.site.admin_view(metrics_views.overview_page), name="metrics-overview"),
    path(
        "admin/metrics/workflows/<uuid:workflow_id>/",
        admin.site.admin_view(metrics_views.workflow_page),
        name="metrics-workflow",
    ),
    path("metrics", prometheus.metrics_view, name="prometheus-metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(v1_urls)),
    path("api/orchestration/", include(orchestration_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # Any other URL under /api/ is a JSON 404, with DEBUG on too (handler404 serves only with it
    # off); /api/v1, /api/schema and /api/docs are left to APPEND_SLASH's redirect.
    re_path(r"^api/(?!(v1|schema|docs)$)", csrf_exempt(exceptions.not_found)),
    path("api-auth/", include("rest_framework.urls")),
    path("demo/", include(demo.urlpatterns)),
]
