"""The spec's example workflows run end to end through a real worker against a real server."""

import pytest

from tests.conftest import steps_of
from workflows import services
from workflows.demo_data import spec_examples

LEAD = {"id": "lead_123", "email": "ada@example.com", "insuranceType": "auto", "name": "Ada"}


def example(number, server):
    """The spec's example verbatim, with its hosts replaced by the recording server."""
    definition = spec_examples()[number - 1]
    for step in definition["steps"]:
        url = step["config"].get("url")
        if url:
            for host in (
                "https://api.internal.com",
                "https://carrier-a.com",
                "https://carrier-b.com",
                "https://carrier-c.com",
                "https://webhook.site",
            ):
                prefix = "/" + host.split("//")[1].split(".")[0] if "carrier" in host else ""
                url = url.replace(host, server.url(prefix))
            step["config"]["url"] = url
    return definition


@pytest.fixture
def carrier_key(db):
    services.config_set(key="carrierA", value={"apiKey": "key-A-123"}, is_secret=True)
    return "key-A-123"


def test_example_1_submits_the_lead_to_every_carrier(broker_worker, server, run_workflow, carrier_key):
    server.route("GET", "/leads/lead_123", json={"data": LEAD})
    for carrier in "abc":
        server.route("POST", f"/carrier-{carrier}/api/leads", status=201, json={"ok": True})
    server.route("POST", "/notify", json={"received": True})
    definition = example(1, server)

    execution = run_workflow(definition["steps"], input={"leadId": "lead_123"}, wait=30)

    assert execution.status == "COMPLETED", execution.error
    assert len(server.received("GET", "/leads/lead_123")) == 1
    for carrier in "abc":
        posts = server.received("POST", f"/carrier-{carrier}/api/leads")
        assert len(posts) == 1
        assert posts[0]["body"] == LEAD
    assert server.received("POST", "/carrier-a/api/leads")[0]["headers"]["Authorization"] == "Bearer key-A-123"
    webhook = server.received("POST", "/notify")
    assert [r["body"] for r in webhook] == [
        {"leadId": "lead_123", "carriers": ["Carrier A", "Carrier B", "Carrier C"], "status": "submitted"}
    ]
    records = steps_of(execution)
    assert {row.step_id for row in records.values()} == {
        "step_1",
        "step_2",
        "step_3",
        "step_3a",
        "step_3b",
        "step_3c",
        "step_4",
    }
    assert all(row.status == "COMPLETED" for row in records.values())
    # The carrier key is masked in the record of the request that carried it.
    assert records["step_3/step_3a"].input["headers"]["Authorization"] == "Bearer ***"


def test_example_1_without_email_fails_at_validation(broker_worker, server, run_workflow, carrier_key):
    server.route("GET", "/leads/lead_9", json={"data": {"id": "lead_9", "insuranceType": "auto"}})
    definition = example(1, server)

    execution = run_workflow(definition["steps"], input={"leadId": "lead_9"})

    assert execution.status == "FAILED"
    assert "leadData.email" in execution.error
    assert steps_of(execution)["step_2"].status == "FAILED"
    assert "leadData.email" in steps_of(execution)["step_2"].error
    assert [r for r in server.requests if "carrier" in r["path"]] == []


@pytest.mark.parametrize(
    ("score", "agent_type", "skipped"), [(85, "premium", "route_standard"), (50, "standard", "route_premium")]
)
def test_example_3_routes_by_quality(broker_worker, server, run_workflow, score, agent_type, skipped):
    server.route("POST", "/assignments", status=201, json={"assigned": True})
    definition = example(3, server)

    execution = run_workflow(
        definition["steps"], input={"leadId": "lead_7", "lead": {"qualityScore": score, "insuranceType": "auto"}}
    )

    assert execution.status == "COMPLETED", execution.error
    assert [r["body"] for r in server.received("POST", "/assignments")] == [
        {"leadId": "lead_7", "agentType": agent_type}
    ]
    assert steps_of(execution)[f"check_quality/{skipped}"].status == "SKIPPED"
