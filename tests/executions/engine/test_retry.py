"""Retry arithmetic: delays per strategy, jitter, which errors retry, and when attempts run out."""

import pytest

from executions.engine.errors import (
    CIRCUIT_OPEN,
    HTTP_ERROR,
    NETWORK_ERROR,
    TIMEOUT,
    TRANSFORM_ERROR,
    VALIDATION_ERROR,
    StepError,
)
from executions.engine.retry import DEFAULTS, backoff_delay, effective_policy, is_retryable, jittered, next_delay


def policy(**overrides):
    return effective_policy({"jitter": "NONE", **overrides})


def http_error(status, retry_after_ms=None):
    return StepError(HTTP_ERROR, f"answered {status}", status=status, retry_after_ms=retry_after_ms)


REFUSED = StepError(NETWORK_ERROR, "refused", code="ECONNREFUSED")
RESET = StepError(NETWORK_ERROR, "reset", code="ECONNRESET")
TIMED_OUT = StepError(TIMEOUT, "timed out", code="ETIMEDOUT")


# ---------------------------------------------------------------- defaults


def test_defaults_match_the_spec():
    assert DEFAULTS["maxAttempts"] == 3
    assert DEFAULTS["initialDelay"] == 1000
    assert DEFAULTS["maxDelay"] == 30000
    assert DEFAULTS["backoffMultiplier"] == 2
    assert DEFAULTS["jitter"] == "NONE"


def test_no_policy_means_a_single_attempt():
    assert effective_policy(None)["maxAttempts"] == 1
    assert effective_policy({})["maxAttempts"] == 1
    assert next_delay(effective_policy(None), 1, http_error(503)) is None


def test_a_partial_policy_is_filled_with_defaults():
    filled = effective_policy({"maxAttempts": 5})
    assert filled == {**DEFAULTS, "maxAttempts": 5}


# ---------------------------------------------------------------- delay tables (jitter off)


@pytest.mark.parametrize(
    ("settings", "attempt", "delay"),
    [
        # EXPONENTIAL: initialDelay * multiplier^(attempt-1), capped by maxDelay.
        ({"strategy": "EXPONENTIAL"}, 1, 1000),
        ({"strategy": "EXPONENTIAL"}, 2, 2000),
        ({"strategy": "EXPONENTIAL"}, 3, 4000),
        ({"strategy": "EXPONENTIAL"}, 4, 8000),
        ({"strategy": "EXPONENTIAL"}, 5, 16000),
        ({"strategy": "EXPONENTIAL"}, 6, 30000),
        ({"strategy": "EXPONENTIAL"}, 7, 30000),
        ({"strategy": "EXPONENTIAL"}, 1000, 30000),
        ({"strategy": "EXPONENTIAL", "backoffMultiplier": 3, "initialDelay": 100}, 3, 900),
        ({"strategy": "EXPONENTIAL", "backoffMultiplier": 1.5, "initialDelay": 1000}, 3, 2250),
        ({"strategy": "EXPONENTIAL", "backoffMultiplier": 1}, 1000, 1000),
        ({"strategy": "EXPONENTIAL", "backoffMultiplier": 100, "maxDelay": 86_400_000}, 1000, 86_400_000),
        ({"strategy": "EXPONENTIAL", "initialDelay": 0}, 1000, 0),
        ({"strategy": "EXPONENTIAL", "initialDelay": 50_000}, 1, 30000),
        # LINEAR: initialDelay * attempt.
        ({"strategy": "LINEAR"}, 1, 1000),
        ({"strategy": "LINEAR"}, 2, 2000),
        ({"strategy": "LINEAR"}, 3, 3000),
        ({"strategy": "LINEAR", "initialDelay": 500}, 4, 2000),
        ({"strategy": "LINEAR", "maxDelay": 2500}, 3, 2500),
        ({"strategy": "LINEAR"}, 30, 30000),
        ({"strategy": "LINEAR"}, 1000, 30000),
        # FIXED: the same delay every time.
        ({"strategy": "FIXED"}, 1, 1000),
        ({"strategy": "FIXED"}, 2, 1000),
        ({"strategy": "FIXED", "initialDelay": 250}, 1000, 250),
        ({"strategy": "FIXED", "initialDelay": 5000, "maxDelay": 1000}, 1, 1000),
        # NONE: no delay (and no retry at all, see below).
        ({"strategy": "NONE"}, 1, 0),
        ({"strategy": "NONE"}, 1000, 0),
    ],
)
def test_backoff_delay_table(settings, attempt, delay):
    result = backoff_delay(policy(**settings), attempt)
    assert result == delay
    assert isinstance(result, int)


@pytest.mark.parametrize("strategy", ["EXPONENTIAL", "LINEAR", "FIXED"])
@pytest.mark.parametrize("attempt", [1, 2, 10, 100, 1000, 10_000])
def test_no_delay_exceeds_max_delay(strategy, attempt):
    assert 0 <= backoff_delay(policy(strategy=strategy, maxDelay=7000), attempt) <= 7000


def test_exponential_at_attempt_1000_does_not_overflow_with_a_float_multiplier():
    assert backoff_delay(policy(strategy="EXPONENTIAL", backoffMultiplier=99.5), 1000) == 30000


# ---------------------------------------------------------------- jitter


