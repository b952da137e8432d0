"""§10.1 / §10.2: which Hull messages are sent to Outreach, in the original's order, and why not."""

import pytest

from sync.rules import outgoing_filter as f
from sync.rules.outgoing_filter import (
    account_outgoing_decision,
    user_email_change,
    user_needs_email_from_outreach,
    user_outgoing_decision,
)
from sync.rules.settings import RuleSettings
from tests.sync.rules.samples import fixture_settings, hull_messages, segment

SMUGGLERS = "5bffc38f625718d58b000004"
BAD_GUYS = "5bd7201aa682bc4a4d00001e"


def user_message(*, user=None, segments=(), changes=None, account=None, account_segments=()):
    return {
        "user": {"id": "u1", "email": "han@smuggler.com", "outreach/id": 22, **(user or {})},
        "account": account or {},
        "segments": list(segments),
        "account_segments": list(account_segments),
        "changes": {"is_new": False, "user": {}, "account": {}, "segments": {}, "account_segments": {}, **(changes or {})},
        "message_id": "m1",
    }


def settings(**overrides):
    base = {
        "synchronized_user_segments": [SMUGGLERS],
        "synchronized_account_segments": [BAD_GUYS],
        "outgoing_user_attributes": [{"hull": "closeio/title", "service": "title"}],
    }
    return RuleSettings(**{**base, **overrides})


# --- the original's integration sample, message by message ---------------------------------------


def test_the_sample_notification_sends_exactly_the_three_users_the_original_sent():
    connector = fixture_settings("outgoing-user-changes")
    decisions = [
        user_outgoing_decision(connector=connector, message=m, is_batch=False)
        for m in hull_messages("outgoing-user-changes")
    ]
    assert [(d.send, d.code) for d in decisions] == [
        (False, f.NOT_IN_SEGMENTS),  # bluth@close.io is in no segment
        (True, f.MAPPED_CHANGE),  # darth: testattributes/description changed
        (True, f.MAPPED_CHANGE),  # alberto: closeio/title changed
        (True, f.ENTERED_SEGMENT),  # the dark knight entered Smugglers
    ]
    assert decisions[1].changed == ("testattributes/description",)
    assert decisions[3].reason == "entered the synchronized segment Smugglers"


def test_a_user_in_no_synchronized_segment_is_skipped_with_the_original_reason_and_its_segments():
    message = user_message(segments=[segment("other", "Jedi")], changes={"user": {"closeio/title": ["a", "b"]}})
    decision = user_outgoing_decision(connector=settings(), message=message, is_batch=False)
    assert not decision.send
    assert decision.code == f.NOT_IN_SEGMENTS
    assert decision.reason.startswith(
        "User is not present in any of the defined segments to send to service. Please either add a new "
        "synchronized segment which the user is present in the settings page"
    )
    assert decision.reason.endswith("The user's segments: Jedi.")


def test_segment_membership_is_by_segment_id_not_by_name():
    message = user_message(segments=[segment("another-id", "Smugglers")], changes={"user": {"closeio/title": ["a", "b"]}})
    assert user_outgoing_decision(connector=settings(), message=message, is_batch=False).code == f.NOT_IN_SEGMENTS


def test_a_user_that_left_the_synchronized_segment_is_skipped_as_the_original_did():
    connector = fixture_settings("outgoing-user-left-segment")
    decisions = [
        user_outgoing_decision(connector=connector, message=m, is_batch=False)
        for m in hull_messages("outgoing-user-left-segment")
    ]
    assert [d.code for d in decisions] == [f.NOT_IN_SEGMENTS, f.NOT_IN_SEGMENTS]


@pytest.mark.parametrize("segments", [[], [segment("other", "Jedi")]])
def test_a_send_to_export_bypasses_the_segment_filter_and_change_detection(segments):
    message = user_message(segments=segments)
    del message["changes"]
    decision = user_outgoing_decision(connector=settings(), message=message, is_batch=True)
    assert (decision.send, decision.code) == (True, f.BATCH)


