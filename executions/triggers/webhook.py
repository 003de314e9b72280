"""WEBHOOK trigger: a per-workflow URL authenticated by an HMAC signature or a secret token.

HMAC (the default): `X-Webhook-Timestamp: <unix seconds>` and
`X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, the timestamp
within TOLERANCE_S of the server's clock. Token: `X-Webhook-Token: <secret>`. `X-Delivery-Id`
names a delivery; a delivery id (or, with HMAC, a signature) is accepted once per workflow.
"""

import hmac
import io
import logging
import time

from rest_framework import exceptions, status

# The same HMAC as WEBHOOK_CALL signs with: `sign(secret, timestamp, body)` is what senders compute.
from executions.engine.steps.webhook_call import sign
from executions.models import TriggerFiring, TriggerSource
from executions.triggers.firings import enabled_triggers, firing_create
from orchestration_site.parsers import SafeJSONParser
from workflows.models import ConfigEntry, Workflow, WorkflowStatus

TOLERANCE_S = 300
MAX_DELIVERY_ID = 200
# Unix seconds fit in far fewer digits; int() of a longer header would be slow, or refused with ValueError.
MAX_TIMESTAMP_DIGITS = 20
logger = logging.getLogger(__name__)


class WebhookUnauthorized(exceptions.APIException):
    """401: the request carries no credentials this webhook accepts."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "not_authenticated"


class WebhookForbidden(exceptions.APIException):
    """403: credentials were sent but do not verify (wrong secret, tampered body, stale timestamp)."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"


def webhook_secret(*, ref):
    """Return the secret string a webhook trigger's `secretRef` names, or None.

    The one place webhook secrets are read: only config entries marked secret count, so a
    value anyone may read through the config API can never authenticate a webhook.
    """
    entry = ConfigEntry.objects.filter(key=ref, is_secret=True).first()
    if entry is None or not isinstance(entry.value, str) or not entry.value:
        return None
    return entry.value


def verify_hmac(*, secret, headers, body, now):
    """Check the HMAC signature and the timestamp window; return the signature's hex digest."""
    timestamp, signature = headers.get("X-Webhook-Timestamp"), headers.get("X-Webhook-Signature")
    if not timestamp or not signature:
        raise WebhookUnauthorized("X-Webhook-Timestamp and X-Webhook-Signature headers are required.")
    digits = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS
    if not digits or abs(now - int(timestamp)) > TOLERANCE_S:
        raise WebhookForbidden(f"X-Webhook-Timestamp must be Unix seconds within {TOLERANCE_S} s of now.")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise WebhookForbidden("Signature does not match.")
    return expected.removeprefix("sha256=")


def verify_token(*, secret, headers):
    """Check the `X-Webhook-Token` header against the secret."""
    token = headers.get("X-Webhook-Token")
    if not token:
        raise WebhookUnauthorized("X-Webhook-Token header is required.")
    if not hmac.compare_digest(token.encode(), secret.encode()):
        raise WebhookForbidden("Token does not match.")


def _webhook_of(workflow_id):
    workflow = Workflow.objects.filter(pk=workflow_id, status=WorkflowStatus.ACTIVE).first()
    webhooks = enabled_triggers(workflow, "WEBHOOK") if workflow else []
    # Unknown, not ACTIVE, or no enabled webhook: one answer, so the URL tells a stranger nothing.
    if not webhooks:
        raise exceptions.NotFound("No active webhook at this address.")
    return workflow, *webhooks[0]


def webhook_receive(*, workflow_id, headers, body, now=None):
    """Authenticate a delivery and start the workflow with its JSON body as input.

    Returns (firing, created): a delivery seen before returns its first firing and starts nothing.
    Nothing is written unless the request authenticates and its body is a JSON object.
    """
    workflow, index, trigger = _webhook_of(workflow_id)
    config = trigger.get("config") or {}
    secret = webhook_secret(ref=config.get("secretRef", ""))
    if secret is None:
        logger.error("Webhook of workflow %s: no secret config entry %r", workflow.pk, config.get("secretRef"))
        raise WebhookForbidden("This webhook's secret is not configured.")
    signature = None
    if config.get("auth", "hmac") == "token":
        verify_token(secret=secret, headers=headers)
    else:
        signature = verify_hmac(secret=secret, headers=headers, body=body, now=time.time() if now is None else now)
    payload = SafeJSONParser().parse(io.BytesIO(body))
    if not isinstance(payload, dict):
        raise exceptions.ValidationError({"body": "Expected a JSON object; it becomes the workflow's input."})
    delivery_id = (headers.get("X-Delivery-Id") or "").strip() or None
    if delivery_id is not None and len(delivery_id) > MAX_DELIVERY_ID:
        raise exceptions.ValidationError({"X-Delivery-Id": f"At most {MAX_DELIVERY_ID} characters."})
    if delivery_id is not None and not delivery_id.isprintable():
        # PostgreSQL cannot store NUL, and no sender's id needs control characters.
        raise exceptions.ValidationError({"X-Delivery-Id": "Printable characters only."})
    firing = firing_create(
        workflow=workflow,
        source=TriggerSource.WEBHOOK,
        trigger_index=index,
        input=payload,
        metadata={"trigger": {"type": "WEBHOOK", "index": index, "deliveryId": delivery_id}},
        delivery_id=delivery_id,
        signature=signature,
    )
    if firing is not None:
        return firing, True
    seen = TriggerFiring.objects.filter(workflow=workflow, source=TriggerSource.WEBHOOK)
    first = (seen.filter(delivery_id=delivery_id).first() if delivery_id else None) or seen.filter(
        signature=signature
    ).first()
    return first, False
