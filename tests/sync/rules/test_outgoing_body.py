"""§3.2.4, §3.3, §9.2: the JSON:API `data` Outreach receives for a prospect and for an account."""

import pytest

from sync.rules.outgoing_body import account_body_build, prospect_body_build, prospect_needs_owner_map
from sync.rules.settings import RuleSettings
from tests.sync.rules.samples import api_response, fixture_settings, hull_messages, segment


def no_owner_lookup(email):
    raise AssertionError(f"the owner map should not be asked ({email})")


def message(*, user=None, account=None, segments=(), account_segments=()):
    return {
        "user": {"id": "u1", "email": "han@smuggler.com", **(user or {})},
        "account": account or {},
        "segments": list(segments),
        "account_segments": list(account_segments),
        "changes": {},
    }


def build(connector, msg, **kwargs):
    kwargs.setdefault("prospect_id", 22)
    kwargs.setdefault("include_claims", False)
    return prospect_body_build(connector=connector, message=msg, **kwargs)


def mapped(*pairs, **settings):
    return RuleSettings(outgoing_user_attributes=[{"hull": h, "service": s} for h, s in pairs], **settings)


# --- the original's samples ------------------------------------------------------------------------


def test_a_user_found_by_email_gets_the_original_sample_body_exactly():
    """outgoing-user-basic: alberto has `outreach:23` but no outreach/id, so he was looked up by email."""
    [alberto] = hull_messages("outgoing-user-with-array-attribute")
    existing = api_response("existing-prospect")["data"][0]
    body = prospect_body_build(
        connector=fixture_settings("outgoing-user-with-array-attribute"),
        message=alberto,
        prospect_id=existing["id"],
        include_claims=True,
        existing_prospect=existing,
        account_id=14,
    )
    assert body.body == {
        "data": {
            "type": "prospect",
            "id": 23,
            "relationships": {"account": {"data": {"type": "account", "id": 14}}},
            "attributes": {
                "emails": ["alberto@close.io", "albertoman9@gmail.com"],
                "title": "Sales",
                "workPhones": ["+18552567346"],
                "custom10": '["Smugglers"]',
            },
        }
    }
    assert body.warnings == ()


def test_a_changed_email_goes_first_and_the_existing_emails_are_kept_after_it():
    darth = hull_messages("outgoing-user-changes")[1]
    existing = api_response("outgoing-user-darth-lookup")["data"]
    body = build(
        fixture_settings("outgoing-user-changes"),
        darth,
        prospect_id=16,
        include_claims=True,
        existing_prospect=existing,
        account_id=20,
    )
    assert body.data == {
        "type": "prospect",
        "id": 16,
        "relationships": {"account": {"data": {"type": "account", "id": 20}}},
        "attributes": {
            "emails": ["darth@darksideinc.com", "anotherdarth@gmail.com"],
            "custom20": "Description of darth vader",
        },
    }


def test_a_plain_update_sends_the_mapped_attributes_and_no_claims():
    alberto = hull_messages("outgoing-user-changes")[2]
    body = build(fixture_settings("outgoing-user-changes"), alberto, prospect_id=23)
    assert body.data == {
        "type": "prospect",
        "id": 23,
        "attributes": {"title": "Great Title", "workPhones": ["+18552567346"], "custom20": "some test data2"},
    }


def test_an_insert_has_no_id_and_sends_the_claims_wrapped_for_array_fields():
    connector = mapped(
        ("title", "title"),
        user_claims=[{"hull": "email", "service": "emails"}, {"hull": "external_id", "service": "externalId"}],
    )
    msg = message(user={"title": "Pilot", "external_id": "ext-7"})
    body = build(connector, msg, prospect_id=None, include_claims=True)
    assert body.data == {
        "type": "prospect",
        "attributes": {"title": "Pilot", "emails": ["han@smuggler.com"], "externalId": "ext-7"},
    }


def test_a_body_with_nothing_mapped_is_just_type_and_id():
    assert build(mapped(("title", "title")), message()).data == {"type": "prospect", "id": 22}


