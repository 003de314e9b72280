"""Trigger configs are checked on save: 400 naming the trigger's field, nothing stored."""

import pytest

from workflows.models import Workflow

URL = "/api/v1/workflows"


def body(*triggers):
    return {"name": "T", "category": "test", "steps": [], "triggers": [{"type": "MANUAL"}, *triggers]}


CASES = [
    ("invalid cron", {"type": "SCHEDULE", "config": {"cron": "61 * * * *"}}, "triggers[1].config.cron", "cron"),
    (
        "cron with six fields",
        {"type": "SCHEDULE", "config": {"cron": "0 0 * * * *"}},
        "triggers[1].config.cron",
        "five fields",
    ),
    (
        "cron that never matches",
        {"type": "SCHEDULE", "config": {"cron": "0 0 30 2 *"}},
        "triggers[1].config.cron",
        "cron",
    ),
    (
        "unknown time zone",
        {"type": "SCHEDULE", "config": {"cron": "0 9 * * *", "timezone": "Mars/Olympus"}},
        "triggers[1].config.timezone",
        "Unknown time zone",
    ),
    ("interval zero", {"type": "SCHEDULE", "config": {"interval": 0}}, "triggers[1].config.interval", "minimum"),
    ("interval negative", {"type": "SCHEDULE", "config": {"interval": -5}}, "triggers[1].config.interval", "minimum"),
    (
        "cron and interval",
        {"type": "SCHEDULE", "config": {"cron": "* * * * *", "interval": 60}},
        "triggers[1].config",
        "exactly one of cron, interval",
    ),
    (
        "neither cron nor interval",
        {"type": "SCHEDULE", "config": {"timezone": "UTC"}},
        "triggers[1].config",
        "exactly one of cron, interval",
    ),
    (
        "unknown missed-run policy",
        {"type": "SCHEDULE", "config": {"interval": 60, "missedRuns": "all"}},
        "triggers[1].config.missedRuns",
        "'all'",
    ),
    ("event without eventType", {"type": "EVENT", "config": {}}, "triggers[1].config.eventType", "required"),
    (
        "webhook without a secret reference",
        {"type": "WEBHOOK", "config": {}},
        "triggers[1].config.secretRef",
        "required",
    ),
    (
        "webhook with the secret inline",
        {"type": "WEBHOOK", "config": {"secretRef": "k", "secret": "x"}},
        "triggers[1].config.secret",
        "Unknown field",
    ),
    (
        "webhook with an unknown auth",
        {"type": "WEBHOOK", "config": {"secretRef": "k", "auth": "basic"}},
        "triggers[1].config.auth",
        "'basic'",
    ),
]


@pytest.mark.parametrize(("trigger", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_trigger_config_error_names_its_path(api, trigger, path, fragment):
    response = api.post(URL, body(trigger), format="json")

    assert response.status_code == 400
    matching = [error for error in response.json()["errors"] if error["path"] == path]
    assert any(fragment in error["message"] for error in matching), response.json()
    assert not Workflow.objects.exists()


def test_two_webhook_triggers_are_refused(api):
    hook = {"type": "WEBHOOK", "config": {"secretRef": "k"}}

    response = api.post(URL, body(hook, hook), format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "triggers[2].type"


def test_valid_trigger_configs_are_accepted(api):
    triggers = [
        {"type": "SCHEDULE", "config": {"cron": "0 9 * * 1-5", "timezone": "Europe/Paris", "missedRuns": "catchUp"}},
        {"type": "SCHEDULE", "config": {"interval": 300, "input": {"source": "timer"}}, "isEnabled": False},
        {"type": "WEBHOOK", "config": {"secretRef": "webhooks.leadIntake", "auth": "token"}},
        {"type": "EVENT", "config": {"eventType": "lead.qualified"}, "isEnabled": True},
        {"type": "API", "config": {}},
    ]

    response = api.post(URL, body(*triggers), format="json")

    assert response.status_code == 201, response.json()
