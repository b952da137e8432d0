"""§3.5, §3.6, §9.3: an Outreach prospect or account, webhook or REST shape, becomes these Hull writes."""

import pytest

from sync.rules.incoming import account_write_from_account, user_write_from_prospect, write_for_destroyed
from sync.rules.settings import RuleSettings
from tests.sync.rules.samples import api_response, webhook


def incoming(*pairs, **settings):
    return RuleSettings(incoming_user_attributes=[{"hull": h, "service": s} for h, s in pairs], **settings)


def incoming_accounts(*pairs, **settings):
    return RuleSettings(incoming_account_attributes=[{"hull": h, "service": s} for h, s in pairs], **settings)


def from_webhook(connector, name, **kwargs):
    payload = webhook(name)
    return user_write_from_prospect(
        connector=connector, prospect=payload["data"], event_name=payload["meta"]["eventName"], **kwargs
    )


def never(value):
    raise AssertionError(f"no lookup expected, got {value!r}")


def set_(value):
    return {"operation": "set", "value": value}


# --- prospects from webhooks ------------------------------------------------------------------------


def test_a_created_prospect_is_claimed_by_its_outreach_id_and_marked_as_created_by_webhook():
    write = from_webhook(incoming(("outreach/title", "title")), "prospect-created")
    assert write.claims == {"anonymous_id": "outreach:3"}
    assert write.traits == {
        "outreach/id": set_(3),
        "outreach/title": set_("Jedi Knight"),
        "outreach/created_by_webhook": set_(True),
    }
    assert write.account_claims is None
    assert not write.skipped


def test_a_created_prospect_with_nothing_mapped_is_still_written():
    write = from_webhook(incoming(), "prospect-created")
    assert not write.skipped
    assert write.traits == {"outreach/id": set_(3), "outreach/created_by_webhook": set_(True)}


def test_stage_stage_name_owner_and_owner_email_come_from_the_flattened_relationships():
    asked = []
    write = from_webhook(
        incoming(
            ("outreach/stage", "stage"),
            ("outreach/stage_name", "stageName"),
            ("outreach/owner", "owner"),
            ("outreach/owner_email", "ownerEmail"),
        ),
        "prospect-created",
        stage_name_for=lambda stage_id: asked.append(("stage", stage_id)) or "Cold",
        owner_email_for=lambda owner_id: asked.append(("owner", owner_id)) or "rep@acme.com",
    )
    assert write.traits["outreach/stage"] == set_(1)
    assert write.traits["outreach/stage_name"] == set_("Cold")
    assert write.traits["outreach/owner"] == set_(0)  # owner id 0 is a real id
    assert write.traits["outreach/owner_email"] == set_("rep@acme.com")
    assert asked == [("stage", 1), ("owner", 0)]


def test_a_webhook_with_an_explicit_null_owner_writes_null_without_a_lookup():
    write = from_webhook(
        incoming(("outreach/owner", "owner"), ("outreach/owner_email", "ownerEmail"), ("outreach/stage", "stage")),
        "prospect-updated",
        owner_email_for=never,
    )
    assert write.traits["outreach/owner"] == set_(None)
    assert write.traits["outreach/owner_email"] == set_(None)
    assert write.traits["outreach/stage"] == set_(0)


def test_lookups_are_not_asked_when_no_name_or_email_mapping_exists():
    write = from_webhook(
        incoming(("outreach/stage", "stage"), ("outreach/owner", "owner")),
        "prospect-created",
        stage_name_for=never,
        owner_email_for=never,
    )
    assert write.traits["outreach/stage"] == set_(1)


def test_lookups_are_not_asked_when_the_relationship_is_not_in_the_payload():
    write = from_webhook(
        incoming(("outreach/stage_name", "stageName"), ("outreach/owner_email", "ownerEmail")),
        "account-updated",
        stage_name_for=never,
        owner_email_for=never,
    )
    assert "outreach/stage_name" not in write.traits and "outreach/owner_email" not in write.traits


def test_a_stage_id_the_cached_map_does_not_know_is_not_written():
    write = from_webhook(
        incoming(("outreach/stage_name", "stageName")), "prospect-created", stage_name_for=lambda stage_id: None
    )
    assert "outreach/stage_name" not in write.traits


def test_only_mapped_attributes_present_in_the_payload_are_written():
    write = from_webhook(
        incoming(("outreach/street", "addressStreet"), ("outreach/note", "personalNote1"), ("outreach/title", "title")),
        "prospect-updated",
    )
    assert write.traits == {
        "outreach/id": set_(3),
        "outreach/street": set_("345 Tattooine Way"),
        "outreach/note": set_("His father is Darth Vader.  Don't bring it up..."),
    }


def test_a_null_in_a_prospect_webhook_is_written_as_null():
    payload = webhook("prospect-updated")
    payload["data"]["attributes"]["title"] = None
    write = user_write_from_prospect(
        connector=incoming(("outreach/title", "title")), prospect=payload["data"], event_name="prospect.updated"
    )
    assert write.traits["outreach/title"] == set_(None)


