"""WEBHOOK trigger: a signed delivery starts one execution; anything unauthenticated writes nothing."""

import json
import time

import pytest
from django.test import Client

from executions.models import TriggerFiring, WorkflowExecution
from executions.triggers.webhook import sign
from workflows.services import config_set

SECRET = "whsec-0123456789abcdef"


@pytest.fixture
def hook(make_workflow):
    """An ACTIVE workflow with an HMAC webhook trigger whose secret is in the config store."""
    config_set(key="webhooks.leadIntake", value=SECRET, is_secret=True)
    return make_workflow(
        [], triggers=[{"type": "MANUAL"}, {"type": "WEBHOOK", "config": {"secretRef": "webhooks.leadIntake"}}]
    )


def url(workflow):
    return f"/api/v1/workflows/{workflow.pk}/webhook"


def deliver(workflow, body=b'{"leadId": "lead_123"}', *, secret=SECRET, timestamp=None, delivery="d-1", **headers):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    values = {
        "X-Webhook-Timestamp": timestamp,
        "X-Webhook-Signature": sign(secret, timestamp, body),
        "X-Delivery-Id": delivery,
        **headers,
    }
    values = {key: value for key, value in values.items() if value is not None}
    return Client().post(url(workflow), data=body, content_type="application/json", headers=values)


def test_a_signed_delivery_starts_one_execution_with_the_body_as_input(hook):
    response = deliver(hook)

    assert response.status_code == 202, response.content
    execution = WorkflowExecution.objects.get()
    assert execution.input == {"leadId": "lead_123"}
    firing = TriggerFiring.objects.get()
    assert (firing.source, firing.trigger_index, firing.delivery_id) == ("WEBHOOK", 1, "d-1")
    assert firing.execution == execution
    assert response.json()["executionId"] == str(execution.pk)
    assert response.json()["duplicate"] is False


def test_the_same_delivery_twice_starts_one_execution(hook):
    first = deliver(hook)
    second = deliver(hook)

    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["duplicate"] is True
    assert second.json()["executionId"] == first.json()["executionId"]
    assert WorkflowExecution.objects.count() == TriggerFiring.objects.count() == 1


def test_a_captured_request_replayed_under_a_new_delivery_id_starts_nothing(hook):
    timestamp = str(int(time.time()))
    deliver(hook, timestamp=timestamp, delivery="d-1")

    replay = deliver(hook, timestamp=timestamp, delivery="d-forged")

    assert replay.status_code == 200
    assert WorkflowExecution.objects.count() == 1


def test_distinct_deliveries_each_start_a_run(hook):
    deliver(hook, delivery="d-1")
    deliver(hook, body=b'{"leadId": "lead_456"}', delivery="d-2")

    assert WorkflowExecution.objects.count() == 2


REJECTED = [
    ("tampered body", {"body": b'{"leadId": "lead_999"}', "sign_body": b'{"leadId": "lead_123"}'}, 403),
    ("wrong secret", {"secret": "not-the-secret"}, 403),
    ("missing signature", {"X-Webhook-Signature": None}, 401),
    ("missing timestamp", {"X-Webhook-Timestamp": None}, 401),
    ("stale timestamp", {"age": 310}, 403),
    ("timestamp in the future", {"age": -310}, 403),  # a margin: the timestamp is whole seconds
    ("timestamp not a number", {"raw_timestamp": "yesterday"}, 403),
    ("signature without prefix", {"strip_prefix": True}, 403),
]


@pytest.mark.parametrize(("case", "expected"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED])
def test_unauthenticated_deliveries_are_refused_with_nothing_written(hook, case, expected):
    body = case.get("body", b'{"leadId": "lead_123"}')
    timestamp = case.get("raw_timestamp") or str(int(time.time()) - case.get("age", 0))
    signature = sign(case.get("secret", SECRET), timestamp, case.get("sign_body", body))
    if case.get("strip_prefix"):
        signature = signature.removeprefix("sha256=")
    headers = {"X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": signature, "X-Delivery-Id": "d-1"}
    for name in ("X-Webhook-Signature", "X-Webhook-Timestamp"):
        if name in case:
            del headers[name]

    response = Client().post(url(hook), data=body, content_type="application/json", headers=headers)

    assert response.status_code == expected, response.content
    assert not WorkflowExecution.objects.exists()
    assert not TriggerFiring.objects.exists()


