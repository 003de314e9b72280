"""How long a refused call should wait is measured by the database's clock, not the worker's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from breakers import services
from breakers.services import BreakerOpen, breaker_acquire, breaker_configure, breaker_get_or_create, breaker_record

SERVICE = "carrier-a-api"


def opened(timeout):
    breaker = breaker_get_or_create(service_id=SERVICE)
    breaker_configure(breaker=breaker, config={"threshold": 1, "timeout": timeout})
    breaker_record(permit=breaker_acquire(service_id=SERVICE), success=False, reason="HTTP 503")


@pytest.mark.parametrize("skew", [timedelta(minutes=-2), timedelta(0), timedelta(minutes=2)])
def test_a_refused_call_waits_the_breakers_timeout_whatever_the_workers_clock(db, monkeypatch, skew):
    opened(timeout=60_000)
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + skew)

    with pytest.raises(BreakerOpen) as refused:
        breaker_acquire(service_id=SERVICE)

    assert 55_000 <= services.retry_after_ms(refused.value) <= 60_000