def test_arrays_are_written_as_arrays():
    prospect = {"type": "prospect", "id": 3, "attributes": {"tags": ["vip", "jedi"]}, "relationships": {}}
    write = user_write_from_prospect(connector=incoming(("outreach/tags", "tags")), prospect=prospect, event_name="prospect.updated")
    assert write.traits["outreach/tags"] == set_(["vip", "jedi"])


def test_a_linked_account_links_the_user_to_the_account_claimed_by_its_outreach_id():
    write = from_webhook(incoming(link_users_in_hull=True), "prospect-linked-account")
    assert write.account_claims == {"anonymous_id": "outreach:6"}
    assert not write.skipped


def test_no_link_is_written_without_link_users_in_hull():
    assert from_webhook(incoming(), "prospect-created").account_claims is None


def test_an_email_in_a_webhook_becomes_the_normalised_email_claim():
    payload = webhook("prospect-updated")
    payload["data"]["attributes"]["emails"] = [" Luke@Skywalker.COM ", "luke@other.com"]
    write = user_write_from_prospect(connector=incoming(), prospect=payload["data"], event_name="prospect.updated")
    assert write.claims == {"anonymous_id": "outreach:3", "email": "luke@skywalker.com"}
    assert not write.skipped


# --- the touched / empty skip (improvement) -------------------------------------------------------


@pytest.mark.parametrize("name", ["prospect-updated-touched", "prospect-updated-touched2"])
def test_a_touched_only_webhook_is_skipped_with_a_reason_naming_what_changed(name):
    write = from_webhook(incoming(("outreach/title", "title")), name)
    assert write.skipped
    assert write.skip_reason == (
        "Outreach sent prospect.updated for prospect 3 changing only touchedAt, none of which is in the incoming "
        "user attributes; nothing was written to Hull. Map the attribute there to receive it."
    )


@pytest.mark.parametrize("name", ["prospect-updated-noop", "prospect-added-to-sequence1-noop"])
def test_an_empty_webhook_is_skipped_with_a_reason(name):
    write = from_webhook(incoming(("outreach/title", "title")), name)
    assert write.skip_reason.startswith("Outreach sent prospect.updated for prospect 3 with no changed attributes")


def test_a_touched_attribute_that_is_mapped_is_written_not_skipped():
    write = from_webhook(incoming(("outreach/touched_at", "touchedAt")), "prospect-updated-touched")
    assert not write.skipped
    assert write.traits["outreach/touched_at"] == set_("2018-09-26T18:54:27.000Z")


def test_an_account_link_alone_without_link_users_in_hull_is_a_skip():
    assert from_webhook(incoming(), "prospect-linked-account").skipped


def test_a_skipped_webhook_still_carries_the_write_the_sync_layer_may_choose_to_make():
    write = from_webhook(incoming(), "prospect-updated-touched")
    assert write.skipped and write.traits == {"outreach/id": set_(3)}


def test_a_rest_read_is_never_skipped_even_with_nothing_mapped():
    [prospect] = api_response("existing-prospect-hulk")["data"]
    write = user_write_from_prospect(connector=RuleSettings(user_claims=[]), prospect=prospect)
    assert not write.skipped


# --- prospects from REST ----------------------------------------------------------------------------


def test_a_fetched_prospect_gets_its_first_email_as_the_claim_and_arrays_raw():
    [first, *_] = api_response("list-prospects")["data"]
    write = user_write_from_prospect(
        connector=incoming(
            ("outreach/emails", "emails"),
            ("outreach/custom1", "custom1"),
            ("outreach/stage", "stage"),
            ("outreach/owner", "owner"),
            ("outreach/external_id", "externalId"),
            user_claims=[{"hull": "email", "service": "emails"}, {"hull": "external_id", "service": "externalId"}],
            link_users_in_hull=True,
        ),
        prospect=first,
    )
    assert write.claims == {"anonymous_id": "outreach:1", "email": "ceo@somehullcompany.com"}
    assert write.traits == {
        "outreach/id": set_(1),
        "outreach/emails": set_(["ceo@somehullcompany.com", "ceosomehull@somehullcompany.co", "mrceo@gmail.com"]),
        "outreach/custom1": set_("He's cool"),
        "outreach/stage": set_(1),
        "outreach/owner": set_(1),
        "outreach/external_id": set_(None),  # a fetched null is written
    }
    assert write.account_claims == {"anonymous_id": "outreach:1"}


def test_a_rest_relationship_with_null_data_is_not_written_and_not_looked_up():
    prospect = api_response("outgoing-user-alberto-patch")["data"]
    write = user_write_from_prospect(
        connector=incoming(
            ("outreach/stage", "stage"),
            ("outreach/stage_name", "stageName"),
            ("outreach/owner", "owner"),
            ("outreach/owner_email", "ownerEmail"),
        ),
        prospect=prospect,
        stage_name_for=never,
        owner_email_for=never,
    )
    assert write.traits == {"outreach/id": set_(23)}