# --- values -----------------------------------------------------------------------------------------


def test_a_scalar_mapped_to_a_prospect_array_field_is_wrapped():
    body = build(mapped(("phone", "mobilePhones")), message(user={"phone": "+1 555"}))
    assert body.data["attributes"] == {"mobilePhones": ["+1 555"]}


def test_a_hull_array_mapped_to_an_array_field_is_sent_as_that_array_not_wrapped_again():
    body = build(mapped(("phones", "workPhones"), ("labels", "tags")), message(user={"phones": ["+1", "+2"], "labels": ["a"]}))
    assert body.data["attributes"] == {"workPhones": ["+1", "+2"], "tags": ["a"]}


def test_a_hull_array_mapped_to_a_scalar_field_is_sent_raw_as_the_original_did():
    body = build(mapped(("labels", "custom3")), message(user={"labels": ["a", "b"]}))
    assert body.data["attributes"] == {"custom3": ["a", "b"]}


def test_empty_strings_are_sent_and_nulls_are_not():
    body = build(
        mapped(("a", "custom1"), ("b", "custom2"), ("c", "custom3")), message(user={"a": "", "b": None})
    )
    assert body.data["attributes"] == {"custom1": ""}


def test_zero_and_false_are_values_and_are_sent():
    body = build(mapped(("score", "score"), ("out", "optedOut")), message(user={"score": 0, "out": False}))
    assert body.data["attributes"] == {"score": 0, "optedOut": False}


def test_an_account_attribute_mapping_reads_the_messages_account():
    [msg] = hull_messages("outgoing-account-changes-account-attribute-user-level")
    body = build(fixture_settings("outgoing-account-changes-account-attribute-user-level"), msg, prospect_id=23)
    assert body.data["attributes"] == {"custom1": "newdomain.com"}


def test_a_user_attribute_named_like_an_account_attribute_is_not_confused_with_it():
    msg = message(user={"account.domain": "wrong.com"}, account={"domain": "right.com"})
    assert build(mapped(("account.domain", "custom1")), msg).data["attributes"] == {"custom1": "right.com"}


# --- claims -----------------------------------------------------------------------------------------


def test_claims_are_not_sent_on_a_plain_update_even_when_emails_is_mapped_as_a_claim():
    body = build(mapped(("title", "title")), message(user={"title": "Pilot"}), include_claims=False)
    assert "emails" not in body.data["attributes"]


def test_existing_emails_are_deduplicated_against_the_hull_email_ignoring_case_and_spaces():
    existing = {"attributes": {"emails": ["ALBERTO@close.io", "other@close.io", " other@close.io"]}}
    body = build(
        mapped(), message(user={"email": " Alberto@Close.io "}), include_claims=True, existing_prospect=existing
    )
    assert body.data["attributes"]["emails"] == ["Alberto@Close.io", "other@close.io"]


def test_a_claim_with_an_empty_hull_value_is_left_out():
    connector = mapped(user_claims=[{"hull": "email", "service": "emails"}, {"hull": "external_id", "service": "externalId"}])
    body = build(connector, message(user={"email": "", "external_id": None}), prospect_id=None, include_claims=True)
    assert body.data == {"type": "prospect"}


def test_claims_whose_service_is_id_are_ignored():
    connector = mapped(user_claims=[{"hull": "external_id", "service": "id"}])
    body = build(connector, message(user={"external_id": "7"}), prospect_id=None, include_claims=True)
    assert body.data == {"type": "prospect"}


# --- segments ---------------------------------------------------------------------------------------


def test_user_segment_names_go_to_a_scalar_field_as_a_json_string():
    msg = message(segments=[segment("s1", "Smugglers"), segment("s2", "Star Wars Users")])
    body = build(mapped(prospect_outgoing_user_segments="custom10"), msg)
    assert body.data["attributes"] == {"custom10": '["Smugglers","Star Wars Users"]'}


