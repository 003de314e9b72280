"""The engine's error taxonomy; a step fails by raising or returning a StepError."""

NETWORK_ERROR = "NETWORK_ERROR"
TIMEOUT = "TIMEOUT"
HTTP_ERROR = "HTTP_ERROR"
VALIDATION_ERROR = "VALIDATION_ERROR"
CIRCUIT_OPEN = "CIRCUIT_OPEN"
TRANSFORM_ERROR = "TRANSFORM_ERROR"
CONDITION_ERROR = "CONDITION_ERROR"
VARIABLE_ERROR = "VARIABLE_ERROR"
REGEX_TIMEOUT = "REGEX_TIMEOUT"
WORKFLOW_TIMEOUT = "WORKFLOW_TIMEOUT"
STEP_ERROR = "STEP_ERROR"
WORKER_LOST = "WORKER_LOST"
DESTINATION_BLOCKED = "DESTINATION_BLOCKED"
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


class StepError(Exception):
    """A step failure with a type from the taxonomy, and details a retry policy can match.

    `status` is the HTTP status of an HTTP_ERROR; `code` a symbolic network code such as
    ECONNREFUSED; `retry_after_ms` a server's Retry-After, when it sent one.
    """

    def __init__(self, error_type, message, *, status=None, code=None, details=None, retry_after_ms=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status
        self.code = code
        self.details = details or {}
        self.retry_after_ms = retry_after_ms

    def as_dict(self):
        data = {"type": self.error_type, "message": self.message}
        if self.status is not None:
            data["status"] = self.status
        if self.code is not None:
            data["code"] = self.code
        if self.details:
            data["details"] = self.details
        return data

    @classmethod
    def from_dict(cls, data):
        return cls(
            data.get("type", STEP_ERROR),
            data.get("message", ""),
            status=data.get("status"),
            code=data.get("code"),
            details=data.get("details"),
        )

    def __repr__(self):
        return f"StepError({self.error_type!r}, {self.message!r})"


# The code of a request that failed before any I/O (requests could not build it).
INVALID_REQUEST = "EINVAL"


def never_sent(error):
    """Tell whether a call failed before reaching the service (unbuildable, or refused by the guard)."""
    return error.code == INVALID_REQUEST or error.error_type == DESTINATION_BLOCKED


def counts_against_breaker(error):
    """Network errors, timeouts and 5xx say the service is unwell; a 4xx says it answered."""
    if error.error_type in (NETWORK_ERROR, TIMEOUT):
        return True
    return error.error_type == HTTP_ERROR and error.status is not None and error.status >= 500
