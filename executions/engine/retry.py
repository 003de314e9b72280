"""Retry policy arithmetic, pure: which errors retry and how long to wait."""

import random

from executions.engine.errors import CIRCUIT_OPEN, HTTP_ERROR, NETWORK_ERROR, TIMEOUT

DEFAULTS = {
    "maxAttempts": 3,
    "strategy": "EXPONENTIAL",
    "initialDelay": 1000,
    "maxDelay": 30000,
    "backoffMultiplier": 2,
    "jitter": "NONE",
}
NO_RETRY = {**DEFAULTS, "maxAttempts": 1, "strategy": "NONE"}
NETWORK_CODES = {"ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "ECONNABORTED"}
DEFAULT_RETRYABLE_STATUSES = {408, 429}


def effective_policy(policy):
    """Fill a step's retryPolicy with the defaults; no policy, or strategy NONE, means a single attempt."""
    if not policy:
        return dict(NO_RETRY)
    filled = {**DEFAULTS, **policy}
    if filled["strategy"] == "NONE":
        # The spec's NONE is "no retries", not retries without a pause (maxAttempts defaults to 3).
        filled["maxAttempts"] = 1
    return filled


def backoff_delay(policy, attempt):
    """Return the delay in ms before attempt `attempt + 1`, after `attempt` failed (no jitter).

    Capped by maxDelay; never overflows, even at attempt 1000.
    """
    strategy = policy["strategy"]
    initial, cap = policy["initialDelay"], policy["maxDelay"]
    if strategy == "NONE":
        return 0
    if strategy == "FIXED":
        delay = initial
    elif strategy == "LINEAR":
        delay = initial * attempt
    else:
        multiplier = policy["backoffMultiplier"]
        exponent = attempt - 1
        # Past the cap there is nothing to compute: stop before the power can overflow.
        delay = cap
        value = initial
        for _ in range(min(exponent, 2000)):
            value *= multiplier
            if value >= cap:
                break
        else:
            delay = value
    return int(min(delay, cap))


def jittered(delay, jitter, rand=random.random):
    """Spread a delay: NONE keeps it, FULL picks 0..delay, EQUAL picks delay/2..delay."""
    if jitter == "FULL":
        return int(delay * rand())
    if jitter == "EQUAL":
        return int(delay / 2 + delay / 2 * rand())
    return delay


def matches(error, names):
    """Tell whether a StepError matches any of `names`: type, network code, status or class."""
    for name in names:
        name = str(name).upper()
        if name == error.error_type or (error.code and name == error.code):
            return True
        if error.status is not None:
            if name == str(error.status):
                return True
            if len(name) == 3 and name.endswith("XX") and name[0] == str(error.status)[0]:
                return True
    return False


def is_retryable(policy, error):
    """Tell whether an error may be retried under a policy.

    Without `retryableErrors`: network errors, timeouts, 408, 429 and 5xx; never another 4xx.
    An open circuit is retried like a network error: the wait is the breaker's, not ours.
    """
    names = policy.get("retryableErrors")
    if names:
        return matches(error, names)
    if error.error_type in (NETWORK_ERROR, TIMEOUT, CIRCUIT_OPEN):
        return True
    if error.error_type == HTTP_ERROR and error.status is not None:
        return error.status >= 500 or error.status in DEFAULT_RETRYABLE_STATUSES
    return False


def next_delay(policy, attempt, error, rand=random.random):
    """Return the delay in ms before the next attempt, or None when no attempt is left."""
    if attempt >= policy["maxAttempts"] or not is_retryable(policy, error):
        return None
    delay = jittered(backoff_delay(policy, attempt), policy.get("jitter", "NONE"), rand)
    if error.retry_after_ms is not None:
        delay = max(delay, min(error.retry_after_ms, policy["maxDelay"]))
    return delay
