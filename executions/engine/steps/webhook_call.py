"""WEBHOOK_CALL: send data to a webhook, signed with HMAC-SHA256 when a secret is set.

The signature header (default `X-Signature-256`) carries `sha256=<hex>` computed over
`<timestamp>.<body>`, with the Unix timestamp in `X-Signature-Timestamp`, so a receiver can
reject replays outside its time window.
"""

import hashlib
import hmac
import json

from executions.engine.registry import register
from executions.engine.steps.base import StepType
from executions.engine.steps.http_request import (
    call_service,
    checked_url,
    finish,
    request_headers,
    service_id_before_rendering,
    without_credentials,
)

SIGNATURE_HEADER = "X-Signature-256"
TIMESTAMP_HEADER = "X-Signature-Timestamp"


def sign(secret, timestamp, payload):
    """Return the signature header value for a payload (bytes)."""
    message = str(timestamp).encode() + b"." + payload
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@register
class WebhookCall(StepType):
    type_name = "WEBHOOK_CALL"

    def execute(self, invocation):
        config = invocation.config
        # Serialise once: the bytes signed are exactly the bytes sent.
        payload = json.dumps(config.get("body"), separators=(",", ":")).encode()
        extra = {"Content-Type": "application/json"}
        if config.get("signingSecret"):
            timestamp = int(invocation.now.timestamp())
            extra[TIMESTAMP_HEADER] = str(timestamp)
            extra[config.get("signatureHeader", SIGNATURE_HEADER)] = sign(config["signingSecret"], timestamp, payload)
        reply = call_service(
            invocation,
            method=config.get("method", "POST"),
            url=checked_url(config["url"]),
            headers=request_headers(invocation, extra),
            data=payload,
            accept=config.get("acceptStatuses"),
            # A signature is as good as the secret for a replay: never sent on to another origin.
            credentials=(config.get("signatureHeader", SIGNATURE_HEADER), TIMESTAMP_HEADER),
        )
        return finish(reply, None)

    def recorded_input(self, config):
        return without_credentials(config)

    def breaker_service_id(self, config, default_service_id):
        return service_id_before_rendering(config, default_service_id)
