"""§3.2.2, §3.3, §3.4, §9.1: stored ids, lookups in claim order, and the user→account link plan."""

import pytest

from sync.rules.identity import (
    account_lookup_filters,
    account_outreach_id,
    user_account_link_plan,
    user_identity,
    user_lookup_filters,
    user_outreach_id,
)
from sync.rules.settings import RuleSettings
from tests.sync.rules.samples import fixture_settings, hull_messages, segment

BAD_GUYS = "5bd7201aa682bc4a4d00001e"


@pytest.mark.parametrize("value,expected", [(16, 16), ("16", 16), (0, 0), (None, None), ("", None)])
def test_the_stored_prospect_id_is_outreach_id_and_zero_counts(value, expected):
    assert user_outreach_id(user={"outreach/id": value}) == expected


def test_an_outreach_anonymous_id_alone_is_not_a_stored_id():
    assert user_outreach_id(user={"anonymous_ids": ["outreach:23"]}) is None
    assert account_outreach_id(account={"anonymous_ids": ["outreach:29"]}) is None


def test_user_lookups_follow_the_claim_order_skip_empty_values_and_id_claims():
    connector = RuleSettings(
        user_claims=[
            {"hull": "external_id", "service": "id"},
            {"hull": "email", "service": "emails"},
            {"hull": "external_id", "service": "externalId"},
        ]
    )
    assert user_lookup_filters(connector=connector, user={"email": " Alberto@Close.io", "external_id": "x-1"}) == [
        ("emails", "alberto@close.io"),
        ("externalId", "x-1"),
    ]
    assert user_lookup_filters(connector=connector, user={"email": "", "external_id": "x-1"}) == [("externalId", "x-1")]


def test_account_lookups_use_the_normalised_domain_then_the_custom_id():
    connector = fixture_settings("outgoing-account-changes")
    wayne = hull_messages("outgoing-account-changes")[2]
    assert account_lookup_filters(connector=connector, account=wayne["account"]) == [("domain", "wayneenterprises.com")]
    assert account_lookup_filters(connector=connector, account={"domain": "HTTP://Bluth.com", "external_id": "e"}) == [
        ("domain", "bluth.com"),
        ("customId", "e"),
    ]


def test_the_identity_stored_on_a_link_is_the_normalised_email():
    assert user_identity(user={"email": " Han@Smuggler.com"}) == "han@smuggler.com"


def test_no_link_is_planned_without_link_users_in_service():
    [msg] = hull_messages("outgoing-user-link-new-account")
    assert user_account_link_plan(connector=RuleSettings(), message=msg, is_batch=False).action == "none"


def test_an_account_with_an_outreach_id_is_linked_directly_whatever_its_segments():
    msg = {"account": {"domain": "close.io", "outreach/id": 14}, "account_segments": []}
    plan = user_account_link_plan(connector=RuleSettings(link_users_in_service=True), message=msg, is_batch=False)
    assert (plan.action, plan.account_id) == ("use_known_id", 14)


def test_an_unknown_account_in_a_synchronized_account_segment_is_looked_up_or_inserted():
    [msg] = hull_messages("outgoing-user-link-new-account")
    plan = user_account_link_plan(connector=fixture_settings("outgoing-user-link-new-account"), message=msg, is_batch=False)
    assert plan.action == "lookup_or_insert"


def test_an_unknown_account_outside_the_account_segments_is_not_linked():
    msg = {"account": {"domain": "afterlife.com"}, "account_segments": [segment("other", "Other")]}
    connector = RuleSettings(link_users_in_service=True, synchronized_account_segments=[BAD_GUYS])
    assert user_account_link_plan(connector=connector, message=msg, is_batch=False).action == "none"


def test_a_send_to_export_links_any_account_without_checking_segments():
    [msg, *_] = hull_messages("outgoing-user-batch-multiple-payload")
    msg["account"].pop("outreach/id")
    connector = RuleSettings(link_users_in_service=True, synchronized_account_segments=[BAD_GUYS])
    assert user_account_link_plan(connector=connector, message=msg, is_batch=True).action == "lookup_or_insert"


def test_a_user_without_an_account_is_not_linked():
    msg = {"account": {}, "account_segments": [segment(BAD_GUYS, "Bad guys")]}
    connector = RuleSettings(link_users_in_service=True, synchronized_account_segments=[BAD_GUYS])
    assert user_account_link_plan(connector=connector, message=msg, is_batch=True).action == "none"
