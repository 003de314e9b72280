"""One error shape for the whole API: 400s list every problem with its field path."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.models import ProtectedError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from orchestration_site.parsers import PayloadTooLarge
from workflows.definition import DefinitionError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def flatten_errors(detail, path=""):
    """Turn DRF's nested error detail into [{"path": "steps[2].config.url", "message": ...}]."""
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            key_path = path if key == "non_field_errors" else (f"{path}.{key}" if path else str(key))
            errors += flatten_errors(value, key_path)
        return errors
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"path": path, "message": str(item)} for item in detail]
        errors = []
        for index, item in enumerate(detail):
            if item:  # DRF puts {} at list positions without errors
                errors += flatten_errors(item, f"{path}[{index}]")
        return errors
    return [{"path": path, "message": str(detail)}]


def api_exception_handler(exc, context):
    """Render DefinitionError and ValidationError as {"errors": [...]}; others as DRF does."""
    if isinstance(exc, DefinitionError):
        return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):  # Django's own size check, met before any parser runs
        exc = PayloadTooLarge(f"Request body larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
    if isinstance(exc, ProtectedError):
        exc = Conflict(str(exc.args[0]) if exc.args else None)
    if isinstance(exc, (Http404, PermissionDenied)):
        return exception_handler(exc, context)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, (exceptions.ValidationError, exceptions.ParseError)):
        response.data = {"errors": flatten_errors(exc.detail)}
    return response


def not_found(request, exception=None):
    """handler404: a JSON 404 under /api/ (a URL no route matches), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)
