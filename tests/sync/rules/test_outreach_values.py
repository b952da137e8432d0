"""The no-op check: what a write would send, what Outreach last had, and whether anything differs."""

import pytest

from sync.rules.outgoing_body import prospect_body_build
from sync.rules.outreach_values import (
    body_values,
    outreach_values_changes,
    outreach_values_merge,
    outreach_values_read,
)
from sync.rules.normalize import values_digest
from sync.rules.settings import RuleSettings
from tests.sync.rules.samples import api_response, fixture_settings, hull_messages, webhook


def test_body_values_flatten_attributes_and_relationship_ids():
    data = {
        "type": "prospect",
        "id": 23,
        "relationships": {"account": {"data": {"type": "account", "id": 14}}, "owner": {"data": {"type": "user", "id": "2"}}},
        "attributes": {"title": "Sales", "workPhones": ["+1"]},
    }
    assert body_values(data=data) == {
        "title": "Sales",
        "workPhones": ["+1"],
        "relationships.account": 14,
        "relationships.owner": "2",
    }


def test_a_rest_prospect_yields_only_the_fields_the_outgoing_side_writes():
    connector = fixture_settings("outgoing-user-changes")
    values = outreach_values_read(
        connector=connector, entity="user", resource=api_response("outgoing-user-alberto-patch")["data"]
    )
    assert values == {
        "custom20": "some test data2",
        "emails": ["alberto@close.io"],
        "externalId": None,
        "title": "Great Title",
        "workPhones": ["+18552567346"],
        "relationships.account": 32,
    }


def test_a_webhook_yields_only_what_it_carries_with_flattened_relationships():
    connector = RuleSettings(
        outgoing_user_attributes=[
            {"hull": "street", "service": "addressStreet"},
            {"hull": "stage", "service": "stage"},
            {"hull": "owner_email", "service": "ownerEmail"},
            {"hull": "title", "service": "title"},
        ]
    )
    values = outreach_values_read(connector=connector, entity="user", resource=webhook("prospect-updated")["data"])
    assert values == {"addressStreet": "345 Tattooine Way", "relationships.owner": None, "relationships.stage": 0}


def test_an_account_tracks_its_domain_mapped_fields_claims_and_segment_field():
    connector = RuleSettings(outgoing_account_segments="tags")
    [account, *_] = api_response("list-accounts")["data"]
    assert outreach_values_read(connector=connector, entity="account", resource=account) == {
        "domain": "somehullcompany.com",
        "name": "SomeHullCompany",
        "tags": ["somehullcompanytag", "somehullcompanytag2"],
    }


def test_a_partial_webhook_read_is_merged_over_what_was_known():
    known = {"title": "Sales", "custom1": "a"}
    assert outreach_values_merge(known=known, update={"custom1": "b"}) == {"title": "Sales", "custom1": "b"}


def test_the_next_plain_update_after_a_write_changes_nothing_and_would_be_skipped():
    connector = fixture_settings("outgoing-user-changes")
    known = outreach_values_read(
        connector=connector, entity="user", resource=api_response("outgoing-user-alberto-patch")["data"]
    )
    alberto = hull_messages("outgoing-user-changes")[2]
    body = prospect_body_build(connector=connector, message=alberto, prospect_id=23, include_claims=False)
    assert outreach_values_changes(sending=body_values(data=body.data), known=known) == []


def test_a_value_that_differs_is_named():
    assert outreach_values_changes(sending={"title": "CTO", "custom1": "a"}, known={"title": "CEO", "custom1": "a"}) == [
        "title"
    ]


def test_a_field_outreach_was_never_seen_holding_counts_as_a_change():
    assert outreach_values_changes(sending={"custom9": "x"}, known={"title": "CEO"}) == ["custom9"]


@pytest.mark.parametrize(
    "field,sending,known",
    [
        ("emails", [" Alberto@Close.io"], ["alberto@close.io"]),
        ("domain", "WWW.Bluth.com", "bluth.com"),
        ("custom1", "", None),
        ("tags", [], None),
        ("score", 5, "5"),
        ("score", 5.0, 5),
        ("availableAt", "2018-10-12T21:20:14Z", "2018-10-12T21:20:14.000Z"),
        ("relationships.owner", "2", 2),
    ],
)
def test_values_equal_in_normal_form_are_not_changes(field, sending, known):
    assert outreach_values_changes(sending={field: sending}, known={field: known}) == []


@pytest.mark.parametrize(
    "field,sending,known",
    [
        ("emails", ["b@x.com", "a@x.com"], ["a@x.com", "b@x.com"]),  # the first email is the identity
        ("workPhones", ["+1"], ["+1", "+2"]),
        ("title", "Sales ", "Sales"),
        ("custom1", "Sales", "sales"),
        ("optedOut", False, None),
        ("relationships.owner", None, 2),
    ],
)
def test_values_that_differ_in_normal_form_are_changes(field, sending, known):
    assert outreach_values_changes(sending={field: sending}, known={field: known}) == [field]


def test_the_digest_is_stable_across_key_order_and_equal_for_normal_form_equal_values():
    a = values_digest({"title": "Sales", "emails": ["Alberto@Close.io"], "custom1": ""})
    b = values_digest({"custom1": None, "emails": ["alberto@close.io"], "title": "Sales"})
    assert a == b and len(a) == 64 and int(a, 16) >= 0


def test_the_digest_changes_when_a_value_changes():
    assert values_digest({"title": "Sales"}) != values_digest({"title": "CTO"})


def test_a_value_that_just_arrived_from_outreach_is_not_pushed_back():
    """Title mapped both ways: Outreach changes it, Hull tells us, and the echo would change nothing."""
    connector = RuleSettings(
        outgoing_user_attributes=[{"hull": "outreach/title", "service": "title"}],
        incoming_user_attributes=[{"hull": "outreach/title", "service": "title"}],
    )
    known = {"title": "Padawan", "emails": ["luke@skywalker.com"]}
    update = {"type": "prospect", "id": 3, "attributes": {"title": "Jedi Knight", "touchedAt": "2018-09-26T18:54:27Z"}}
    known = outreach_values_merge(
        known=known, update=outreach_values_read(connector=connector, entity="user", resource=update)
    )
    echo = {
        "user": {"email": "luke@skywalker.com", "outreach/id": 3, "outreach/title": "Jedi Knight"},
        "changes": {"user": {"outreach/title": ["Padawan", "Jedi Knight"]}},
    }
    body = prospect_body_build(connector=connector, message=echo, prospect_id=3, include_claims=False)
    assert body.data["attributes"] == {"title": "Jedi Knight"}
    assert outreach_values_changes(sending=body_values(data=body.data), known=known) == []