def test_segment_names_go_to_tags_as_an_array():
    msg = message(segments=[segment("s1", "Smugglers")], account_segments=[segment("a1", "Bad guys")])
    body = build(mapped(prospect_outgoing_account_segments="tags", prospect_outgoing_user_segments="custom9"), msg)
    assert body.data["attributes"] == {"custom9": '["Smugglers"]', "tags": ["Bad guys"]}


def test_segment_names_keep_non_ascii_characters_as_the_original_json_did():
    body = build(mapped(prospect_outgoing_user_segments="custom10"), message(segments=[segment("s", "Café")]))
    assert body.data["attributes"] == {"custom10": '["Café"]'}


def test_no_segments_leaves_the_segment_field_out_instead_of_clearing_it():
    body = build(mapped(prospect_outgoing_user_segments="custom10", prospect_outgoing_account_segments="tags"), message())
    assert "attributes" not in body.data


# --- relationships ----------------------------------------------------------------------------------


def test_stage_and_owner_are_sent_as_relationships():
    msg = message(user={"outreach/stage": 2, "outreach/owner": 1})
    body = build(mapped(("outreach/stage", "stage"), ("outreach/owner", "owner")), msg)
    assert body.data == {
        "type": "prospect",
        "id": 22,
        "relationships": {
            "stage": {"data": {"type": "stage", "id": 2}},
            "owner": {"data": {"type": "user", "id": 1}},
        },
    }


def test_an_empty_stage_or_owner_value_leaves_the_relationship_unchanged():
    msg = message(user={"outreach/stage": None, "outreach/owner": ""})
    assert build(mapped(("outreach/stage", "stage"), ("outreach/owner", "owner")), msg).data == {
        "type": "prospect",
        "id": 22,
    }


def test_an_owner_email_is_resolved_to_the_outreach_user_id_as_a_string():
    asked = []

    def owner_id_for_email(email):
        asked.append(email)
        return 2

    body = build(
        mapped(("owner_email", "ownerEmail")),
        message(user={"owner_email": " Rep@Acme.com"}),
        owner_id_for_email=owner_id_for_email,
    )
    assert body.data["relationships"] == {"owner": {"data": {"type": "user", "id": "2"}}}
    assert asked == ["rep@acme.com"]


def test_an_unknown_owner_email_leaves_the_owner_out_and_warns_naming_the_email():
    body = build(
        mapped(("owner_email", "ownerEmail"), ("title", "title")),
        message(user={"owner_email": "ghost@acme.com", "title": "Pilot"}),
        owner_id_for_email=lambda email: None,
    )
    assert body.data == {"type": "prospect", "id": 22, "attributes": {"title": "Pilot"}}
    assert len(body.warnings) == 1
    assert "'ghost@acme.com'" in body.warnings[0] and "owner was left unchanged" in body.warnings[0]


@pytest.mark.parametrize("value", [None, ""])
def test_a_missing_owner_email_leaves_the_owner_unchanged_without_asking(value):
    body = build(
        mapped(("owner_email", "ownerEmail")),
        message(user={"owner_email": value}),
        owner_id_for_email=no_owner_lookup,
    )
    assert body.data == {"type": "prospect", "id": 22}
    assert body.warnings == ()


def test_an_owner_email_mapping_without_a_lookup_is_a_programming_error():
    with pytest.raises(ValueError, match="owner_id_for_email"):
        build(mapped(("owner_email", "ownerEmail")), message(user={"owner_email": "rep@acme.com"}))


def test_the_sync_layer_can_ask_whether_the_owner_map_is_needed():
    assert prospect_needs_owner_map(connector=mapped(("owner_email", "ownerEmail")))
    assert not prospect_needs_owner_map(connector=mapped(("title", "title")))


def test_the_account_relationship_is_sent_when_an_account_id_is_given():
    body = build(mapped(), message(), account_id=184796)
    assert body.data["relationships"] == {"account": {"data": {"type": "account", "id": 184796}}}