def test_the_external_id_claim_comes_from_external_id_when_outreach_has_one():
    prospect = {"type": "prospect", "id": 9, "attributes": {"emails": [], "externalId": " ext-9 "}}
    write = user_write_from_prospect(
        connector=RuleSettings(
            user_claims=[{"hull": "email", "service": "emails"}, {"hull": "external_id", "service": "externalId"}]
        ),
        prospect=prospect,
    )
    assert write.claims == {"anonymous_id": "outreach:9", "external_id": "ext-9"}


# --- accounts ---------------------------------------------------------------------------------------


def test_a_created_account_is_claimed_by_id_and_domain_with_its_name_set_if_null():
    payload = webhook("account-created")
    write = account_write_from_account(
        connector=incoming_accounts(("outreach/owner", "owner")),
        account=payload["data"],
        event_name="account.created",
    )
    assert write.claims == {"anonymous_id": "outreach:6", "domain": "skywalkerindustries.com"}
    assert write.traits == {
        "outreach/id": set_(6),
        "name": {"operation": "setIfNull", "value": "Skywalker Industries"},
        "outreach/owner": set_(1),
    }


def test_an_account_owner_email_comes_from_the_owner_lookup():
    payload = webhook("account-created")
    write = account_write_from_account(
        connector=incoming_accounts(("outreach/owner_email", "ownerEmail")),
        account=payload["data"],
        event_name="account.created",
        owner_email_for=lambda owner_id: {1: "rep@acme.com"}.get(owner_id),
    )
    assert write.traits["outreach/owner_email"] == set_("rep@acme.com")


def test_an_updated_account_writes_its_mapped_attribute():
    payload = webhook("account-updated")
    write = account_write_from_account(
        connector=incoming_accounts(("outreach/custom1", "custom1")), account=payload["data"], event_name="account.updated"
    )
    assert write.traits == {
        "outreach/id": set_(1),
        "outreach/custom1": set_("it's a hull company, but we don't know too much more"),
    }
    assert not write.skipped


def test_a_null_in_an_account_webhook_is_skipped_as_the_original_did():
    account = {"type": "account", "id": 1, "attributes": {"custom1": None, "custom2": "x"}, "relationships": {}}
    write = account_write_from_account(
        connector=incoming_accounts(("outreach/custom1", "custom1"), ("outreach/custom2", "custom2")),
        account=account,
        event_name="account.updated",
    )
    assert "outreach/custom1" not in write.traits and write.traits["outreach/custom2"] == set_("x")


def test_a_null_in_a_fetched_account_is_written():
    [account, *_] = api_response("list-accounts")["data"]
    write = account_write_from_account(
        connector=incoming_accounts(("outreach/description", "description"), ("outreach/tags", "tags")),
        account=account,
    )
    assert write.claims == {"anonymous_id": "outreach:1", "domain": "somehullcompany.com"}
    assert write.traits == {
        "outreach/id": set_(1),
        "name": {"operation": "setIfNull", "value": "SomeHullCompany"},
        "outreach/description": set_(None),
        "outreach/tags": set_(["somehullcompanytag", "somehullcompanytag2"]),
    }


def test_account_claims_take_the_domain_normalised_and_custom_id_as_external_id():
    account = {"type": "account", "id": 2, "attributes": {"domain": "https://WWW.Bluth.com/", "customId": "c-2"}}
    write = account_write_from_account(
        connector=RuleSettings(
            account_claims=[{"hull": "domain", "service": "domain"}, {"hull": "external_id", "service": "customId"}]
        ),
        account=account,
    )
    assert write.claims == {"anonymous_id": "outreach:2", "domain": "bluth.com", "external_id": "c-2"}


def test_a_no_op_account_webhook_is_skipped_with_a_reason():
    payload = webhook("account-updated-noop")
    write = account_write_from_account(
        connector=incoming_accounts(("outreach/custom1", "custom1")), account=payload["data"], event_name="account.updated"
    )
    assert write.skip_reason == (
        "Outreach sent account.updated for account 6 changing only updatedAt, none of which is in the incoming "
        "account attributes; nothing was written to Hull. Map the attribute there to receive it."
    )


# --- deletions (improvement) -----------------------------------------------------------------------


def test_a_destroyed_prospect_is_marked_deleted_on_the_user_claimed_by_its_outreach_id():
    write = write_for_destroyed(kind="prospect", outreach_id=3, deleted_at="2018-09-26T11:07:00.421-07:00")
    assert write.claims == {"anonymous_id": "outreach:3"}
    assert write.traits == {"outreach/deleted_at": set_("2018-09-26T11:07:00.421-07:00")}
    assert not write.skipped


def test_a_destroyed_write_for_another_resource_type_is_refused():
    with pytest.raises(ValueError, match="kind must be"):
        write_for_destroyed(kind="mailing", outreach_id=3, deleted_at="2018-09-26T11:07:00Z")