def test_a_timestamp_inside_the_window_is_accepted(hook):
    assert deliver(hook, timestamp=str(int(time.time()) - 290)).status_code == 202


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"", b'{"a": NaN}'])
def test_a_signed_body_that_is_not_a_json_object_is_400(hook, body):
    response = deliver(hook, body=body)

    assert response.status_code == 400
    assert "errors" in response.json()
    assert not WorkflowExecution.objects.exists()


def test_token_authentication(make_workflow):
    config_set(key="webhooks.token", value=SECRET, is_secret=True)
    workflow = make_workflow(
        [], triggers=[{"type": "WEBHOOK", "config": {"secretRef": "webhooks.token", "auth": "token"}}]
    )
    post = Client().post

    wrong = post(url(workflow), data=b"{}", content_type="application/json", headers={"X-Webhook-Token": "nope"})
    missing = post(url(workflow), data=b"{}", content_type="application/json")
    right = post(url(workflow), data=b'{"a": 1}', content_type="application/json", headers={"X-Webhook-Token": SECRET})

    assert (wrong.status_code, missing.status_code, right.status_code) == (403, 401, 202)
    assert WorkflowExecution.objects.get().input == {"a": 1}


def test_a_signature_does_not_authenticate_a_token_webhook(make_workflow):
    config_set(key="webhooks.token", value=SECRET, is_secret=True)
    workflow = make_workflow(
        [], triggers=[{"type": "WEBHOOK", "config": {"secretRef": "webhooks.token", "auth": "token"}}]
    )

    assert deliver(workflow).status_code == 401
    assert not WorkflowExecution.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"status": "INACTIVE"},
        {"status": "DRAFT"},
        {"triggers": [{"type": "WEBHOOK", "config": {"secretRef": "webhooks.leadIntake"}, "isEnabled": False}]},
        {"triggers": [{"type": "MANUAL"}]},
    ],
    ids=["inactive", "draft", "webhook disabled", "no webhook trigger"],
)
def test_a_workflow_not_listening_answers_404_and_writes_nothing(hook, change):
    for key, value in change.items():
        setattr(hook, key, value)
    hook.save()

    response = deliver(hook)

    assert response.status_code == 404
    assert not WorkflowExecution.objects.exists()


def test_an_unknown_workflow_is_404(hook):
    response = Client().post(
        "/api/v1/workflows/00000000-0000-0000-0000-000000000000/webhook", data=b"{}", content_type="application/json"
    )

    assert response.status_code == 404


@pytest.mark.parametrize("secret", [None, "public"], ids=["missing entry", "entry not secret"])
def test_a_secret_that_is_missing_or_public_authenticates_nothing(make_workflow, secret):
    if secret:
        config_set(key="webhooks.public", value=SECRET, is_secret=False)
    workflow = make_workflow([], triggers=[{"type": "WEBHOOK", "config": {"secretRef": "webhooks.public"}}])

    response = deliver(workflow)

    assert response.status_code == 403
    assert not WorkflowExecution.objects.exists()


def test_the_secret_never_appears_in_the_workflow_or_firing_output(api, hook):
    deliver(hook)

    shown = json.dumps(
        [api.get(f"/api/v1/workflows/{hook.pk}").json(), api.get(f"/api/v1/workflows/{hook.pk}/firings").json()]
    )

    assert "webhooks.leadIntake" in shown
    assert SECRET not in shown


def test_the_webhook_ignores_api_credentials(hook, api):
    # A valid API token is no substitute for the signature.
    response = api.post(url(hook), {"leadId": "x"}, format="json")

    assert response.status_code == 401
    assert not WorkflowExecution.objects.exists()


def test_a_timestamp_too_long_to_be_a_time_is_403_not_a_500(hook):
    # int() refuses more than 4,300 digits; a header that long must still be a plain refusal.
    response = deliver(hook, timestamp="1" * 5000)

    assert response.status_code == 403, response.content
    assert not WorkflowExecution.objects.exists()


def test_a_delivery_id_with_control_characters_is_400_with_nothing_written(hook):
    response = deliver(hook, delivery="d-\x00-1")

    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["path"] == "X-Delivery-Id"
    assert not WorkflowExecution.objects.exists()
    assert not TriggerFiring.objects.exists()
