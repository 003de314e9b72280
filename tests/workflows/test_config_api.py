"""/api/v1/config: the values `{{config.key}}` reads; a secret's value is write-only."""

import pytest

from workflows.models import ConfigEntry

URL = "/api/v1/config"


def entry(key):
    return ConfigEntry.objects.get(key=key)


def create(api, **body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_create_a_plain_value_and_read_it_back(api):
    created = create(api, key="region", value={"name": "eu-west"}, description="Where we run.")

    assert created["value"] == {"name": "eu-west"}
    assert created["isSecret"] is False
    body = api.get(f"{URL}/region").json()
    assert (body["key"], body["value"], body["description"]) == ("region", {"name": "eu-west"}, "Where we run.")
    assert set(body) == {"key", "value", "isSecret", "description", "createdAt", "updatedAt"}


def test_a_secret_is_shown_as_stars_everywhere(api, viewer_role_api):
    created = create(api, key="carrierA", value={"apiKey": "key-A-123"}, isSecret=True)

    assert created["value"] == "***"
    assert api.get(f"{URL}/carrierA").json()["value"] == "***"
    assert [item["value"] for item in api.get(URL).json()["results"]] == ["***"]
    assert viewer_role_api.get(f"{URL}/carrierA").json()["value"] == "***"
    assert "key-A-123" not in api.get(URL).content.decode()
    assert entry("carrierA").value == {"apiKey": "key-A-123"}


def test_a_secret_can_be_replaced_but_not_read(api):
    create(api, key="carrierA", value={"apiKey": "old-key-1"}, isSecret=True)

    response = api.put(
        f"{URL}/carrierA", {"key": "carrierA", "value": {"apiKey": "new-key-2"}, "isSecret": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["value"] == "***"
    assert entry("carrierA").value == {"apiKey": "new-key-2"}


def test_patching_a_secrets_description_keeps_its_value(api):
    create(api, key="carrierA", value={"apiKey": "kept"}, isSecret=True)

    response = api.patch(f"{URL}/carrierA", {"description": "Carrier A's key"}, format="json")

    assert response.status_code == 200
    assert entry("carrierA").value == {"apiKey": "kept"}
    assert entry("carrierA").description == "Carrier A's key"


def test_a_secret_cannot_be_unmasked_by_clearing_is_secret(api):
    """Write-only means write-only: turning isSecret off must not reveal the stored value."""
    create(api, key="carrierA", value={"apiKey": "key-A-123"}, isSecret=True)

    response = api.patch(f"{URL}/carrierA", {"isSecret": False}, format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == ["isSecret"]
    assert entry("carrierA").is_secret is True
    assert "key-A-123" not in api.get(f"{URL}/carrierA").content.decode()


def test_a_secret_can_be_made_public_with_a_new_value(api):
    create(api, key="carrierA", value={"apiKey": "key-A-123"}, isSecret=True)

    response = api.patch(f"{URL}/carrierA", {"isSecret": False, "value": {"apiKey": "public"}}, format="json")

    assert response.status_code == 200
    assert response.json()["value"] == {"apiKey": "public"}


def test_keys_are_unique(api):
    create(api, key="region", value="eu")

    response = api.post(URL, {"key": "region", "value": "us"}, format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == ["key"]
    assert entry("region").value == "eu"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"key": "k", "value": 1, "secret": True}, "secret"),
        ({"value": 1}, "key"),
        ({"key": "", "value": 1}, "key"),
        ({"key": "k"}, "value"),
        ({"key": "a/b", "value": 1}, "key"),
        ({"key": "bad key!", "value": 1}, "key"),
        ({"key": "pin", "value": "", "isSecret": True}, "value"),
        ({"key": "pin", "value": "ab", "isSecret": True}, "value"),
        ({"key": "pin", "value": 1, "isSecret": True}, "value"),
        ({"key": "pin", "value": {"user": "admin", "pass": "x"}, "isSecret": True}, "value"),
        ({"key": "pin", "value": None, "isSecret": True}, "value"),
    ],
)
def test_invalid_bodies_are_refused(api, body, path):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert path in [error["path"] for error in response.json()["errors"]]
    assert not ConfigEntry.objects.exists()


def test_a_public_value_cannot_become_a_secret_too_short_to_mask_safely(api):
    create(api, key="flag", value="on")

    response = api.patch(f"{URL}/flag", {"isSecret": True}, format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == ["value"]
    assert entry("flag").is_secret is False


def test_a_secret_holding_more_strings_than_can_be_masked_cheaply_is_refused(api):
    # Each string is looked for in every record and log line: 5,000 made every step take seconds.
    value = [f"token-{n:04d}" for n in range(51)]

    response = api.post(URL, {"key": "many", "value": value, "isSecret": True}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "value", "message": "A secret holds at most 50 strings and numbers; this one holds 51."}
    ]
    assert not ConfigEntry.objects.exists()
    assert create(api, key="many", value=value[:50], isSecret=True)["isSecret"] is True


def test_a_stored_short_secret_keeps_its_value_when_only_its_description_changes(api):
    ConfigEntry.objects.create(key="legacy", value="ab", is_secret=True)  # saved before the rule

    response = api.patch(f"{URL}/legacy", {"description": "Kept as it was."}, format="json")

    assert response.status_code == 200, response.json()
    assert (entry("legacy").value, entry("legacy").description) == ("ab", "Kept as it was.")


def test_filter_by_is_secret_and_delete(api):
    create(api, key="carrierA", value="s3cr", isSecret=True)
    create(api, key="region", value="eu")

    public = api.get(URL, {"isSecret": "false"}).json()["results"]
    assert [item["key"] for item in public] == ["region"]

    assert api.delete(f"{URL}/carrierA").status_code == 204
    assert api.get(f"{URL}/carrierA").status_code == 404
    assert list(ConfigEntry.objects.values_list("key", flat=True)) == ["region"]


def test_keys_with_dots_are_addressable(api):
    create(api, key="carrier.a", value=1)

    assert api.get(f"{URL}/carrier.a").json()["value"] == 1


def test_put_takes_the_key_from_the_url(api):
    create(api, key="greeting", value="hello")

    response = api.put(f"{URL}/greeting", {"value": 5}, format="json")

    assert response.status_code == 200, response.json()
    assert entry("greeting").value == 5
