"""The one outbound HTTP client: timeouts always set, limits enforced, errors mapped to the taxonomy.

Redirects are followed only when a step asks (`followRedirects`), at most `maxRedirects` hops
(capped by OUTBOUND_MAX_REDIRECTS). Every hop is a new request through the SSRF guard, so each
destination is checked before anything is sent to it; a hop to another origin drops
credentials; 303, and 301/302 after a POST, continue as a GET without body (as browsers and
requests do). No cookie is ever kept between requests.
"""

import http.cookiejar
import json
import re
import threading
import time
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from executions.engine.errors import (
    DESTINATION_BLOCKED,
    HTTP_ERROR,
    INVALID_REQUEST,
    LIMIT_EXCEEDED,
    NETWORK_ERROR,
    TIMEOUT,
    StepError,
)
from executions.engine.outbound import DestinationBlocked, GuardedAdapter
from orchestration_site.masking import mask_known
from orchestration_site.parsers import strict_loads

EXCERPT_CHARS = 500
# Read this much past the stored size, so a secret cut by the limit is still recognised and masked.
MASK_MARGIN_BYTES = 64 * 1024
ALLOWED_SCHEMES = ("http", "https")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Never sent to another origin than the one the step named.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "transfer-encoding"})

_local = threading.local()


class Reply(NamedTuple):
    """What a call answered: status, headers, decoded body, and (when cut) the body's declared size."""

    status: int
    headers: dict
    body: object
    truncated: dict | None = None


def max_response_bytes():
    return settings.ORCHESTRATION.get("MAX_RESPONSE_BYTES", 1_000_000)


class _Session(requests.Session):
    """A session that leaves redirects to `send`, which checks each hop itself."""

    def resolve_redirects(self, *args, **kwargs):
        # requests prepares the next hop even with allow_redirects=False (Response.next); a Location it
        # cannot parse would raise ValueError there, before `send` could answer it as the service's error.
        return iter(())


def session():
    """Return this thread's pooled session (requests.Session is not shared across threads)."""
    if getattr(_local, "session", None) is None:
        session = _Session()
        session.trust_env = False  # no proxy from the environment may bypass the address check
        # The session outlives one execution: a cookie one service set must never reach a later call.
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        for prefix in ("http://", "https://"):
            session.mount(prefix, GuardedAdapter())
        _local.session = session
    return _local.session


def checked_scheme(url):
    """Refuse a URL whose scheme is not http or https (file:, gopher:, ftp: …) with DESTINATION_BLOCKED."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise StepError(
            DESTINATION_BLOCKED,
            f"Outbound request to {url} refused: only http and https URLs may be requested, not {scheme or 'none'}:.",
            code="EBLOCKED",
        )
    return url


def origin(url):
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


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


# NUL and unpaired surrogates (a JSON body may spell both as escapes) cannot be stored as text or
# JSON, nor sent back as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value):
    """Replace what cannot be stored (NUL, unpaired surrogates) in a decoded body with U+FFFD."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def read_body(response, deadline, limit):
    """Read at most `limit` bytes plus a margin, failing with TIMEOUT once `deadline` passes.

    requests' read timeout bounds each read, not the whole body: a server trickling bytes
    could otherwise hold the call far past the step's timeout.
    """
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit + MASK_MARGIN_BYTES:
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


def decode_body(response, raw, limit):
    """Return (body, truncated): JSON when it is JSON, else text; past `limit` bytes, the first `limit`.

    A cut body is kept as text, masked before it is cut, and `truncated` says how much was kept
    and how large the server said the whole was (Content-Length, when it sent one).
    """
    content_type = response.headers.get("Content-Type", "")
    text = raw.decode(response.encoding or "utf-8", errors="replace")
    if len(raw) <= limit:
        if "json" in content_type:
            try:
                # NaN and Infinity are not JSON and no database stores them as JSON: such a body stays text.
                return storable(strict_loads(text)), None
            except (ValueError, RecursionError):  # too deep to decode: kept as text
                pass
        return storable(text), None
    kept = mask_known(text).encode()[:limit].decode("utf-8", errors="ignore")
    declared = response.headers.get("Content-Length")
    truncated = {"keptBytes": limit, "totalBytes": int(declared) if declared and declared.isdigit() else None}
    return storable(kept), truncated


def _request_body_size(json_body, data):
    if data is not None:
        return len(data) if isinstance(data, (bytes, str)) else 0
    if json_body is not None:
        try:
            # As requests serialises it.
            return len(json.dumps(json_body, allow_nan=False).encode())
        except ValueError:
            return 0  # requests refuses it with a clear error of its own
    return 0


