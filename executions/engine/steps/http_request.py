"""HTTP_REQUEST: call an external API and optionally extract a value from the response."""

from urllib.parse import urlsplit

from django.conf import settings

from executions.engine import http
from executions.engine.errors import STEP_ERROR, TRANSFORM_ERROR, StepError
from executions.engine.outcomes import Completed
from executions.engine.registry import register
from executions.engine.resolver import MISSING, PLACEHOLDER, as_text, dig, split_path
from executions.engine.steps.base import StepType
from orchestration_site.masking import SECRET_MASK

IDEMPOTENCY_HEADER = "Idempotency-Key"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"


def checked_url(url):
    if not isinstance(url, str):
        raise StepError(STEP_ERROR, f"url must be a string, got {type(url).__name__}.")
    parts = urlsplit(url)
    if parts.scheme:
        http.checked_scheme(url)  # file:, gopher:, ftp: … are refused as destinations
    if parts.scheme not in http.ALLOWED_SCHEMES or not parts.hostname:
        raise StepError(STEP_ERROR, f"url must be an absolute http(s) URL, got {url!r}.")
    return url


def has_header(headers, name):
    """Tell whether `headers` sets `name`, in any letter case (HTTP header names are case-insensitive)."""
    return name.lower() in {str(key).lower() for key in headers}


# Headers that carry credentials: their values are never recorded, wherever they came from.
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token"}
)


def without_credentials(config):
    """The config as a step record keeps it: credential headers' values masked (an auth scheme kept)."""
    headers = config.get("headers")
    if not isinstance(headers, dict) or not any(str(name).lower() in CREDENTIAL_HEADERS for name in headers):
        return config
    masked = {}
    for name, value in headers.items():
        if str(name).lower() in CREDENTIAL_HEADERS:
            scheme, _, credentials = str(value).partition(" ")
            value = (
                f"{scheme} {SECRET_MASK}"
                if credentials and str(name).lower().endswith("authorization")
                else SECRET_MASK
            )
        masked[name] = value
    return {**config, "headers": masked}


def request_headers(invocation, extra=None):
    """Render headers as text and add the step's Idempotency-Key unless switched off."""
    config = invocation.config
    headers = {str(name): as_text(value) for name, value in (config.get("headers") or {}).items()}
    setting = config.get("idempotencyKey", True)
    if setting is not False:
        name = setting.get("header", IDEMPOTENCY_HEADER) if isinstance(setting, dict) else IDEMPOTENCY_HEADER
        # A key the step sets itself wins, whatever its case: requests would let ours replace
        # "idempotency-key" rather than send both.
        if not has_header(headers, name):
            headers[name] = invocation.idempotency_key
    headers.update(extra or {})
    return headers


def timeout_ms(invocation):
    """The step's timeout (default from settings), never past the workflow's deadline."""
    value = invocation.config.get("timeout") or invocation.options.get("HTTP_TIMEOUT_MS", 30000)
    if invocation.remaining_ms is not None:
        value = max(1, min(value, invocation.remaining_ms))
    return value


def service_id_for(invocation, url):
    """The breaker key: the step's serviceId, else the run's default, else scheme://host:port."""
    return service_id(invocation.config, invocation.default_service_id, url)


def service_id(config, default_service_id, url):
    if config.get("serviceId"):
        return config["serviceId"]
    if default_service_id:
        return default_service_id
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def service_id_before_rendering(config, default_service_id):
    """service_id() from an unrendered config, when no template in it can change the answer."""
    named, url = config.get("serviceId"), config.get("url")
    if named:
        return named if isinstance(named, str) and not PLACEHOLDER.search(named) else None
    if default_service_id:
        return default_service_id
    if not isinstance(url, str):
        return None
    # Only the scheme, host and port count: a template after them (in the path or the query)
    # changes nothing.
    settled = PLACEHOLDER.split(url, maxsplit=1)[0]
    if settled != url and not any(mark in settled.partition("://")[2] for mark in "/?#"):
        return None
    try:
        return service_id(config, None, checked_url(settled))
    except (StepError, ValueError):
        return None  # the step fails on it when it runs


def max_redirects(invocation):
    """Redirect hops the step follows: none unless followRedirects, at most OUTBOUND_MAX_REDIRECTS."""
    config = invocation.config
    if not config.get("followRedirects"):
        return 0
    ceiling = settings.OUTBOUND_MAX_REDIRECTS
    return min(config.get("maxRedirects", ceiling), ceiling)


def call_service(invocation, *, url, **request):
    """Make the request behind the service's circuit breaker, with the step's timeout."""
    limit = timeout_ms(invocation)
    hops = max_redirects(invocation)
    return invocation.guard(
        service_id_for(invocation, url),
        lambda: http.send(url=url, timeout_ms=limit, max_redirects=hops, **request),
        limit,
    )


def extract(body, spec):
    """Apply extractResponse {path, variableName} to a response body."""
    value = dig(body, split_path(spec["path"]))
    if value is MISSING:
        raise StepError(TRANSFORM_ERROR, f"extractResponse path {spec['path']!r} is not in the response body.")
    return value


def finish(reply, extract_spec):
    """The step's output from a Reply; a body cut at MAX_RESPONSE_BYTES says so in `truncated`."""
    status, headers, body, truncated = reply
    output = {"status": status, "headers": headers, "body": body}
    if truncated:
        output["truncated"] = truncated
    variables = None
    if extract_spec:
        output["extracted"] = extract(body, extract_spec)
        if extract_spec.get("variableName"):
            variables = {extract_spec["variableName"]: output["extracted"]}
    return Completed(output=output, variables=variables)


@register
class HttpRequest(StepType):
    type_name = "HTTP_REQUEST"
    path_keys = frozenset({"extractResponse"})

    def execute(self, invocation):
        config = invocation.config
        method = config.get("method", "GET")
        body = config.get("body")
        json_body = data = None
        if body is not None:
            if config.get("bodyType") == "text":
                data = as_text(body).encode()
            else:
                json_body = body
        params = {key: as_text(value) for key, value in (config.get("queryParams") or {}).items()}
        outgoing = request_headers(invocation)
        if data is not None and not has_header(outgoing, "Content-Type"):
            # requests sends bytes without a type; say what they are unless the step did.
            outgoing["Content-Type"] = TEXT_CONTENT_TYPE
        reply = call_service(
            invocation,
            method=method,
            url=checked_url(config["url"]),
            headers=outgoing,
            params=params or None,
            json_body=json_body,
            data=data,
            accept=config.get("acceptStatuses"),
        )
        return finish(reply, config.get("extractResponse"))

    def recorded_input(self, config):
        return without_credentials(config)

    def breaker_service_id(self, config, default_service_id):
        return service_id_before_rendering(config, default_service_id)
