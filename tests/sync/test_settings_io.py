import json

import pytest
from django.core.management import CommandError, call_command

from sync.choices import AuthStatus
from sync.models import AttributeMapping, Connector
from sync.settings_io import ConnectorImportError, connector_export, connector_import

HULL_PRIVATE_SETTINGS = {
    "user_claims": [{"hull": "email", "service": "emails"}, {"hull": "external_id", "service": "externalId"}],
    "account_claims": [{"hull": "domain", "service": "domain"}],
    "synchronized_user_segments": ["5bd7201aa682bc4a4d00001e"],
    "synchronized_account_segments": [],
    "link_users_in_hull": True,
    "link_users_in_service": False,
    "prospect_outgoing_user_segments": "tags",
    "outgoing_user_attributes": [
        {"hull": "traits_title", "service": "title"},
        {"hull": "account.traits_size", "service": "custom1"},
    ],
    "incoming_user_attributes": [{"hull": "traits_outreach/title", "service": "title"}],
    "outgoing_account_attributes": [{"hull": "name", "service": "name"}],
    "events_to_fetch": ["message_opened", "bounced_message"],
    "access_token": "hull-stored-access",
    "refresh_token": "hull-stored-refresh",
    "expires_in": 7200,
    "created_at": 1764200000,
    "webhook_id": 31,
}


def document(**overrides):
    doc = {
        "name": "globex",
        "hull": {"id": "5c0fd68a1b0d2b1f0e0000aa", "organization": "globex.hullapp.io", "secret": "globex-secret"},
        "private_settings": HULL_PRIVATE_SETTINGS,
    }
    doc.update(overrides)
    return doc


@pytest.mark.django_db
def test_it_imports_a_private_settings_object_copied_from_hull():
    connector, created, ignored = connector_import(document())

    assert created
    assert connector.outgoing_user_attributes == [
        {"hull": "title", "service": "title"},
        {"hull": "account.size", "service": "custom1"},
    ]
    assert connector.incoming_user_attributes == [{"hull": "outreach/title", "service": "title"}]
    assert connector.link_users_in_hull is True
    assert connector.outreach_access_token == "hull-stored-access"
    assert connector.outreach_auth_status == AuthStatus.OK
    assert int(connector.outreach_token_expires_at.timestamp()) == 1764200000 + 7200
    assert "webhook_id" in ignored


@pytest.mark.django_db
def test_export_then_import_round_trips_to_the_same_connector():
    original, _, _ = connector_import(document(outreach={"access_token": "a", "refresh_token": "r", "expires_in": 7200, "created_at": 1764200000}))
    exported = connector_export(original)

    Connector.objects.all().delete()
    again, created, _ = connector_import(json.loads(json.dumps(exported)))

    assert created
    assert connector_export(again) == exported


@pytest.mark.django_db
def test_a_new_connector_gets_the_original_defaults():
    connector, _, _ = connector_import(document(private_settings={}))

    assert connector.user_claims == [{"hull": "email", "service": "emails"}]
    assert connector.account_claims == [{"hull": "domain", "service": "domain"}]
    assert connector.outgoing_account_attributes == [{"hull": "name", "service": "name"}]
    assert connector.outreach_auth_status == AuthStatus.NOT_CONNECTED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "doc, field",
    [
        (document(name="Not A Slug"), "name"),
        (document(hull={"id": "x", "organization": "o"}), "hull.secret"),
        (document(private_settings={"user_claims": [{"hull": "phone", "service": "emails"}]}), "private_settings.user_claims[0].hull"),
        (document(private_settings={"account_claims": [{"hull": "domain", "service": "website"}]}), "private_settings.account_claims[0].service"),
        (document(private_settings={"outgoing_user_attributes": [{"hull": "title"}]}), "private_settings.outgoing_user_attributes[0].service"),
        (document(private_settings={"events_to_fetch": ["message_teleported"]}), "private_settings.events_to_fetch[0]"),
        (document(private_settings={"link_users_in_hull": "yes"}), "private_settings.link_users_in_hull"),
        (document(outreach={"expires_in": 7200}), "outreach.access_token"),
        (document(options={"fetch_interval_minutes": -1}), "options.fetch_interval_minutes"),
    ],
)
def test_an_invalid_file_names_the_field_and_changes_nothing(doc, field):
    with pytest.raises(ConnectorImportError) as error:
        connector_import(doc)

    assert error.value.field == field
    assert not Connector.objects.exists()
    assert not AttributeMapping.objects.exists()


@pytest.mark.django_db
def test_an_invalid_update_leaves_the_existing_connector_as_it_was():
    connector_import(document())
    broken = document(private_settings={**HULL_PRIVATE_SETTINGS, "outgoing_user_attributes": [{"hull": "", "service": "title"}]})

    with pytest.raises(ConnectorImportError):
        connector_import(broken)

    assert Connector.objects.get(name="globex").outgoing_user_attributes[0] == {"hull": "title", "service": "title"}


@pytest.mark.django_db
def test_the_command_exports_and_imports(tmp_path, capsys):
    path = tmp_path / "globex.json"
    path.write_text(json.dumps(document()))

    call_command("connector", "import", str(path))
    call_command("connector", "export", "globex")

    out = capsys.readouterr().out
    assert "Created connector globex" in out
    exported = json.loads(out[out.index("{") :])
    assert exported["private_settings"]["synchronized_user_segments"] == ["5bd7201aa682bc4a4d00001e"]


@pytest.mark.django_db
def test_the_command_rejects_an_invalid_file_with_the_field_named(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document(private_settings={"user_claims": "email"})))

    with pytest.raises(CommandError, match="private_settings.user_claims"):
        call_command("connector", "import", str(path))
    assert not Connector.objects.exists()


@pytest.mark.django_db
def test_the_command_rejects_malformed_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")

    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("connector", "import", str(path))