def test_the_original_batch_export_sample_sends_every_user_even_without_outgoing_attributes():
    connector = RuleSettings(synchronized_user_segments=[], outgoing_user_attributes=[])
    messages = hull_messages("outgoing-user-batch-multiple-payload")
    assert messages and all(
        user_outgoing_decision(connector=connector, message=m, is_batch=True).send for m in messages
    )


def test_entering_a_synchronized_segment_sends_even_with_no_outgoing_attributes():
    message = user_message(
        segments=[segment(SMUGGLERS, "Smugglers")],
        changes={"segments": {"entered": [segment(SMUGGLERS, "Smugglers")]}},
    )
    decision = user_outgoing_decision(connector=settings(outgoing_user_attributes=[]), message=message, is_batch=False)
    assert (decision.send, decision.code) == (True, f.ENTERED_SEGMENT)


def test_entering_a_segment_that_is_not_synchronized_is_not_a_trigger():
    message = user_message(
        segments=[segment(SMUGGLERS, "Smugglers"), segment("jedi", "Jedi")],
        changes={"segments": {"entered": [segment("jedi", "Jedi")]}},
    )
    assert user_outgoing_decision(connector=settings(), message=message, is_batch=False).code == f.NO_CHANGES


def test_a_new_account_link_sends_when_users_are_linked_in_outreach():
    message = user_message(
        segments=[segment(SMUGGLERS, "Smugglers")], changes={"account": {"id": [None, "acc-1"]}}
    )
    connector = settings(link_users_in_service=True, outgoing_user_attributes=[])
    decision = user_outgoing_decision(connector=connector, message=message, is_batch=False)
    assert (decision.send, decision.code) == (True, f.ACCOUNT_LINK_CHANGED)


def test_a_user_unlinked_from_its_account_is_not_a_link_trigger():
    message = user_message(
        segments=[segment(SMUGGLERS, "Smugglers")], changes={"account": {"id": ["acc-1", None]}}
    )
    decision = user_outgoing_decision(
        connector=settings(link_users_in_service=True), message=message, is_batch=False
    )
    assert (decision.send, decision.code) == (False, f.NO_MAPPED_CHANGES)


def test_a_changed_account_outreach_id_sends_when_users_are_linked_in_outreach():
    message = user_message(
        segments=[segment(SMUGGLERS, "Smugglers")], changes={"account": {"outreach/id": [None, 14]}}
    )
    decision = user_outgoing_decision(
        connector=settings(link_users_in_service=True), message=message, is_batch=False
    )
    assert decision.code == f.ACCOUNT_LINK_CHANGED


def test_account_link_changes_are_not_triggers_without_link_users_in_service():
    message = user_message(
        segments=[segment(SMUGGLERS, "Smugglers")], changes={"account": {"outreach/id": [None, 14]}}
    )
    decision = user_outgoing_decision(connector=settings(), message=message, is_batch=False)
    assert (decision.send, decision.code) == (False, f.NO_MAPPED_CHANGES)


def test_with_no_outgoing_user_attributes_a_plain_change_is_skipped_with_the_original_reason():
    message = user_message(segments=[segment(SMUGGLERS, "Smugglers")], changes={"user": {"closeio/title": ["a", "b"]}})
    decision = user_outgoing_decision(connector=settings(outgoing_user_attributes=[]), message=message, is_batch=False)
    assert (decision.send, decision.code) == (False, f.NO_OUTGOING_ATTRIBUTES)
    assert decision.reason == (
        "There are no outgoing attributes to synchronize for users. Please go to the settings page and add "
        "outgoing user attributes to synchronize."
    )


@pytest.mark.parametrize("outreach_id", [None, ""])
def test_a_user_never_synced_is_sent_even_when_nothing_mapped_changed(outreach_id):
    message = user_message(user={"outreach/id": outreach_id}, segments=[segment(SMUGGLERS, "Smugglers")])
    decision = user_outgoing_decision(connector=settings(), message=message, is_batch=False)
    assert (decision.send, decision.code) == (True, f.NEVER_SYNCED)


