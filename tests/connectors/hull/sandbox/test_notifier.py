"""The sandbox notifier plays Hull: notifications whose `changes` reflect exactly what changed."""

import pytest

from connectors.hull.firehose import HullFirehose
from sync.models import HullMessage, HullNotification

pytestmark = pytest.mark.django_db


def stored_bodies():
    return [m.body for m in HullMessage.objects.order_by("notification_id", "position")]


def test_an_edited_user_is_sent_with_exactly_the_changed_attributes_as_old_new_pairs(connector, hull):
    smugglers = hull.segment("Smugglers")
    account = hull.account(domain="smuggler.com", traits={"name": "Smugglers Inc"})
    han = hull.user(email="han@smuggler.com", traits={"title": "Pilot", "outreach/id": 22, "first_name": "Han"},
                    account=account)

    hull.edit_user(han, traits={"title": "General", "first_name": "Han"}, segments_add=[smugglers])
    [body] = hull.notify()

    assert body["channel"] == "user:update"
    assert body["configuration"] == {"id": connector.hull_id, "organization": "acme.hullapp.io",
                                     "secret": connector.hull_secret}
    [message] = body["messages"]
    assert message["changes"] == {
        "is_new": False,
        "user": {"traits_title": ["Pilot", "General"]},
        "account": {},
        "segments": {"entered": [dict(message["segments"][0])]},
        "account_segments": {},
    }
    assert message["segments"][0]["name"] == "Smugglers"
    assert message["segments"][0]["type"] == "users_segment"
    assert message["user"]["traits_outreach/id"] == 22 and message["user"]["first_name"] == "Han"
    assert message["user"]["segment_ids"] == [smugglers.hull_id]
    assert message["account"]["domain"] == "smuggler.com"
    assert {s["name"] for s in body["segments"]} == {"Smugglers"}
    assert hull.answers == [(200, {"flow_control": {"type": "next"}})]

    # hullreach stored it, normalised.
    [stored] = stored_bodies()
    assert stored["changes"]["user"] == {"title": ["Pilot", "General"]}
    assert stored["changes"]["segments"]["entered"][0]["id"] == smugglers.hull_id
    assert stored["user"]["outreach/id"] == 22


def test_nothing_is_sent_when_nothing_changed(connector, hull):
    han = hull.user(email="han@smuggler.com", traits={"title": "Pilot"})
    hull.edit_user(han, traits={"title": "Pilot"})
    assert hull.notify() == []
    assert not HullNotification.objects.exists()


def test_leaving_a_segment_is_reported_as_left(connector, hull):
    smugglers = hull.segment("Smugglers")
    han = hull.user(email="han@smuggler.com", segments=[smugglers])
    hull.edit_user(han, segments_remove=[smugglers])
    [body] = hull.notify()
    changes = body["messages"][0]["changes"]
    assert [s["name"] for s in changes["segments"]["left"]] == ["Smugglers"]
    assert changes["user"] == {}


def test_a_user_created_by_the_firehose_is_new_and_its_link_shows_in_changes_account(connector, hull):
    firehose = HullFirehose(connector)
    firehose.user_traits({"email": "gob@bluth.com", "anonymous_id": "outreach:10"}, {"outreach/id": 10})
    firehose.link_user_to_account({"anonymous_id": "outreach:10"}, {"anonymous_id": "outreach:29"})
    firehose.flush()

    bodies = hull.notify()

    assert [b["channel"] for b in bodies] == ["user:update", "account:update"]
    [user_message] = bodies[0]["messages"]
    account = hull.accounts()[0]
    assert user_message["changes"]["is_new"] is True
    assert user_message["changes"]["user"]["email"] == [None, "gob@bluth.com"]
    assert user_message["changes"]["user"]["traits_outreach/id"] == [None, 10]
    assert user_message["changes"]["account"]["id"] == [None, account.hull_id]
    assert user_message["account"]["anonymous_ids"] == ["outreach:29"]
    [account_message] = bodies[1]["messages"]
    assert account_message["changes"]["is_new"] is True
    assert account_message["account"]["id"] == account.hull_id


def test_an_account_change_is_sent_as_account_update_and_to_its_users_as_changes_account(connector, hull):
    bad_guys = hull.segment("Bad guys", entity="account")
    account = hull.account(domain="darksideinc.com", traits={"name": "Dark Side"})
    hull.user(email="darth@darksideinc.com", account=account)

    hull.edit_account(account, traits={"name": "Dark Side Inc"}, segments_add=[bad_guys])
    bodies = hull.notify()

    by_channel = {b["channel"]: b["messages"] for b in bodies}
    [account_message] = by_channel["account:update"]
    assert account_message["changes"]["account"] == {"name": ["Dark Side", "Dark Side Inc"]}
    assert [s["name"] for s in account_message["changes"]["account_segments"]["entered"]] == ["Bad guys"]
    assert account_message["account_segments"][0]["type"] == "accounts_segment"
    [user_message] = by_channel["user:update"]
    assert user_message["changes"]["user"] == {}
    assert user_message["changes"]["account"] == {"name": ["Dark Side", "Dark Side Inc"]}
    assert [s["name"] for s in user_message["changes"]["account_segments"]["entered"]] == ["Bad guys"]


def test_a_send_to_export_is_an_is_export_notification_without_changes(connector, hull):
    smugglers = hull.segment("Smugglers")
    han = hull.user(email="han@smuggler.com", traits={"title": "Pilot"}, segments=[smugglers])

    [body] = hull.export_users([han])

    assert body["is_export"] is True
    [message] = body["messages"]
    assert set(message) == {"user", "account", "segments", "message_id", "update_id"}
    notification = HullNotification.objects.get()
    assert notification.is_export
    [stored] = stored_bodies()
    assert stored["is_export"] is True and stored["user"]["title"] == "Pilot"


def test_an_account_export_has_the_hull_account_export_shape(connector, hull):
    account = hull.account(domain="bluth.com", traits={"name": "Bluth"})
    [body] = hull.export_accounts([account])
    [message] = body["messages"]
    assert message["user"] == {} and message["segments"] == {}
    assert message["account"]["domain"] == "bluth.com"
    assert body["channel"] == "account:update"