def _next_hop(method, url, response, headers, credentials, body=None):
    """Return (method, url, headers, keeps_body) for the hop a redirect asks for.

    A hop to another origin never carries what was meant for the step's own: credential headers
    are dropped, and a body holding a secret (kept by 307 and 308) fails the step instead.
    """
    location = response.headers["Location"]
    try:
        location = urljoin(url, location)
        checked_scheme(location)
        moved = origin(location) != origin(url)
    except ValueError as error:  # a port out of range, a broken IPv6 literal: the service's answer is unusable
        raise StepError(
            HTTP_ERROR,
            f"{method} {url} redirected to {location}, which cannot be followed: {error}.",
            status=response.status_code,
        ) from None
    if moved:
        # Credentials were meant for the origin the step named, not for whoever it redirects to.
        private = {name.lower() for name in credentials} | CREDENTIAL_HEADERS
        headers = {
            name: value for name, value in headers.items() if name.lower() not in private and not _holds_secret(value)
        }
    keeps_body = True
    status = response.status_code
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, keeps_body = "GET", False
        headers = {name: value for name, value in headers.items() if name.lower() not in BODY_HEADERS}
    if moved and keeps_body and body is not None and mask_known(body) != body:
        raise StepError(
            HTTP_ERROR,
            f"{method} {url} redirected to {location}, another origin: the request body holds a secret "
            "config value, so it is not sent there.",
            status=status,
        )
    return method, location, headers, keeps_body


def _sent_body(json_body, data):
    """The body a hop would carry, as JSON or text, to look for secrets in."""
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return json_body if data is None else data


def _holds_secret(value):
    return isinstance(value, str) and mask_known(value) != value


def send(
    *,
    method,
    url,
    headers=None,
    params=None,
    json_body=None,
    data=None,
    timeout_ms,
    accept=None,
    max_redirects=0,
    credentials=(),
):
    """Make one call (following up to `max_redirects` redirects); return a Reply or raise StepError.

    The whole call, every hop and body included, is bounded by `timeout_ms` (plus the connect
    time). A status outside 2xx (or outside `accept`) raises HTTP_ERROR with a body excerpt.
    `credentials` names headers dropped on a hop to another origin, besides Authorization,
    Proxy-Authorization, Cookie and any header holding a secret config value.
    """
    checked_scheme(url)
    limits = settings.ORCHESTRATION
    size = _request_body_size(json_body, data)
    if size > limits.get("MAX_REQUEST_BODY_BYTES", 1_000_000):
        raise StepError(
            LIMIT_EXCEEDED,
            f"The request body is {size} bytes; at most {limits['MAX_REQUEST_BODY_BYTES']} (MAX_REQUEST_BODY_BYTES).",
            code=INVALID_REQUEST,  # refused before any I/O: the service never saw it
        )
    timeout = max(timeout_ms, 1) / 1000
    deadline = time.monotonic() + timeout
    headers = dict(headers or {})
    hops = 0
    first_url = url
    while True:
        left = timeout if not hops else max(deadline - time.monotonic(), 0.001)  # what is left of it
        try:
            response = session().request(
                method,
                url,
                headers=headers,
                params=params if hops == 0 else None,
                json=json_body,
                data=data,
                timeout=(min(left, 10), left),
                allow_redirects=False,
                stream=True,
            )
        except DestinationBlocked as exc:
            hop = f" (redirect {hops} from {first_url})" if hops else ""
            raise StepError(DESTINATION_BLOCKED, f"{exc}{hop}", code="EBLOCKED") from exc
        except requests.Timeout as exc:
            raise StepError(TIMEOUT, f"{method} {url} timed out after {timeout_ms} ms.", code="ETIMEDOUT") from exc
        except requests.ConnectionError as exc:
            code = _network_code(exc)
            raise StepError(NETWORK_ERROR, f"{method} {url} failed: {code}.", code=code) from exc
        except requests.RequestException as exc:
            raise StepError(NETWORK_ERROR, f"{method} {url} failed: {exc}.", code=INVALID_REQUEST) from exc
        redirect = response.status_code in REDIRECT_STATUSES and response.headers.get("Location")
        if not redirect or not max_redirects or (accept and response.status_code in accept):
            break
        if hops >= max_redirects:
            response.close()
            raise StepError(
                HTTP_ERROR,
                f"{method} {first_url} was redirected more than {max_redirects} times (maxRedirects).",
                status=response.status_code,
            )
        try:
            # The request of the new hop goes through the guard again before anything is sent.
            method, url, headers, keeps_body = _next_hop(
                method, response.url or url, response, headers, credentials, _sent_body(json_body, data)
            )
        finally:
            response.close()
        if not keeps_body:
            json_body = data = None
        hops += 1
    limit = max_response_bytes()
    body, truncated = decode_body(response, read_body(response, deadline, limit), limit)
    response_headers = dict(response.headers)
    ok = response.status_code in accept if accept else 200 <= response.status_code < 300
    if not ok:
        excerpt = mask_known(body if isinstance(body, str) else json.dumps(body))
        hint = ""
        if redirect and not max_redirects:
            hint = " (a redirect: set followRedirects to follow it)"
        raise StepError(
            HTTP_ERROR,
            f"{method} {url} answered {response.status_code}{hint}: {excerpt[:EXCERPT_CHARS]}",
            status=response.status_code,
            details={"status": response.status_code, "body": body if len(str(body)) <= 2000 else excerpt[:2000]},
            retry_after_ms=_retry_after_ms(response.headers.get("Retry-After"))
            if response.status_code in (429, 503)
            else None,
        )
    return Reply(response.status_code, response_headers, body, truncated)