def test_outreach_id_zero_counts_as_synced():
    message = user_message(user={"outreach/id": 0}, segments=[segment(SMUGGLERS, "Smugglers")])
    assert user_outgoing_decision(connector=settings(), message=message, is_batch=False).code == f.NO_CHANGES


def test_the_older_outreach_user_id_attribute_counts_as_synced():
    message = user_message(user={"outreach/id": None, "outreach_user/id": 9}, segments=[segment(SMUGGLERS, "S")])
    assert user_outgoing_decision(connector=settings(), message=message, is_batch=False).code == f.NO_CHANGES


def test_a_stored_link_counts_as_synced_before_hull_has_the_outreach_id():
    message = user_message(user={"outreach/id": None}, segments=[segment(SMUGGLERS, "Smugglers")])
    decision = user_outgoing_decision(connector=settings(), message=message, is_batch=False, has_link=True)
    assert decision.code == f.NO_CHANGES


def test_an_unmapped_change_is_skipped_with_the_original_reason_naming_what_changed():
    message = user_message(
        segments=[segment(SMUGGLERS, "Smugglers")], changes={"user": {"hubspot/description": ["a", "b"]}}
    )
    decision = user_outgoing_decision(connector=settings(), message=message, is_batch=False)
    assert (decision.send, decision.code) == (False, f.NO_MAPPED_CHANGES)
    assert decision.reason == (
        "No changes on any of the synchronized attributes for this user. If you think this is a mistake, please "
        "check the settings page for the synchronized user attributes to ensure that the attribute which changed "
        "is in the synchronized outgoing attributes. Changed: hubspot/description."
    )


def test_no_changes_at_all_is_skipped_with_its_own_reason():
    message = user_message(segments=[segment(SMUGGLERS, "Smugglers")])
    decision = user_outgoing_decision(connector=settings(), message=message, is_batch=False)
    assert (decision.send, decision.reason) == (False, "No changes on any of the attributes for this user.")


def test_an_array_change_with_an_index_suffix_matches_its_mapped_attribute():
    message = user_message(
        segments=[segment(SMUGGLERS, "Smugglers")], changes={"user": {"closeio/phones[1]": ["a", "b"]}}
    )
    connector = settings(outgoing_user_attributes=[{"hull": "closeio/phones", "service": "workPhones"}])
    decision = user_outgoing_decision(connector=connector, message=message, is_batch=False)
    assert (decision.send, decision.changed) == (True, ("closeio/phones",))


def test_a_changed_account_attribute_sends_the_user_when_account_attr_is_mapped():
    [message] = hull_messages("outgoing-account-changes-account-attribute-user-level")
    message.setdefault("user", {})["outreach/id"] = 23
    connector = fixture_settings("outgoing-account-changes-account-attribute-user-level")
    decision = user_outgoing_decision(connector=connector, message=message, is_batch=False)
    assert (decision.send, decision.changed) == (True, ("account.domain",))


def test_mapping_names_with_a_traits_prefix_still_match_changes():
    message = user_message(segments=[segment(SMUGGLERS, "Smugglers")], changes={"user": {"closeio/title": ["a", "b"]}})
    connector = settings(outgoing_user_attributes=[{"hull": "traits_closeio/title", "service": "title"}])
    assert user_outgoing_decision(connector=connector, message=message, is_batch=False).send


# --- accounts ---------------------------------------------------------------------------------------


