"""GET /api/v1/audit: filters by actor, action, target and date; read-only; needs the view permission."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent

URL = "/api/v1/audit"


@pytest.fixture
def trail(db):
    rows = [
        ("erin", "workflow.created", "workflow", "w1", 3),
        ("erin", "workflow.updated", "workflow", "w1", 2),
        ("otto", "execution.started", "execution", "e1", 1),
        ("otto", "breaker.reset", "breaker", "carrier-a-api", 0),
    ]
    now = timezone.now()
    for username, action, target_type, target_id, days_ago in rows:
        event = AuditEvent.objects.create(
            actor_username=username, action=action, target_type=target_type, target_id=target_id
        )
        AuditEvent.objects.filter(pk=event.pk).update(created_at=now - timedelta(days=days_ago))
    return now


def actions(response):
    assert response.status_code == 200, response.content
    return [item["action"] for item in response.json()["results"]]


def test_lists_newest_first_in_camel_case(viewer_role_api, trail):
    response = viewer_role_api.get(URL)

    assert actions(response) == ["breaker.reset", "execution.started", "workflow.updated", "workflow.created"]
    first = response.json()["results"][0]
    assert set(first) == {"id", "createdAt", "actor", "actorId", "action", "targetType", "targetId", "details"}
    assert viewer_role_api.get(f"{URL}/{first['id']}").json()["targetId"] == "carrier-a-api"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "erin"}, ["workflow.updated", "workflow.created"]),
        ({"action": "breaker.reset"}, ["breaker.reset"]),
        ({"targetType": "workflow", "targetId": "w1"}, ["workflow.updated", "workflow.created"]),
        ({"targetId": "e1"}, ["execution.started"]),
    ],
)
def test_filters(viewer_role_api, trail, query, expected):
    assert actions(viewer_role_api.get(URL, query)) == expected


def test_date_filters(viewer_role_api, trail):
    since = (trail - timedelta(days=1, hours=12)).isoformat()

    assert actions(viewer_role_api.get(URL, {"createdAfter": since})) == ["breaker.reset", "execution.started"]
    assert actions(viewer_role_api.get(URL, {"createdBefore": since})) == ["workflow.updated", "workflow.created"]


def test_the_trail_cannot_be_written_through_the_api(api, trail):
    event = AuditEvent.objects.first()

    assert api.post(URL, {"action": "x"}, format="json").status_code == 405
    assert api.patch(f"{URL}/{event.pk}", {"action": "x"}, format="json").status_code == 405
    assert api.delete(f"{URL}/{event.pk}").status_code == 405
    assert AuditEvent.objects.count() == 4


def test_needs_the_audit_view_permission(viewer_api, anon_api, trail):
    assert viewer_api.get(URL).status_code == 403
    assert anon_api.get(URL).status_code == 401
