"""Circuit breaker transition rules, pure: a snapshot and the database's clock in, a decision out.

- CLOSED: calls pass. Consecutive failures (network errors, timeouts, 5xx) reaching
  `threshold` open the breaker; any success resets the count.
- OPEN: calls fail at once until `timeout` ms after it opened; the next call then turns it
  HALF_OPEN and is its first probe.
- HALF_OPEN: at most `halfOpenMaxCalls` probes run at once. The first probe that succeeds
  closes the breaker; a probe that fails opens it again with a fresh timeout. Permits carry a
  lease: when it runs out with no probe having answered (their workers died), new probes may start.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

CLOSED, OPEN, HALF_OPEN = "CLOSED", "OPEN", "HALF_OPEN"
BUSY_RETRY = timedelta(milliseconds=250)


@dataclass(frozen=True)
class Snapshot:
    state: str
    failure_count: int
    threshold: int
    timeout_ms: int
    half_open_max_calls: int
    half_open_calls: int
    opened_at: datetime | None = None
    probe_lease_until: datetime | None = None


@dataclass
class Decision:
    allowed: bool = True
    probe: bool = False
    changes: dict = field(default_factory=dict)
    transition: tuple | None = None  # (from_state, to_state, reason)
    retry_at: datetime | None = None


def may_half_open_at(snapshot):
    """When an OPEN breaker lets its first probe through."""
    if snapshot.state != OPEN or snapshot.opened_at is None:
        return None
    return snapshot.opened_at + timedelta(milliseconds=snapshot.timeout_ms)


def acquire(snapshot, now, lease):
    """Decide whether a call may go out now; `lease` is how long a probe permit lasts."""
    if snapshot.state == CLOSED:
        return Decision()
    if snapshot.state == OPEN:
        reopen_at = may_half_open_at(snapshot) or now
        if now < reopen_at:
            return Decision(allowed=False, retry_at=reopen_at)
        return Decision(
            probe=True,
            changes={"state": HALF_OPEN, "half_open_calls": 1, "probe_lease_until": now + lease},
            transition=(OPEN, HALF_OPEN, "timeout elapsed; probing"),
        )
    if snapshot.half_open_calls < snapshot.half_open_max_calls:
        return Decision(
            probe=True,
            changes={
                "half_open_calls": snapshot.half_open_calls + 1,
                "probe_lease_until": max(snapshot.probe_lease_until or now, now + lease),
            },
        )
    if snapshot.probe_lease_until is not None and now >= snapshot.probe_lease_until:
        return Decision(probe=True, changes={"half_open_calls": 1, "probe_lease_until": now + lease})
    return Decision(allowed=False, retry_at=min(snapshot.probe_lease_until or now + BUSY_RETRY, now + BUSY_RETRY))


def on_success(snapshot, probe, now):
    """A call answered (a 4xx counts: the service is up)."""
    if snapshot.state == HALF_OPEN and probe:
        return Decision(
            changes={
                "state": CLOSED,
                "failure_count": 0,
                "half_open_calls": 0,
                "opened_at": None,
                "probe_lease_until": None,
                "last_success_time": now,
            },
            transition=(HALF_OPEN, CLOSED, "probe succeeded"),
        )
    if snapshot.state == CLOSED:
        return Decision(changes={"failure_count": 0, "last_success_time": now})
    return Decision(changes={"last_success_time": now})


def on_failure(snapshot, probe, now, reason=""):
    """A call failed with a network error, a timeout or a 5xx.

    Only a probe's failure reopens a HALF_OPEN breaker: a call admitted while it was still
    CLOSED that fails late says nothing about the service's recovery.
    """
    if snapshot.state == HALF_OPEN and probe:
        return Decision(
            changes={
                "state": OPEN,
                "opened_at": now,
                "half_open_calls": 0,
                "probe_lease_until": None,
                "last_failure_time": now,
            },
            transition=(HALF_OPEN, OPEN, f"probe failed: {reason}"[:500]),
        )
    if snapshot.state == CLOSED:
        count = snapshot.failure_count + 1
        if count >= snapshot.threshold:
            return Decision(
                changes={"state": OPEN, "opened_at": now, "failure_count": count, "last_failure_time": now},
                transition=(CLOSED, OPEN, f"{count} consecutive failures; last: {reason}"[:500]),
            )
        return Decision(changes={"failure_count": count, "last_failure_time": now})
    return Decision(changes={"last_failure_time": now})