def test_the_account_sample_sends_the_changed_and_the_entering_accounts_and_skips_the_rest():
    connector = fixture_settings("outgoing-account-changes")
    decisions = [
        account_outgoing_decision(connector=connector, message=m, is_batch=False)
        for m in hull_messages("outgoing-account-changes")
    ]
    assert [(d.send, d.code) for d in decisions] == [
        (False, f.NO_MAPPED_CHANGES),  # close.io: only an unmapped zipcode changed
        (False, f.NOT_IN_SEGMENTS),  # account 27 is in no segment
        (True, f.ENTERED_SEGMENT),  # wayne entered Bad guys
        # bluth has `outreach:29` among its anonymous ids but no outreach/id: a first sync (§9.1 item 1).
        (True, f.NEVER_SYNCED),
    ]
    assert decisions[0].reason.startswith("No changes on any of the synchronized attributes for this account.")
    assert decisions[1].reason.startswith("Account is not present in any of the defined segments to send to service.")


def test_an_account_export_bypasses_every_account_check():
    [message] = hull_messages("outgoing-account-batch-payload")
    decision = account_outgoing_decision(
        connector=RuleSettings(outgoing_account_attributes=[]), message=message, is_batch=True
    )
    assert (decision.send, decision.code) == (True, f.BATCH)


def test_an_account_with_no_outgoing_attributes_is_skipped_with_the_original_reason():
    message = {
        "account": {"domain": "bluth.com", "outreach/id": 29},
        "account_segments": [segment(BAD_GUYS, "Bad guys")],
        "changes": {"account": {"name": ["a", "b"]}},
    }
    decision = account_outgoing_decision(
        connector=settings(outgoing_account_attributes=[]), message=message, is_batch=False
    )
    assert (decision.send, decision.reason) == (
        False,
        "There are no outgoing attributes to synchronize for account. Please go to the settings page and add "
        "outgoing account attributes to synchronize.",
    )


def test_an_account_never_synced_is_sent():
    message = {"account": {"domain": "bluth.com"}, "account_segments": [segment(BAD_GUYS, "Bad guys")], "changes": {}}
    decision = account_outgoing_decision(connector=settings(), message=message, is_batch=False)
    assert (decision.send, decision.code) == (True, f.NEVER_SYNCED)


def test_an_account_with_no_changes_is_skipped_with_its_own_reason():
    message = {
        "account": {"domain": "bluth.com", "outreach/id": 29},
        "account_segments": [segment(BAD_GUYS, "Bad guys")],
        "changes": {"account": {}},
    }
    decision = account_outgoing_decision(connector=settings(), message=message, is_batch=False)
    assert decision.reason == "No changes on any of the attributes for this account."


# --- email change and the webhook-created special case (§3.7) ------------------------------------


def test_a_changed_email_is_reported_so_existing_emails_are_read_first():
    darth = hull_messages("outgoing-user-changes")[1]
    assert user_email_change(message=darth) == "darth@darksideinc.com"


def test_an_email_that_only_changed_case_is_not_an_email_change():
    message = user_message(changes={"user": {"email": ["Han@Smuggler.com", "han@smuggler.com"]}})
    assert user_email_change(message=message) is None


def test_a_removed_email_is_not_an_email_change():
    message = user_message(changes={"user": {"email": ["han@smuggler.com", None]}})
    assert user_email_change(message=message) is None


def test_the_webhook_created_user_without_email_needs_its_email_from_outreach():
    [message] = hull_messages("outgoing-user-get-email")
    assert user_needs_email_from_outreach(message=message)
    # ... and the filter skips it (no segments), which is why the special case exists.
    decision = user_outgoing_decision(
        connector=fixture_settings("outgoing-user-get-email"), message=message, is_batch=False
    )
    assert decision.code == f.NOT_IN_SEGMENTS


@pytest.mark.parametrize(
    "change",
    [
        {"user": {"email": "luke@skywalker.com"}},
        {"user": {"outreach/created_by_webhook": None}},
        {"user": {"outreach/id": None}},
        {"changes": {"is_new": False}},
    ],
    ids=["has an email", "not created by a webhook", "no outreach id", "not new"],
)
def test_the_email_fetch_special_case_needs_all_four_conditions(change):
    [message] = hull_messages("outgoing-user-get-email")
    message["user"].update(change.get("user", {}))
    message["changes"].update(change.get("changes", {}))
    assert not user_needs_email_from_outreach(message=message)
