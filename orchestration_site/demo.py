"""Built-in stand-ins for the spec's lead, carrier, quote, assignment and webhook services.

`make run` points the example workflows here, so a newcomer can run them with no network.
They need no authentication and keep what they receive in memory, newest first.
"""

import functools
import json
import threading
from collections import deque

from django.conf import settings
from django.http import Http404, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

LEADS = {
    "lead_123": {
        "id": "lead_123",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "insuranceType": "auto",
        "qualityScore": 85,
    },
    "lead_456": {
        "id": "lead_456",
        "name": "Charles Babbage",
        "email": "charles@example.com",
        "insuranceType": "home",
        "qualityScore": 50,
    },
    "lead_noemail": {"id": "lead_noemail", "name": "No Email", "insuranceType": "auto", "qualityScore": 70},
}
QUOTES = {"a": 1200.0, "b": 980.5, "c": 1105.25}

received = deque(maxlen=200)
_lock = threading.Lock()


def _remember(request, name):
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        body = request.body.decode(errors="replace")
    with _lock:
        received.appendleft(
            {
                "endpoint": name,
                "method": request.method,
                "path": request.path,
                "body": body,
                "idempotencyKey": request.headers.get("Idempotency-Key"),
            }
        )
    return body


def lead(request, lead_id):
    if lead_id not in LEADS:
        return JsonResponse({"error": f"No lead {lead_id!r}."}, status=404)
    return JsonResponse({"data": LEADS[lead_id]})


@csrf_exempt
def carrier_leads(request, carrier):
    body = _remember(request, f"carrier-{carrier}")
    if carrier == "a" and request.headers.get("Authorization") != "Bearer demo-carrier-a-key":
        return JsonResponse({"error": "unauthorised"}, status=401)
    return JsonResponse({"accepted": True, "carrier": carrier.upper(), "leadId": (body or {}).get("id")}, status=201)


def quote(request, carrier):
    return JsonResponse({"data": {"carrier": f"Carrier {carrier.upper()}", "premium": QUOTES.get(carrier, 1000.0)}})


@csrf_exempt
def assignments(request):
    body = _remember(request, "assignments")
    return JsonResponse({"assigned": True, "agentType": (body or {}).get("agentType")}, status=201)


@csrf_exempt
def webhook(request):
    _remember(request, "webhook")
    return JsonResponse({"received": True})


def inbox(request):
    """What the demo services received, newest first."""
    with _lock:
        return JsonResponse({"received": list(received)})


def enabled(view):
    """Serve `view` only while DEMO_ENDPOINTS is on (DEBUG's value unless set): a 404 otherwise."""

    @functools.wraps(view)
    def serve(request, *args, **kwargs):
        if not settings.DEMO_ENDPOINTS:
            raise Http404("The demo services are off (DEMO_ENDPOINTS).")
        return view(request, *args, **kwargs)

    return serve


urlpatterns = [
    path("leads/<str:lead_id>", enabled(lead)),
    path("carriers/<str:carrier>/leads", enabled(carrier_leads)),
    path("quotes/<str:carrier>", enabled(quote)),
    path("assignments", enabled(assignments)),
    path("webhook", enabled(webhook)),
    path("inbox", enabled(inbox)),
]
