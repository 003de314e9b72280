"""The one outbound HTTP client: timeouts always set, errors mapped to the taxonomy."""

import json
import threading
import time

import requests

from executions.engine.errors import (
    DESTINATION_BLOCKED,
    HTTP_ERROR,
    INVALID_REQUEST,
    NETWORK_ERROR,
    TIMEOUT,
    StepError,
)
from executions.engine.outbound import DestinationBlocked, GuardedAdapter

MAX_BODY_BYTES = 1_000_000
EXCERPT_CHARS = 500

_local = threading.local()


def session():
    """Return this thread's pooled session (requests.Session is not shared across threads)."""
    if getattr(_local, "session", None) is None:
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment may bypass the address check
        for prefix in ("http://", "https://"):
            session.mount(prefix, GuardedAdapter())
        _local.session = session
    return _local.session


def _network_code(exc):
    text = repr(exc).lower()
    if "refused" in text:
        return "ECONNREFUSED"
    if "reset" in text or "aborted" in text:
        return "ECONNRESET"
    if "name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "ENOTFOUND"
    if "unreachable" in text:
        return "EHOSTUNREACH"
    return "ECONNRESET"


def _retry_after_ms(value):
    if not value:
        return None
    try:
        return max(0, int(float(value) * 1000))
    except ValueError:
        return None


def without_nul(value):
    """Replace NUL characters, which PostgreSQL cannot store in text or JSON, in a decoded body."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


def read_body(response, deadline):
    """Read at most MAX_BODY_BYTES + 1 bytes, failing with TIMEOUT once `deadline` passes.

    requests' read timeout bounds each read, not the whole body: a server trickling bytes
    could otherwise hold the call far past the step's timeout.
    """
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                break
            if time.monotonic() > deadline:
                raise StepError(
                    TIMEOUT, "The response body did not arrive within the step's timeout.", code="ETIMEDOUT"
                )
    except requests.RequestException as exc:
        raise StepError(TIMEOUT, f"Reading the response failed: {exc}.", code="ETIMEDOUT") from exc
    finally:
        response.close()
    return b"".join(chunks)


def decode_body(response, raw=None):
    """Return the body as JSON when it is JSON, else as text (truncated with a marker)."""
    raw = (response.content if raw is None else raw)[: MAX_BODY_BYTES + 1]
    truncated = len(raw) > MAX_BODY_BYTES
    raw = raw[:MAX_BODY_BYTES]
    content_type = response.headers.get("Content-Type", "")
    text = raw.decode(response.encoding or "utf-8", errors="replace")
    if "json" in content_type and not truncated:
        try:
            return without_nul(json.loads(text))
        except ValueError:
            pass
    return without_nul(text) + ("…[truncated]" if truncated else "")


def send(*, method, url, headers=None, params=None, json_body=None, data=None, timeout_ms, accept=None):
    """Make one request; return (status, headers, body) or raise StepError.

    The whole call, body included, is bounded by `timeout_ms` (plus the connect time). A status
    outside 2xx (or outside `accept`) raises HTTP_ERROR with a body excerpt.
    """
    timeout = max(timeout_ms, 1) / 1000
    deadline = time.monotonic() + timeout
    try:
        response = session().request(
            method,
            url,
            headers=headers,
            params=params,
            json=json_body,
            data=data,
            timeout=(min(timeout, 10), timeout),
            allow_redirects=False,
            stream=True,
        )
    except DestinationBlocked as exc:
        raise StepError(DESTINATION_BLOCKED, str(exc), code="EBLOCKED") from exc
    except requests.Timeout as exc:
        raise StepError(TIMEOUT, f"{method} {url} timed out after {timeout_ms} ms.", code="ETIMEDOUT") from exc
    except requests.ConnectionError as exc:
        code = _network_code(exc)
        raise StepError(NETWORK_ERROR, f"{method} {url} failed: {code}.", code=code) from exc
    except requests.RequestException as exc:
        raise StepError(NETWORK_ERROR, f"{method} {url} failed: {exc}.", code=INVALID_REQUEST) from exc
    body = decode_body(response, read_body(response, deadline))
    response_headers = dict(response.headers)
    ok = response.status_code in accept if accept else 200 <= response.status_code < 300
    if not ok:
        excerpt = body if isinstance(body, str) else json.dumps(body)
        raise StepError(
            HTTP_ERROR,
            f"{method} {url} answered {response.status_code}: {excerpt[:EXCERPT_CHARS]}",
            status=response.status_code,
            details={"status": response.status_code, "body": body if len(str(body)) <= 2000 else excerpt[:2000]},
            retry_after_ms=_retry_after_ms(response.headers.get("Retry-After"))
            if response.status_code in (429, 503)
            else None,
        )
    return response.status_code, response_headers, body