# --- accounts ---------------------------------------------------------------------------------------


def test_an_account_always_sends_its_domain_with_the_mapped_attributes_and_claims():
    bluth = hull_messages("outgoing-account-changes")[3]
    body = account_body_build(connector=fixture_settings("outgoing-account-changes"), message=bluth, account_id=29)
    assert body.data == {
        "type": "account",
        "id": 29,
        "attributes": {
            "domain": "bluth.com",
            "custom1": "Real estate",
            "name": "Bluth Company (Sample Lead)",
            "locality": "RI",
        },
    }


def test_an_account_sends_its_external_id_as_custom_id_through_the_claims():
    msg = {"account": {"domain": "bluth.com", "external_id": "ext-1", "name": "Bluth"}}
    body = account_body_build(
        connector=RuleSettings(
            account_claims=[{"hull": "domain", "service": "domain"}, {"hull": "external_id", "service": "customId"}]
        ),
        message=msg,
        account_id=None,
    )
    assert body.data == {"type": "account", "attributes": {"domain": "bluth.com", "name": "Bluth", "customId": "ext-1"}}


def test_an_account_inserted_for_a_link_is_built_from_the_user_messages_account():
    [msg] = hull_messages("outgoing-user-link-new-account")
    body = account_body_build(connector=fixture_settings("outgoing-user-link-new-account"), message=msg, account_id=None)
    assert body.data == {
        "type": "account",
        "attributes": {"domain": "afterlife.com", "custom20": "very hot", "name": "afterlife.com"},
    }


def test_account_empty_strings_are_sent_and_nulls_are_not():
    msg = {"account": {"domain": "bluth.com", "name": "Bluth", "closeio/description": "", "closeio/x": None}}
    connector = RuleSettings(
        outgoing_account_attributes=[
            {"hull": "closeio/description", "service": "custom1"},
            {"hull": "closeio/x", "service": "custom2"},
        ]
    )
    body = account_body_build(connector=connector, message=msg, account_id=29)
    assert body.data["attributes"] == {"domain": "bluth.com", "custom1": ""}


def test_account_segment_names_go_to_a_scalar_field_as_json_and_to_tags_as_an_array():
    msg = {
        "account": {"domain": "bluth.com"},
        "account_segments": [segment("a", "Accounts With Email"), segment("b", "Send Accounts To Intercom")],
    }
    as_text = account_body_build(connector=RuleSettings(outgoing_account_segments="custom1"), message=msg, account_id=1)
    as_tags = account_body_build(connector=RuleSettings(outgoing_account_segments="tags"), message=msg, account_id=1)
    assert as_text.data["attributes"]["custom1"] == '["Accounts With Email","Send Accounts To Intercom"]'
    assert as_tags.data["attributes"]["tags"] == ["Accounts With Email", "Send Accounts To Intercom"]


def test_an_account_export_with_segments_as_an_empty_object_sends_no_segment_field():
    [msg] = hull_messages("outgoing-account-batch-payload")
    body = account_body_build(connector=RuleSettings(outgoing_account_segments="tags"), message=msg, account_id=29)
    assert "tags" not in body.data["attributes"]


def test_a_scalar_mapped_to_the_account_tags_field_is_wrapped():
    msg = {"account": {"domain": "bluth.com", "industry": "banana"}}
    connector = RuleSettings(outgoing_account_attributes=[{"hull": "industry", "service": "tags"}])
    assert account_body_build(connector=connector, message=msg, account_id=1).data["attributes"]["tags"] == ["banana"]


def test_a_read_only_account_field_mapping_is_not_sent_and_warns():
    msg = {"account": {"domain": "bluth.com", "rep": "rep@acme.com"}}
    connector = RuleSettings(outgoing_account_attributes=[{"hull": "rep", "service": "ownerEmail"}])
    body = account_body_build(connector=connector, message=msg, account_id=1)
    assert body.data["attributes"] == {"domain": "bluth.com"}
    assert "read-only" in body.warnings[0]