@pytest.mark.parametrize(
    ("jitter", "rand", "expected"),
    [
        ("NONE", 0.0, 8000),
        ("NONE", 0.99, 8000),
        ("FULL", 0.0, 0),
        ("FULL", 0.5, 4000),
        ("FULL", 0.999, 7992),
        ("EQUAL", 0.0, 4000),
        ("EQUAL", 0.5, 6000),
        ("EQUAL", 0.999, 7996),
    ],
)
def test_jittered(jitter, rand, expected):
    assert jittered(8000, jitter, rand=lambda: rand) == expected


@pytest.mark.parametrize("rand", [0.0, 0.1, 0.5, 0.9, 0.999999])
def test_jitter_bounds_through_next_delay(rand):
    full = policy(strategy="EXPONENTIAL", jitter="FULL", maxAttempts=5)
    equal = policy(strategy="EXPONENTIAL", jitter="EQUAL", maxAttempts=5)
    # attempt 3 → base delay 4000
    assert 0 <= next_delay(full, 3, http_error(503), rand=lambda: rand) <= 4000
    assert 2000 <= next_delay(equal, 3, http_error(503), rand=lambda: rand) <= 4000


# ---------------------------------------------------------------- which errors retry


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (REFUSED, True),
        (RESET, True),
        (TIMED_OUT, True),
        (StepError(CIRCUIT_OPEN, "open"), True),
        (http_error(408), True),
        (http_error(429), True),
        (http_error(500), True),
        (http_error(502), True),
        (http_error(503), True),
        (http_error(599), True),
        (http_error(400), False),
        (http_error(401), False),
        (http_error(403), False),
        (http_error(404), False),
        (http_error(409), False),
        (http_error(422), False),
        (StepError(HTTP_ERROR, "no status"), False),
        (StepError(VALIDATION_ERROR, "bad"), False),
        (StepError(TRANSFORM_ERROR, "bad"), False),
    ],
)
def test_default_retryable(error, retryable):
    assert is_retryable(policy(), error) is retryable


@pytest.mark.parametrize(
    ("names", "error", "retryable"),
    [
        (["ECONNREFUSED"], REFUSED, True),
        (["ECONNREFUSED"], RESET, False),
        (["econnrefused"], REFUSED, True),
        (["ECONNREFUSED"], http_error(503), False),
        (["503"], http_error(503), True),
        (["503"], http_error(502), False),
        ([503], http_error(503), True),
        (["5xx"], http_error(500), True),
        (["5XX"], http_error(599), True),
        (["5xx"], http_error(404), False),
        (["5xx"], REFUSED, False),
        (["4xx"], http_error(404), True),
        (["4xx"], http_error(400), True),
        (["4xx"], http_error(503), False),
        (["TIMEOUT"], TIMED_OUT, True),
        (["ETIMEDOUT"], TIMED_OUT, True),
        (["TIMEOUT"], REFUSED, False),
        (["NETWORK_ERROR"], RESET, True),
        (["HTTP_ERROR"], http_error(400), True),
        (["VALIDATION_ERROR"], StepError(VALIDATION_ERROR, "bad"), True),
        (["ECONNREFUSED", "ETIMEDOUT", "5xx"], http_error(503), True),
        (["ECONNREFUSED", "ETIMEDOUT", "5xx"], TIMED_OUT, True),
        (["ECONNREFUSED", "ETIMEDOUT", "5xx"], http_error(429), False),
        # A list replaces the defaults: a 503 not listed does not retry.
        (["429"], http_error(503), False),
    ],
)
def test_retryable_errors_list(names, error, retryable):
    assert is_retryable(policy(retryableErrors=names), error) is retryable


# ---------------------------------------------------------------- next_delay


def test_next_delay_until_attempts_are_exhausted():
    three = policy(strategy="EXPONENTIAL", maxAttempts=3)
    assert next_delay(three, 1, http_error(503)) == 1000
    assert next_delay(three, 2, http_error(503)) == 2000
    assert next_delay(three, 3, http_error(503)) is None
    assert next_delay(three, 4, http_error(503)) is None


def test_next_delay_is_none_for_an_error_that_does_not_retry():
    assert next_delay(policy(maxAttempts=5), 1, http_error(400)) is None


def test_strategy_none_never_retries():
    # The spec: "NONE - No retries", whatever maxAttempts says.
    assert next_delay(policy(strategy="NONE", maxAttempts=3), 1, http_error(503)) is None
    assert effective_policy({"strategy": "NONE"})["maxAttempts"] == 1


def test_max_attempts_one_never_retries():
    assert next_delay(policy(maxAttempts=1), 1, REFUSED) is None


@pytest.mark.parametrize(
    ("retry_after_ms", "expected"),
    [
        (None, 1000),
        (500, 1000),  # shorter than the backoff: the backoff stands
        (5000, 5000),  # longer: honoured
        (120_000, 30000),  # capped by maxDelay
    ],
)
def test_retry_after_is_honoured_but_capped(retry_after_ms, expected):
    assert next_delay(policy(maxAttempts=3), 1, http_error(429, retry_after_ms)) == expected


def test_retry_after_does_not_grant_an_attempt_beyond_max_attempts():
    assert next_delay(policy(maxAttempts=2), 2, http_error(503, 1000)) is None
