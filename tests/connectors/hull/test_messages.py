import json

import pytest

from connectors.hull.messages import (
    NotificationInvalid,
    batch_line_normalise,
    notification_parse,
    traits_strip,
)
from tests.conftest import FIXTURES

PAYLOADS = FIXTURES / "notifier-payloads"


def load(name):
    return json.loads((PAYLOADS / name).read_text())


def test_traits_prefixes_are_stripped_and_the_real_attribute_wins_a_collision():
    assert traits_strip(
        {"traits_traits_outreach/title": "Magician", "traits_outreach/title": "Sales", "email": "a@b.co"}
    ) == {"outreach/title": "Sales", "email": "a@b.co"}
    assert traits_strip({"traits_outreach/id": 10, "traits_traits_outreach/note": "x"}) == {
        "outreach/id": 10,
        "outreach/note": "x",
    }


def test_a_user_update_notification_is_normalised_without_traits_prefixes():
    parsed = notification_parse(load("outgoing-user-changes.json"))

    assert parsed.channel == "user:update"
    assert parsed.notification_id == "5864a24b-8c09-40e5-8cb9-d2f8fa4cb21c"
    assert parsed.is_export is False
    first = parsed.messages[0]
    assert first["user"]["outreach/id"] == 10
    assert first["user"]["closeio/title"] == "Banana Stand Owner"
    assert not [k for k in first["user"] if k.startswith("traits_")]
    assert first["changes"] == {
        "is_new": False,
        "user": {"closeio/title": ["Magician", "Banana Stand Owner"]},
        "account": {},
        "segments": {"entered": [], "left": []},
        "account_segments": {"entered": [], "left": []},
    }
    assert first["account"]["outreach/id"] == 29
    assert [s["name"] for s in first["account_segments"]] == ["Bad guys"]
    assert first["message_id"] == "c236184bafbc9f9588f0ac1504199ddf7ddcbd2b"
    assert {s["name"] for s in parsed.user_segments} >= {"Smugglers"}


def test_segments_entered_and_left_are_kept():
    left = notification_parse(load("outgoing-user-left-segment.json")).messages[0]
    assert [s["name"] for s in left["changes"]["segments"]["left"]] == ["Smugglers"]
    entered = notification_parse(load("outgoing-user-account-enters-segment.json")).messages[0]
    assert [s["name"] for s in entered["changes"]["account_segments"]["entered"]] == ["Bad guys"]
    assert entered["changes"]["user"] == {"testattributes/description2": [None, "wears green suit"]}


def test_an_account_update_is_normalised():
    parsed = notification_parse(load("outgoing-account-changes.json"))
    message = parsed.messages[0]
    assert parsed.entity == "account"
    assert message["account"]["outreach/id"] == 14
    assert message["changes"]["account"]["closeio/address_business_zipcode"] == ["TX", "RI"]
    assert message["user"] == {}


def test_an_export_message_has_no_changes_and_is_marked_as_export():
    raw = load("outgoing-user-batch-multiple-payload.json")[0]
    parsed = notification_parse(
        {"channel": "user:update", "is_export": True, "notification_id": "n1", "messages": [raw]}
    )
    message = parsed.messages[0]
    assert message["is_export"] is True
    assert message["user"]["outreach/id"] == 16
    assert message["changes"]["user"] == {} and message["changes"]["is_new"] is False
    assert message["account_segments"] == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], "the body must be a JSON object"),
        ({"messages": []}, "channel: required"),
        ({"channel": "user:update"}, "messages: required"),
        ({"channel": "user:update", "messages": ["x"]}, r"messages\[0\]: must be an object"),
        ({"channel": "user:update", "messages": [{"account": {}}]}, r"messages\[0\].user: required"),
        ({"channel": "user:update", "messages": [{"user": {}, "changes": []}]}, r"messages\[0\].changes: must be"),
        ({"channel": "user:update", "messages": [], "is_export": "yes"}, "is_export: must be"),
    ],
)
def test_a_body_that_is_not_a_notification_names_what_is_wrong(body, error):
    with pytest.raises(NotificationInvalid, match=error):
        notification_parse(body)


def test_a_batch_user_line_becomes_an_export_message_with_its_segments_and_account():
    line = {
        "id": "u1",
        "email": "a@b.co",
        "traits_outreach/id": 3,
        "segment_ids": ["s1"],
        "account": {"id": "a1", "domain": "b.co"},
    }
    message = batch_line_normalise(
        line, entity="user", segments_by_id={"s1": {"id": "s1", "name": "Smugglers"}}, segment_id="s2"
    )
    assert message["user"] == {"id": "u1", "email": "a@b.co", "outreach/id": 3}
    assert message["account"] == {"id": "a1", "domain": "b.co"}
    assert message["segments"] == [{"id": "s1", "name": "Smugglers"}, {"id": "s2", "name": "s2"}]
    assert message["is_export"] is True
